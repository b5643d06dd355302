# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: container_guest
short_description: Whether gathered facts describe a container guest
version_added: 0.3.0
author: CRHQ platform team (@crhq)
description:
  - Tests the host's facts (C(ansible_facts), gathered with at least the C(virtual) subset) and is true when the
    host is a guest of an operating-system container (C(virtualization_role) V(guest) and C(virtualization_type)
    one of V(docker), V(container), V(lxc), V(podman), V(systemd-nspawn), V(openvz), V(containerd)).
  - In such a guest the kernel, C(/proc/sys) and the audit interface belong to the host, so the roles skip kernel
    settings, ufw's sysctl file and auditd there. A virtual machine (V(kvm), V(xen), ...) and bare metal are not
    container guests.
  - Facts without the virtualization keys, or a value that is not a dictionary, make it false, never an error.
options:
  _input:
    description: The host's facts, C(ansible_facts); the C(ansible_) prefixed keys of C(hostvars) work as well.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Kernel settings only where the kernel is the host's own
  ansible.posix.sysctl:
    name: net.ipv4.conf.all.log_martians
    value: "1"
  when: ansible_facts is not crhq.platform.container_guest
"""

RETURN = r"""
_value:
  description: V(True) for a container guest, V(False) otherwise.
  type: boolean
"""

from ansible_collections.crhq.platform.plugins.module_utils.virtualization import is_container_guest


def container_guest(facts):
    return is_container_guest(facts)


class TestModule:
    def tests(self):
        return {"container_guest": container_guest}
