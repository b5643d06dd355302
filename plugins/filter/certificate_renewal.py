# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: certificate_renewal
short_description: Why a self-signed certificate must be made again, or nothing when it still fits
version_added: 0.5.0
author: CRHQ platform team (@crhq)
description:
  - Takes the PEM text of the certificate a host serves (read with the role's other files by
    M(crhq.platform.host_facts), option O(crhq.platform.host_facts#module:contents)) and says, in a few words, why a
    new self-signed one is needed; an empty string when the certificate still fits.
  - A new one is needed when there is none, when the text is not a PEM certificate (a damaged file is replaced, not a
    reason to fail), when it expires within O(renew_before_days), when it is not self-signed, when its DNS names are
    not exactly O(names), or when its key is not the one asked for.
  - Runs on the controller with the C(cryptography) library that ansible-core depends on; the host runs nothing.
options:
  _input:
    description: The certificate's PEM text; empty or V(null) when there is no certificate.
    type: string
    required: true
  names:
    description: Every DNS name the certificate must name, no other.
    type: list
    elements: string
    required: true
  key_type:
    description: The key type the certificate's key must have.
    type: string
    choices: [ecdsa, rsa]
    default: ecdsa
  elliptic_curve:
    description: The curve of an ECDSA key, by its name in C(cryptography) (V(secp256r1), V(secp384r1)).
    type: string
    default: secp384r1
  rsa_key_size:
    description: The size in bits of an RSA key.
    type: integer
    default: 3072
  renew_before_days:
    description: A certificate that expires within this many days is made again.
    type: integer
    default: 30
seealso:
  - plugin: community.crypto.x509_certificate_info
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Read the certificate with the other files
  crhq.platform.host_facts:
    contents: [/etc/nginx/tls/fullchain.pem]
  register: tls_read

- name: Make a new one only when the one there no longer fits
  ansible.builtin.debug:
    msg: "a new certificate: {{ reason }}"
  vars:
    reason: >-
      {{ tls_read.contents['/etc/nginx/tls/fullchain.pem']
         | crhq.platform.certificate_renewal(names=['crhq.example.com'], key_type='ecdsa', renew_before_days=30) }}
  when: reason | length > 0
"""

RETURN = r"""
_value:
  description:
    - Why a new certificate is needed (for instance C(it expires within 30 days), C(it is not self-signed),
      C(it names a.example, not a.example, b.example)); an empty string when the certificate still fits.
  type: string
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.plugin_utils.certificates import CertificateError, renewal_reason


def certificate_renewal(pem, names, key_type="ecdsa", elliptic_curve="secp384r1", rsa_key_size=3072,
                        renew_before_days=30):
    try:
        return renewal_reason(pem, names, key_type=key_type, elliptic_curve=elliptic_curve,
                              rsa_key_size=rsa_key_size, renew_before_days=renew_before_days)
    except (CertificateError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("certificate_renewal: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"certificate_renewal": certificate_renewal}
