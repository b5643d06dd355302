# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: postgresql_cluster
short_description: The PostgreSQL cluster to configure, chosen by version from pg_lsclusters
version_added: 0.3.0
author: CRHQ platform team (@crhq)
description:
  - Reads the output of Debian's C(pg_lsclusters --no-header) and returns the cluster a role should configure.
  - With O(version), that version's cluster, or an error listing the clusters there are.
  - Without it, the only cluster called O(name); after a Debian upgrade, when the new release's PostgreSQL has
    made a second one, the cluster on port 5432 (the one clients reach, which C(pg_upgradecluster) hands over to
    the new version once the data has moved); an error when that does not decide it.
options:
  _input:
    description: The output lines of C(pg_lsclusters --no-header).
    type: list
    elements: string
    required: true
  version:
    description: The major version to configure; empty to choose as described.
    type: string
    default: ""
  name:
    description: The cluster name.
    type: string
    default: main
"""

EXAMPLES = r"""
- name: List the clusters
  ansible.builtin.command: pg_lsclusters --no-header
  register: clusters
  changed_when: false

- name: Configure the right one
  ansible.builtin.set_fact:
    cluster: "{{ clusters.stdout_lines | crhq.platform.postgresql_cluster(version=postgresql_version) }}"
"""

RETURN = r"""
_value:
  description:
    - The chosen cluster, with C(version), C(name), C(port), C(status), C(owner), C(data_directory), C(conf_dir)
      (C(/etc/postgresql/<version>/<name>)) and C(others) (versions of other clusters with that name); None when
      there is no cluster at all.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.module_utils.pg_clusters import ClusterError, choose, parse


def postgresql_cluster(lines, version="", name="main"):
    try:
        return choose(parse(lines), version, name)
    except ClusterError as exc:
        raise AnsibleFilterError("postgresql_cluster: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"postgresql_cluster": postgresql_cluster}
