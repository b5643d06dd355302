#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: unit_facts
short_description: Read whether the systemd units a role needs are enabled and running, in one systemctl call
version_added: 0.3.0
author: CRHQ platform team (@crhq)
description:
  - Reads, without changing anything, the state of the systemd units in O(names) with one C(systemctl show) call,
    and says which are settled (loaded, active, enabled, and needing no daemon-reload) and which are not.
  - A role runs M(ansible.builtin.systemd_service) with C(enabled=true) and C(state=started) only for
    RV(unsettled), instead of for every unit on every run; each of those tasks costs about half a second even
    when it changes nothing.
  - A unit is settled when systemd has loaded it (C(LoadState=loaded)), it is active (C(ActiveState=active),
    whether running, listening, waiting or exited, as its type has it), its unit file is enabled
    (C(UnitFileState=enabled)), and its unit file has not changed since systemd read it
    (C(NeedDaemonReload=no)). Any other unit is unsettled, including one that does not exist
    (C(LoadState=not-found)) or is masked, so M(ansible.builtin.systemd_service) reports it.
  - A failing C(systemctl show) makes the task fail with its error output; it fails on a host not booted with
    systemd, such as a container whose first process is not systemd. A name that is not a unit name this module
    can read makes the task fail naming it, before systemctl runs.
options:
  names:
    description:
      - The units to read, by full name with the suffix (C(nginx.service), C(certbot.timer), C(ssh.socket));
        C(.service), C(.socket), C(.timer), C(.path), C(.mount) and C(.target) units.
      - An instance of a template is named with its instance (C(getty@tty1.service)); the template itself
        (C(getty@.service)) has no state and makes the task fail, as does a glob, a name without a suffix or a
        name with characters systemd unit names cannot hold.
      - An alias is read as the unit it names and is returned under the name given (see RV(units)).
      - A name given twice is read once.
    type: list
    elements: str
    required: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - crhq.platform.read_only
notes:
  - One C(systemctl show) call reads every unit in O(names), in a few milliseconds; no call is made when
    O(names) is empty. It does not need to be run as root.
  - A unit whose unit file state is C(static), C(alias), C(indirect), C(generated), C(enabled-runtime), C(linked)
    or C(transient) counts as unsettled on purpose, even when it is active; M(ansible.builtin.systemd_service)
    then decides whether C(enabled=true) means anything for it, without changing anything when it does not.
  - It reads the system manager's units, not a user manager's.
seealso:
  - module: ansible.builtin.systemd_service
  - module: ansible.builtin.service_facts
"""

EXAMPLES = r"""
- name: Read which of the role's units are enabled and running
  crhq.platform.unit_facts:
    names:
      - nginx.service
      - certbot.timer
  register: role_units

- name: Enable and start only the units that are not already
  ansible.builtin.systemd_service:
    name: "{{ item }}"
    enabled: true
    state: started
    daemon_reload: "{{ role_units.units[item].need_daemon_reload }}"
  loop: "{{ role_units.unsettled }}"

- name: Say which unit is not running
  ansible.builtin.debug:
    msg: "{{ item }} is {{ role_units.units[item].active_state }} ({{ role_units.units[item].sub_state }})"
  loop: "{{ role_units.unsettled }}"
  when: role_units.units[item].active_state != 'active'
"""

RETURN = r"""
units:
  description:
    - Each name of O(names), as given, mapped to the state of its unit, in the order given.
    - The keys below are those of the dictionary each name is mapped to.
  returned: always
  type: dict
  contains:
    id:
      description:
        - The unit's own name (C(Id)); another name than the one given when that is an alias (C(sshd.service)
          read as C(ssh.service)).
      type: str
      returned: always
    load_state:
      description:
        - Whether systemd has loaded the unit (C(LoadState)); C(loaded), C(not-found), C(masked), C(bad-setting),
          C(error), or C(stub) among others.
      type: str
      returned: always
    active_state:
      description:
        - The unit's activation state (C(ActiveState)); C(active), C(inactive), C(failed), C(activating),
          C(deactivating), C(reloading) among others.
      type: str
      returned: always
    sub_state:
      description:
        - The state particular to the unit's type (C(SubState)); C(running) or C(exited) for a service,
          C(listening) for a socket, C(waiting) for a timer, C(mounted) for a mount, C(dead) for any inactive unit.
      type: str
      returned: always
    unit_file_state:
      description:
        - Whether the unit file is enabled (C(UnitFileState)); C(enabled), C(disabled), C(static), C(masked),
          C(alias), C(indirect), C(generated), C(transient), C(enabled-runtime), C(linked) among others, and empty
          for a unit that does not exist.
      type: str
      returned: always
    need_daemon_reload:
      description: Whether the unit file, or a drop-in of it, has changed since systemd read it (C(NeedDaemonReload)).
      type: bool
      returned: always
  sample:
    nginx.service: {id: nginx.service, load_state: loaded, active_state: active, sub_state: running,
                    unit_file_state: enabled, need_daemon_reload: false}
    sshd.service: {id: ssh.service, load_state: loaded, active_state: active, sub_state: running,
                   unit_file_state: enabled, need_daemon_reload: false}
    certbot.timer: {id: certbot.timer, load_state: loaded, active_state: inactive, sub_state: dead,
                    unit_file_state: disabled, need_daemon_reload: false}
settled:
  description:
    - The names of O(names) whose unit is loaded, active and enabled and needs no daemon-reload, in the order
      given, each once.
  returned: always
  type: list
  elements: str
  sample: [nginx.service, sshd.service]
unsettled:
  description: The other names of O(names), in the order given, each once.
  returned: always
  type: list
  elements: str
  sample: [certbot.timer]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.crhq.platform.plugins.module_utils.host_reads import UnitReadError, read_units
from ansible_collections.crhq.platform.plugins.module_utils.systemd_units import SystemdUnitsError, check_names, unique_names


def main():
    module = AnsibleModule(
        argument_spec=dict(
            names=dict(type="list", elements="str", required=True),
        ),
        supports_check_mode=True,
    )
    try:
        check_names(module.params["names"])  # before systemctl: a wrong name fails the same on any host
    except SystemdUnitsError as exc:
        module.fail_json(msg=str(exc))
    try:
        units, settled, unsettled = read_units(module, unique_names(module.params["names"]))
    except UnitReadError as exc:
        module.fail_json(msg=str(exc), **exc.details)
    module.exit_json(changed=False, units=units, settled=settled, unsettled=unsettled)


if __name__ == "__main__":
    main()
