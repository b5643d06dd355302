#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dpkg_facts
short_description: Read which of the packages a role needs dpkg has installed, in one cheap call
version_added: 0.3.0
author: CRHQ platform team (@crhq)
description:
  - Reads, without changing anything, dpkg's status database and says which of the packages in O(names) are
    installed (with their versions) and which are not, in one module call.
  - A role runs M(ansible.builtin.apt) only for RV(missing), instead of on every run; M(ansible.builtin.apt)
    opens apt's whole cache even when every package is installed, which costs seconds per task.
  - A package is installed when dpkg's C(Status) field says C(ok installed), whatever its selection
    (C(install), C(hold), or C(deinstall) not carried out yet). A package that is only unpacked,
    half-configured, half-installed, waiting for triggers, marked as needing reinstallation, or removed with its
    configuration files kept is not installed, so M(ansible.builtin.apt) is asked to finish or redo it.
  - A status database that cannot be read, or is not in dpkg's format, makes the task fail with a message
    naming the file, as does a name that is not a Debian package name.
options:
  names:
    description:
      - The packages to look up, by name (C(nginx)) or by name and architecture (C(libc6:amd64)).
      - An architecture must be the package's own C(Architecture) field, as C(dpkg-query -W) matches it, so an
        architecture-independent package is C(name:all). A name without one is installed when any architecture
        of the package is.
      - A version (C(nginx=1.22.1-9)), a release (C(nginx/bookworm)) or a wildcard makes the task fail, as does a
        name with capitals or other characters Debian package names cannot hold.
      - A name given twice is looked up once.
    type: list
    elements: str
    required: true
  status_file:
    description:
      - dpkg's status file. The updates dpkg journals after an interrupted run are read from the C(updates)
        directory next to it.
      - Only to be changed for tests or a dpkg with another administrative directory.
    type: path
    default: /var/lib/dpkg/status
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - crhq.platform.read_only
notes:
  - Reads dpkg's database files directly, as C(dpkg-query) does, without python-apt and without running a
    program, so it is fast (milliseconds for thousands of packages) and needs only the standard library on the
    managed host. It does not need to be run as root.
  - Like C(dpkg-query), it applies the updates in dpkg's C(updates) directory that an interrupted dpkg has not yet
    merged into the status file.
  - It says what is installed, not what apt could install; a name no repository offers is simply in RV(missing),
    and M(ansible.builtin.apt) reports it.
seealso:
  - module: ansible.builtin.apt
  - module: ansible.builtin.package_facts
"""

EXAMPLES = r"""
- name: Read which of the role's packages are installed
  crhq.platform.dpkg_facts:
    names:
      - nginx
      - ssl-cert
  register: pkgs

- name: Install only the packages that are missing
  ansible.builtin.apt:
    name: "{{ pkgs.missing }}"
    state: present
  when: pkgs.missing | length > 0

- name: Read which unneeded packages are installed
  crhq.platform.dpkg_facts:
    names: [telnet, rsh-client, talk]
  register: unneeded

- name: Remove them
  ansible.builtin.apt:
    name: "{{ unneeded.installed.keys() | list }}"
    state: absent
  when: unneeded.installed | length > 0
"""

RETURN = r"""
installed:
  description:
    - The names of O(names) that dpkg has installed, as given (with their architecture when one was given), each
      mapped to the installed version (with its epoch, as dpkg writes it).
  returned: always
  type: dict
  sample: {nginx: 1.22.1-9+deb12u1, "libc6:amd64": 2.36-9+deb12u10}
missing:
  description: The names of O(names) that dpkg has not installed, in the order given, each once.
  returned: always
  type: list
  elements: str
  sample: [ssl-cert]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.crhq.platform.plugins.module_utils.dpkg_status import DpkgStatusError, check_names, classify
from ansible_collections.crhq.platform.plugins.module_utils.host_reads import read_database


def main():
    module = AnsibleModule(
        argument_spec=dict(
            names=dict(type="list", elements="str", required=True),
            status_file=dict(type="path", default="/var/lib/dpkg/status"),
        ),
        supports_check_mode=True,
    )
    try:
        check_names(module.params["names"])  # before the read: a wrong name fails the same on any host
        installed, missing = classify(read_database(module.params["status_file"]), module.params["names"])
    except DpkgStatusError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, installed=installed, missing=missing)


if __name__ == "__main__":
    main()
