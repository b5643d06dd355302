# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: pg_hba_lines
short_description: Extra pg_hba.conf entries, checked, as aligned pg_hba.conf lines
version_added: 0.3.0
author: CRHQ platform team (@crhq)
description:
  - Checks a list of pg_hba.conf entries given as dicts and returns their lines, aligned on the columns of the
    crhq.platform.postgresql role's C(pg_hba.conf), in the order given. An entry's C(comment) becomes a C(#) line
    before it.
  - The first bad entry fails the filter with a message naming it by its index (V(postgresql_hba_extra_entries[1]))
    and saying what is wrong, so a bad entry stops a run before any file is written.
  - Methods C(trust), C(password), C(md5), C(ident), C(ldap), C(radius), C(pam), C(sspi) and C(bsd) are refused
    with the reason; the collection promises scram-sha-256. Allowed are C(scram-sha-256), C(reject), C(peer)
    (type C(local) only), C(cert) (type C(hostssl) only) and C(gss) (not C(local)).
  - Database and user names must be names pg_hba.conf holds unquoted (letters, digits, C(_), C($), C(.), C(-)),
    comma lists of them, or the keywords C(all), and for databases C(sameuser), C(samerole) and C(replication);
    a user may be a C(+group). C(@file) includes, regular expressions, quotes, whitespace, C(#) and line breaks are
    refused, so an entry is always exactly one line.
  - C(address) is required for the C(host) types and refused for C(local). A single address becomes a C(/32) or
    C(/128) network; a network with bits set after its prefix, a host name, C(all), C(samehost) and C(samenet) are
    refused.
  - C(options) are C(name=value) pairs separated by single spaces, among C(clientcert) (V(verify-ca),
    V(verify-full); C(hostssl) only), C(clientname) (V(CN), V(DN); C(hostssl) only), C(map), C(include_realm) (V(0),
    V(1)) and C(krb_realm). Whether C(map), C(include_realm) or C(krb_realm) fits the method is left to
    PostgreSQL's own check of the written file (C(pg_hba_file_rules)).
options:
  _input:
    description:
      - The entries, each a dict with C(type) (V(local), V(host), V(hostssl), V(hostnossl), V(hostgssenc),
        V(hostnogssenc)), C(database), C(user) (a name, a comma-separated list, or a list of names), C(address),
        C(method), and optionally C(options) and C(comment). None counts as no entries.
    type: list
    elements: dict
    required: true
  name:
    description: The name of the variable the entries come from, used in error messages.
    type: string
    default: postgresql_hba_extra_entries
"""

EXAMPLES = r"""
- name: Fail early on a bad entry
  ansible.builtin.assert:
    that: (postgresql_hba_extra_entries | crhq.platform.pg_hba_lines) is sequence

- name: Lines for a template
  ansible.builtin.debug:
    msg: "{{ entries | crhq.platform.pg_hba_lines(name='entries') }}"
  vars:
    entries:
      - type: hostssl
        database: crhq
        user: monitoring
        address: 10.0.0.0/24
        method: scram-sha-256
        options: clientcert=verify-full
        comment: the monitoring server, over TLS with a client certificate
      - {type: local, database: all, user: backup, method: peer}
"""

RETURN = r"""
_value:
  description:
    - The pg_hba.conf lines, without line breaks, in the order of the entries; a comment line (C(# ...)) before each
      entry that has a comment. An empty list for no entries.
  type: list
  elements: string
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.plugin_utils.filters import filter_function


def pg_hba_lines(entries, name=None):
    # imported when called, not with this file, which ansible-core loads to find other filters by name
    # (plugin_utils/certificates.py, _cryptography)
    from ansible_collections.crhq.platform.plugins.module_utils import pg_hba

    try:
        return pg_hba.render_lines(entries, pg_hba.VARIABLE if name is None else name)
    except pg_hba.HbaEntryError as exc:
        raise AnsibleFilterError("pg_hba_lines: %s" % exc) from None


class FilterModule:
    def filters(self):
        # filter_function turns a wrong call (TypeError: unknown or missing arguments) into an AnsibleFilterError
        return {"pg_hba_lines": filter_function("pg_hba_lines", pg_hba_lines)}
