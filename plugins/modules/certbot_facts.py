#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: certbot_facts
short_description: Read a certbot lineage and say why it must be issued again
version_added: 0.3.0
author: CRHQ platform team (@crhq)
description:
  - Reads, without changing anything, what the P(crhq.platform.certbot#role) role needs to decide whether the
    certificate certbot keeps for a name is still the one asked for, in one module call.
  - The lineage's renewal configuration (C(renewal/<cert_name>.conf)) gives the ACME directory, the account and the
    key type certbot renews with.
  - The live certificate gives the names (DNS subject alternative names), the key (type, curve or size), the OCSP
    responder URL (empty when the certificate names none, as Let's Encrypt certificates have since 2025), the serial
    and the expiry.
  - The account's e-mail address is the one the role last gave it (C(crhq-email) in the account's directory, written
    by the role after C(certbot update_account)), else the contact certbot 1.x kept in C(regr.json). Current certbot
    versions keep no contact on disk, and ACME servers need not return one (Let's Encrypt no longer stores them).
  - Returns the reasons to issue the certificate again (another directory, key or set of names), and whether only the
    account's address must change, which needs no new certificate.
options:
  cert_name:
    description: The lineage's name (certbot's C(--cert-name)).
    type: str
    required: true
  names:
    description: The DNS names the certificate must hold, the main one first.
    type: list
    elements: str
    required: true
  server:
    description: The ACME directory URL the certificate must come from.
    type: str
    required: true
  email:
    description: The e-mail address the ACME account must have; omitted, the address is not compared.
    type: str
  key_type:
    description: The wanted key type.
    type: str
    choices: [ecdsa, rsa]
    default: ecdsa
  elliptic_curve:
    description: The wanted curve of an ECDSA key (certbot's names, such as C(secp256r1)).
    type: str
    default: secp256r1
  rsa_key_size:
    description: The wanted size of an RSA key.
    type: int
    default: 3072
  config_dir:
    description: certbot's configuration directory.
    type: path
    default: /etc/letsencrypt
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - crhq.platform.read_only
requirements:
  - The Python C(cryptography) library on the managed host (Debian's certbot depends on it).
notes:
  - Nothing is asked of the ACME server; the module reads local files only.
  - The names are compared as sets; the order certbot lists them in does not matter.
seealso:
  - name: certbot's documentation on changing a certificate's names, key type and server
    description: What C(--cert-name), C(--key-type), C(--force-renewal) and C(--new-key) do.
    link: https://eff-certbot.readthedocs.io/en/stable/using.html#changing-a-certificate-s-domains
"""

EXAMPLES = r"""
- name: Read the lineage of this host's certificate
  crhq.platform.certbot_facts:
    cert_name: "{{ certbot_hostname }}"
    names: "{{ [certbot_hostname] + certbot_extra_names }}"
    server: "{{ certbot_acme_directory }}"
    email: "{{ certbot_email }}"
    key_type: ecdsa
    elliptic_curve: secp256r1
  register: lineage

- name: Say why the certificate would be issued again
  ansible.builtin.debug:
    msg: "{{ lineage.reissue.reasons | join('; ') }}"
  when: lineage.reissue.reasons | length > 0
"""

RETURN = r"""
exists:
  description: Whether certbot has a lineage of that name (its renewal configuration exists).
  returned: always
  type: bool
  sample: true
renewal_config:
  description: Path of the lineage's renewal configuration, whether or not it exists.
  returned: always
  type: str
  sample: /etc/letsencrypt/renewal/crhq.example.net.conf
lineage:
  description: What the renewal configuration says; empty when there is no lineage.
  returned: always
  type: dict
  contains:
    server:
      description: The ACME directory renewals go to.
      type: str
      returned: always
    account:
      description: certbot's id of the ACME account.
      type: str
      returned: always
    authenticator:
      description: The authenticator plugin.
      type: str
      returned: always
    key_type:
      description: The key type renewals use (C(rsa) when the file names none, as certbot assumes).
      type: str
      returned: always
    elliptic_curve:
      description: The curve renewals use, when recorded.
      type: str
      returned: always
    rsa_key_size:
      description: The RSA key size renewals use, when recorded; null otherwise.
      type: int
      returned: always
    cert:
      description: Path of the live certificate.
      type: str
      returned: always
    fullchain:
      description: Path of the live full chain.
      type: str
      returned: always
  sample: {server: https://acme-v02.api.letsencrypt.org/directory, account: 4e2f2c5d1a8b9e0f7c6d5b4a39281706,
           authenticator: webroot, key_type: ecdsa, elliptic_curve: secp256r1, rsa_key_size: null,
           cert: /etc/letsencrypt/live/crhq.example.net/cert.pem,
           fullchain: /etc/letsencrypt/live/crhq.example.net/fullchain.pem}
certificate:
  description: The live certificate; empty when there is no lineage or it cannot be read (see RV(certificate_error)).
  returned: always
  type: dict
  contains:
    names:
      description: Its DNS subject alternative names, lowercase (the common name when it has none).
      type: list
      elements: str
      returned: always
    key_type:
      description: C(ecdsa), C(rsa), or the class name of another key.
      type: str
      returned: always
    elliptic_curve:
      description: The curve of an ECDSA key; empty otherwise.
      type: str
      returned: always
    rsa_key_size:
      description: The size of an RSA key; null otherwise.
      type: int
      returned: always
    ocsp_url:
      description: The OCSP responder URL of its Authority Information Access extension; empty when it names none.
      type: str
      returned: always
    serial:
      description: The serial number, uppercase hexadecimal.
      type: str
      returned: always
    not_after:
      description: The end of its validity, UTC, ISO 8601.
      type: str
      returned: always
  sample: {names: [crhq.example.net, www.crhq.example.net], key_type: ecdsa, elliptic_curve: secp256r1,
           rsa_key_size: null, ocsp_url: "", serial: 4A1B2C3D, not_after: "2026-06-01T12:00:00Z"}
certificate_error:
  description: Why the live certificate of an existing lineage could not be read; empty when it could.
  returned: always
  type: str
  sample: ""
ocsp_url:
  description: The live certificate's OCSP responder URL, empty when it names none or there is no certificate. A
    server should staple OCSP responses only when this is set.
  returned: always
  type: str
  sample: ""
reissue:
  description: How the existing lineage differs from what is wanted; nothing when there is no lineage yet.
  returned: always
  type: dict
  contains:
    reasons:
      description: One sentence per difference (directory, key, names), empty when the certificate is as wanted.
      type: list
      elements: str
      returned: always
    new_key:
      description: Whether the key type, curve or size changes, so a re-issue needs certbot's C(--new-key).
      type: bool
      returned: always
    new_server:
      description: Whether the ACME directory changes.
      type: bool
      returned: always
  sample: {reasons: ["key ECDSA secp256r1 -> RSA 3072", "names +www.crhq.example.net"], new_key: true,
           new_server: false}
account:
  description: The lineage's ACME account.
  returned: always
  type: dict
  contains:
    id:
      description: certbot's account id; empty without a lineage.
      type: str
      returned: always
    dir:
      description: The account's directory under C(accounts/).
      type: str
      returned: always
    email:
      description: The address the account is known to have; empty when unknown.
      type: str
      returned: always
    email_source:
      description: Where that address comes from, C(crhq-email) (the role's record), C(regr.json), or empty.
      type: str
      returned: always
    email_record:
      description: The file in which the role records the address it gave the account.
      type: str
      returned: always
    update_email:
      description:
        - Whether the account must be given O(email) (C(certbot update_account)); true also when its address is
          unknown. False when the directory changes, since the re-issue then uses that server's account.
      type: bool
      returned: always
  sample: {id: 4e2f2c5d1a8b9e0f7c6d5b4a39281706,
           dir: /etc/letsencrypt/accounts/acme-v02.api.letsencrypt.org/directory/4e2f2c5d1a8b9e0f7c6d5b4a39281706,
           email: tls-admin@example.net, email_source: crhq-email,
           email_record: /etc/letsencrypt/accounts/acme-v02.api.letsencrypt.org/directory/4e2f2c5d1a8b9e0f7c6d5b4a39281706/crhq-email,
           update_email: false}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.crhq.platform.plugins.module_utils.certbot_lineage import LineageError, read_lineage


def main():
    module = AnsibleModule(
        argument_spec=dict(
            cert_name=dict(type="str", required=True),
            names=dict(type="list", elements="str", required=True),
            server=dict(type="str", required=True),
            email=dict(type="str"),
            key_type=dict(type="str", choices=["ecdsa", "rsa"], default="ecdsa"),
            elliptic_curve=dict(type="str", default="secp256r1"),
            rsa_key_size=dict(type="int", default=3072),
            config_dir=dict(type="path", default="/etc/letsencrypt"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not params["names"]:
        module.fail_json(msg="names must hold at least the certificate's main name")
    if "/" in params["cert_name"] or params["cert_name"] in ("", ".", ".."):
        module.fail_json(msg="cert_name %r is not a lineage name" % params["cert_name"])
    wanted = {key: params[key] for key in ("server", "names", "key_type", "elliptic_curve", "rsa_key_size")}
    try:
        result = read_lineage(params["config_dir"], params["cert_name"], wanted, params["email"])
    except LineageError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
