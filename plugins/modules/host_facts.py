#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: host_facts
short_description: Read the packages, paths and systemd units a role manages, in one module call
version_added: 0.4.0
author: CRHQ platform team (@crhq)
description:
  - Reads, without changing anything, what M(crhq.platform.dpkg_facts), M(crhq.platform.path_facts) and
    M(crhq.platform.unit_facts) read, in one module call instead of three, and returns each under its own key in
    the shape that module returns.
  - Every remote module call costs a role about a fifth of a second on a re-run, whatever it does. A role that
    reads its packages, its files and its units at the start of a run makes one call for all three.
  - It also reads, on request, what a role would otherwise ask with a task of its own, in the same call - the text
    of small files, the local accounts, a directory's entries, the output of a few read-only programs, what
    M(crhq.platform.ssh_facts) reads, and a service's health through its own socket.
  - A path is read before any package is installed. A role whose packages bring files it manages reads those
    paths again with M(crhq.platform.path_facts) after an install that changed something.
  - Each option is checked before anything is read, and a read that fails makes the task fail with the message
    the module it replaces gives.
options:
  packages:
    description:
      - Packages to look up in dpkg's database, as O(crhq.platform.dpkg_facts#module:names) takes them.
    type: list
    elements: str
    default: []
  paths:
    description:
      - Absolute paths to read, as O(crhq.platform.path_facts#module:paths) takes them.
    type: list
    elements: str
    default: []
  patterns:
    description:
      - Absolute shell patterns (C(*), C(?) and C([...]) as Python's C(glob) takes them; C(*) matches no hidden entry)
        of paths to read as O(paths) are, for a role whose paths depend on what the host has (the configuration
        directory of the PostgreSQL cluster a read of O(outputs) chooses).
      - What each matches is in RV(paths.files); a pattern that matches nothing adds nothing, and nothing to
        RV(paths.missing).
    type: list
    elements: str
    default: []
  private_paths:
    description:
      - Absolute paths of files that hold a secret (a password or key a module generated on the host), read as
        O(paths) are but never checksummed or opened, so nothing derived from their content is returned.
      - Returned with O(paths), in RV(paths.files) (with no C(checksum)) and RV(paths.missing), for
        P(crhq.platform.paths_in_place#filter) to find them in place by type, owner, group and mode, and a role to
        skip the module that would make them.
    type: list
    elements: str
    default: []
  listings:
    description:
      - Absolute paths of directories whose entries (not recursively, hidden ones included) are read as O(paths) are,
        without checksums, for a role that keeps a varying set of entries there (the app role's releases).
      - A directory that does not exist is returned as V(null); a path that is not a directory fails the task.
    type: list
    elements: str
    default: []
  contents:
    description:
      - Absolute paths of small text files (configuration, lists) to return whole, decoded as UTF-8 (a byte that is
        not UTF-8 becomes U+FFFD), so a role that parses one needs no C(slurp) task of its own.
      - A symbolic link is followed. A path that does not exist is returned as V(null). A directory, a file of more
        than 1 MiB or one that cannot be read makes the task fail, naming the path.
      - Returned in the task's result, so never a file that holds a secret.
    type: list
    elements: str
    default: []
  outputs:
    description:
      - Read-only programs whose output the role parses, run with the other reads instead of a command task each.
        V(pg_lsclusters) runs C(pg_lsclusters --no-header) (PostgreSQL's clusters) and V(ufw_status) runs
        C(ufw status verbose) (the firewall's rules and policies, as ufw loaded them).
      - Only these programs, with these arguments, can be named; nothing that changes the host.
      - A program that is not installed is returned as V(null); one that exits non-zero is returned as it ran, for the
        role to decide (a role whose package install changed something runs the program again after it).
    type: list
    elements: str
    choices: [pg_lsclusters, ufw_status]
    default: []
  ssh:
    description:
      - The options of M(crhq.platform.ssh_facts), as that module takes them, to read what it reads (the algorithms
        the installed OpenSSH knows, the admin users' keys, weak moduli, sshd's main file, where sshd listens, the
        effective settings per user) with the other reads, and return it in RV(ssh).
      - Checked as that module checks them, before anything is read. V({}) reads with that module's defaults.
      - Where the ssh client is not installed, nothing of it is read and RV(ssh) is V(null) (a role installs OpenSSH
        and reads again).
    type: dict
  sshd_listen:
    description:
      - Whether to read where connections reach sshd, as RV(crhq.platform.ssh_facts#module:listen) says it (the ports of
        C(sshd -T), or of C(ssh.socket) when socket activation is in use), so a firewall opens the port SSH really uses
        without a M(crhq.platform.ssh_facts) call of its own.
    type: bool
    default: false
  health:
    description:
      - An HTTP GET through a service's own UNIX socket (behind any proxy), whose status code is returned in
        RV(health), so a role that checks that its service answers needs no M(ansible.builtin.uri) task while nothing
        restarted it since this read. The body is never returned.
      - A socket-activated service is started by the request, as by any client's; a role leaves this out of a
        check-mode run.
    type: dict
    suboptions:
      socket:
        description: The UNIX socket to connect to.
        type: path
        required: true
      url:
        description: C(http://HOST/PATH); HOST is sent as the C(Host) header.
        type: str
        required: true
      headers:
        description: More request headers.
        type: dict
        default: {}
      timeout:
        description: Seconds to wait for the connection and the answer.
        type: int
        default: 10
  accounts:
    description:
      - Whether to read the local accounts (C(/etc/passwd), C(/etc/group)) and the kind of password each user has
        (C(/etc/shadow)), for P(crhq.platform.account_changes#filter) and
        P(crhq.platform.home_directories#filter).
      - A password hash never leaves the host; RV(accounts.users) says only whether there is one.
    type: bool
    default: false
  homes:
    description:
      - Whether to read, without checksums, the home directories P(crhq.platform.home_directories#filter) selects
        from the local accounts (root's, regular accounts' under C(/home), service accounts' with a login shell under
        C(/var/lib)), so a role that closes them to other users needs no M(ansible.builtin.find) task of its own.
      - Reads the accounts as O(accounts) does and returns them in RV(accounts). Each home that exists is in
        RV(paths.files); one that does not is left out of RV(paths.missing) as well.
    type: bool
    default: false
  link_targets:
    description:
      - Whether to read, without a checksum, the path each symbolic link of O(paths) and O(patterns) finally resolves
        to (its C(lnk_source)), for a role that sets the mode of what a link runs (C(/usr/bin/cc) names a compiler
        through two links).
      - Each target that exists is in RV(paths.files), once; a dangling link adds nothing.
    type: bool
    default: false
  get_checksum:
    description: Whether to return the SHA-1 checksum of each regular file of O(paths).
    type: bool
    default: true
  units:
    description:
      - systemd units to read, as O(crhq.platform.unit_facts#module:names) takes them. Without any, systemctl is
        not run.
    type: list
    elements: str
    default: []
  capabilities:
    description:
      - Whether to read the capability bounding set of the module's process (the C(CapBnd) line of
        C(/proc/self/status)), that is the capabilities any process on the host can hold. A container's runtime
        narrows it; a role uses it to skip what the host cannot do (process accounting needs C(cap_sys_pacct)).
    type: bool
    default: false
  memory:
    description:
      - Whether to read the RAM the kernel manages (the C(MemTotal) line of C(/proc/meminfo)), as RV(memtotal_mb); the
        same number as the C(memtotal_mb) fact of the setup module's C(hardware) subset, without gathering that subset.
    type: bool
    default: false
  status_file:
    description:
      - dpkg's status file, as for M(crhq.platform.dpkg_facts). Only to be changed for tests.
    type: path
    default: /var/lib/dpkg/status
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - crhq.platform.read_only
notes:
  - dpkg's database is read only when O(packages) names a package, systemctl runs only when O(units) names a
    unit, a program of O(outputs) only when named, C(/proc/self/status) is read only with O(capabilities),
    C(/proc/meminfo) only with O(memory), and the account files only with O(accounts) or O(homes).
  - A role parses what O(contents) returns with the collection's filters (P(crhq.platform.key_value_changes#filter)
    for C(/etc/login.defs), for instance), not in long Jinja.
  - Only the standard library is needed on the managed host.
seealso:
  - module: crhq.platform.ssh_facts
  - module: crhq.platform.dpkg_facts
  - module: crhq.platform.path_facts
  - module: crhq.platform.unit_facts
  - plugin: crhq.platform.paths_in_place
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Read the role's package, files and timer in one pass
  crhq.platform.host_facts:
    packages: [restic]
    paths: [/etc/crhq/backup.env, /etc/systemd/system/crhq-backup.timer]
    units: [crhq-backup.timer]
  register: example_read

- name: Can this host enable process accounting? (a container may not)
  crhq.platform.host_facts:
    capabilities: true
  register: example_caps

- name: Say so where it cannot
  ansible.builtin.debug:
    msg: process accounting needs cap_sys_pacct, which this host's processes cannot hold
  when: "'cap_sys_pacct' not in example_caps.capabilities"

- name: Read the login defaults and whether an update waits for a reboot, with the other reads
  crhq.platform.host_facts:
    packages: [login]
    contents: [/etc/login.defs, /run/reboot-required.pkgs]
  register: example_texts

- name: Say which packages wait for a reboot (null when none does)
  ansible.builtin.debug:
    msg: "{{ example_texts.contents['/run/reboot-required.pkgs'] | split | unique | join(', ') }}"
  when: example_texts.contents['/run/reboot-required.pkgs'] is not none

- name: Read the local accounts with the other reads
  crhq.platform.host_facts:
    paths: [/home/agent]
    accounts: true
  register: example_accounts

- name: The agent user, only where it is not already as wanted
  ansible.builtin.user:
    name: agent
    shell: /usr/sbin/nologin
    password: "!"
  when: >-
    example_accounts.accounts | crhq.platform.account_changes({'name': 'agent', 'shell': '/usr/sbin/nologin',
    'password': '!'}) | length > 0

- name: Install restic only when dpkg does not have it
  ansible.builtin.apt:
    name: "{{ example_read.packages.missing }}"
  when: example_read.packages.missing | length > 0

- name: Start the timer only when it is not already enabled and waiting
  ansible.builtin.systemd_service:
    name: crhq-backup.timer
    enabled: true
    state: started
  when: "'crhq-backup.timer' in example_read.units.unsettled"
"""

RETURN = r"""
packages:
  description: What M(crhq.platform.dpkg_facts) returns for O(packages).
  returned: always
  type: dict
  contains:
    installed:
      description: The installed packages of O(packages), each with its version.
      type: dict
      returned: always
      sample: {restic: 0.14.0-1+b5}
    missing:
      description: The packages of O(packages) dpkg does not have installed.
      type: list
      elements: str
      returned: always
      sample: []
paths:
  description:
    - What M(crhq.platform.path_facts) returns for O(paths), with what O(patterns), O(private_paths), O(homes) and
      O(link_targets) add.
  returned: always
  type: dict
  contains:
    files:
      description: One entry per path that exists, with the keys M(crhq.platform.path_facts) returns.
      type: list
      elements: dict
      returned: always
    missing:
      description: The paths that do not exist.
      type: list
      elements: str
      returned: always
      sample: [/etc/crhq/backup.env]
units:
  description: What M(crhq.platform.unit_facts) returns for O(units).
  returned: always
  type: dict
  contains:
    units:
      description: Each unit's state, by name, with the keys M(crhq.platform.unit_facts) returns.
      type: dict
      returned: always
    settled:
      description: The units of O(units) that are loaded, active and enabled and need no daemon-reload.
      type: list
      elements: str
      returned: always
    unsettled:
      description: The other units of O(units).
      type: list
      elements: str
      returned: always
      sample: [crhq-backup.timer]
listings:
  description:
    - The entries of each directory of O(listings), by directory, sorted by name, each with the keys of an entry of
      RV(paths.files) but C(checksum); V(null) for a directory that does not exist.
    - Empty unless O(listings) names a directory.
  returned: always
  type: dict
  sample: {/opt/crhq/app/releases: [{path: /opt/crhq/app/releases/crhq-app-0.1.0-3f2a9c1e, isdir: true, mtime: 1796323176.8,
           mode: "0755", pw_name: root, gr_name: root}]}
contents:
  description:
    - The text of each path of O(contents), by path; V(null) for one that does not exist.
    - Empty unless O(contents) names a path.
  returned: always
  type: dict
  sample: {/etc/login.defs: "UMASK\t\t027\n", /run/reboot-required.pkgs: null}
accounts:
  description:
    - The local accounts, with O(accounts) or O(homes); empty otherwise.
  returned: always
  type: dict
  contains:
    users:
      description:
        - Each user of C(/etc/passwd) by name (the first line of a name counts), with C(uid), C(gid), C(group) (the
          primary group's name), C(groups) (the supplementary groups that list the user, sorted), C(comment),
          C(home), C(shell) and C(password).
        - C(password) is the C(/etc/shadow) field when it holds no secret (V(""), V(!), V(!!), V(*), V(!*)), V(hash)
          or V(!hash) (locked) when it holds a hash, and V(null) when C(/etc/shadow) cannot be read or has no line
          for the user.
      type: dict
      returned: with O(accounts)
      sample: {agent: {uid: 998, gid: 998, group: agent, groups: [], comment: CRHQ agents, home: /home/agent,
               shell: /usr/sbin/nologin, password: "!"}}
    groups:
      description: Each group of C(/etc/group) by name, with C(gid) and C(members) (the users it lists).
      type: dict
      returned: with O(accounts)
      sample: {agent: {gid: 998, members: []}}
outputs:
  description:
    - What each program of O(outputs) printed, by name, with the keys a command task registers (C(cmd), C(rc),
      C(stdout), C(stderr), C(stdout_lines)); V(null) for one that is not installed.
    - Empty unless O(outputs) names a program.
  returned: always
  type: dict
  sample: {pg_lsclusters: {cmd: [/usr/bin/pg_lsclusters, --no-header], rc: 0, stderr: "",
           stdout: "15  main    5432 online postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log",
           stdout_lines: ["15  main    5432 online postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log"]}}
ssh:
  description:
    - With O(ssh), what M(crhq.platform.ssh_facts) returns for those options, under the same keys; V(null) when the
      ssh client is not installed; empty without O(ssh).
  returned: always
  type: dict
  sample: {accepted_algorithms: [ssh-ed25519], reachable_admins: [debian], weak_moduli: 0}
sshd_listen:
  description:
    - With O(sshd_listen), what RV(crhq.platform.ssh_facts#module:listen) returns (C(ports), C(config_ports),
      C(socket_activated), C(error)); empty otherwise.
  returned: always
  type: dict
  sample: {ports: [22], config_ports: [22], socket_activated: false, error: ""}
health:
  description:
    - With O(health), C(status), the HTTP status code of the answer (V(null) when none came, for want of a socket, a
      refused or closed connection or a timeout), and C(msg), the status line or why there was none; empty otherwise.
  returned: always
  type: dict
  sample: {status: 200, msg: HTTP 200 OK}
memtotal_mb:
  description: With O(memory), the host's RAM in MiB (whole MiB, rounded down); V(null) otherwise.
  returned: always
  type: int
  sample: 3923
capabilities:
  description:
    - The capability names of the bounding set, sorted, lower case as C(capsh) prints them (C(cap_<number>) for one
      newer than this module knows).
    - Empty unless O(capabilities) is set.
  returned: always
  type: list
  elements: str
  sample: [cap_chown, cap_net_admin, cap_sys_admin]
"""

import copy

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.crhq.platform.plugins.module_utils import dpkg_status, systemd_units
from ansible_collections.crhq.platform.plugins.module_utils.accounts import AccountsError, home_directories, read_accounts
from ansible_collections.crhq.platform.plugins.module_utils.host_reads import (
    OUTPUTS, CapabilityError, HealthError, MemoryReadError, PathError, UnitReadError, expand_patterns, health_target,
    read_bounding_set, read_contents, read_database, read_health, read_listings, read_memtotal_mb, read_outputs,
    read_paths, read_units, relative_paths)
from ansible_collections.crhq.platform.plugins.module_utils.ssh_reads import ARGUMENT_SPEC as SSH_ARGUMENT_SPEC
from ansible_collections.crhq.platform.plugins.module_utils.ssh_reads import SshReadError, read_ssh
from ansible_collections.crhq.platform.plugins.module_utils.sshd_listen import listen_facts


def main():
    module = AnsibleModule(
        argument_spec=dict(
            packages=dict(type="list", elements="str", default=[]),
            paths=dict(type="list", elements="str", default=[]),
            patterns=dict(type="list", elements="str", default=[]),
            private_paths=dict(type="list", elements="str", default=[]),
            listings=dict(type="list", elements="str", default=[]),
            contents=dict(type="list", elements="str", default=[]),
            get_checksum=dict(type="bool", default=True),
            units=dict(type="list", elements="str", default=[]),
            capabilities=dict(type="bool", default=False),
            memory=dict(type="bool", default=False),
            accounts=dict(type="bool", default=False),
            homes=dict(type="bool", default=False),
            link_targets=dict(type="bool", default=False),
            outputs=dict(type="list", elements="str", default=[], choices=sorted(OUTPUTS)),
            ssh=dict(type="dict"),
            sshd_listen=dict(type="bool", default=False),
            health=dict(type="dict", options=dict(
                socket=dict(type="path", required=True),
                url=dict(type="str", required=True),
                headers=dict(type="dict", default={}),
                timeout=dict(type="int", default=10),
            )),
            status_file=dict(type="path", default="/var/lib/dpkg/status"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    # every option checked before anything is read: a wrong value fails the same on any host
    for option in ("paths", "patterns", "private_paths", "listings", "contents"):
        relative = relative_paths(params[option])
        if relative:
            module.fail_json(msg="%s must be absolute; not absolute: %s" % (option, ", ".join(repr(path) for path in relative)))
    try:
        dpkg_status.check_names(params["packages"])
    except dpkg_status.DpkgStatusError as exc:
        module.fail_json(msg="packages: %s" % exc)
    try:
        systemd_units.check_names(params["units"])
    except systemd_units.SystemdUnitsError as exc:
        module.fail_json(msg="units: %s" % exc)

    ssh_params = None
    if params["ssh"] is not None:
        checked = ArgumentSpecValidator(copy.deepcopy(SSH_ARGUMENT_SPEC)).validate(params["ssh"])
        if checked.error_messages:
            module.fail_json(msg="ssh: %s" % "; ".join(checked.error_messages))
        ssh_params = checked.validated_parameters
    if params["health"]:
        try:
            health_target(params["health"]["url"])
        except HealthError as exc:
            module.fail_json(msg="health: %s" % exc)
    accounts = {}
    if params["accounts"] or params["homes"]:
        try:
            accounts = read_accounts()
        except AccountsError as exc:
            module.fail_json(msg=str(exc))
    packages = {"installed": {}, "missing": []}
    if params["packages"]:
        try:
            installed, missing = dpkg_status.classify(read_database(params["status_file"]), params["packages"])
        except dpkg_status.DpkgStatusError as exc:
            module.fail_json(msg=str(exc))
        packages = {"installed": installed, "missing": missing}
    read = set()

    def unread(paths):
        """The paths no earlier read of this call took, each once: a path is read (and returned) only once."""
        fresh = [path for path in dict.fromkeys(paths) if path not in read]
        read.update(fresh)
        return fresh

    try:
        files, missing_paths = read_paths(module, unread(params["paths"]), params["get_checksum"])
        # a path gone since the match is not there: nothing to report
        files += read_paths(module, unread(expand_patterns(params["patterns"])), params["get_checksum"])[0]
        # read as private paths are (no checksum): a home is a directory, a link's target may be a large program
        derived = [entry["lnk_source"] for entry in files if params["link_targets"] and entry.get("lnk_source")]
        derived += [home["path"] for home in home_directories(accounts)] if params["homes"] else []
        files += read_paths(module, unread(derived), False)[0]  # one that does not exist: nothing to report
        private_files, missing_private = read_paths(module, unread(params["private_paths"]), False)
    except PathError as exc:
        module.fail_json(msg=str(exc))
    try:
        listings = read_listings(module, params["listings"])
    except PathError as exc:
        module.fail_json(msg="listings: %s" % exc)
    try:
        contents = read_contents(params["contents"])
    except PathError as exc:
        module.fail_json(msg="contents: %s" % exc)
    try:
        units, settled, unsettled = read_units(module, systemd_units.unique_names(params["units"]))
    except UnitReadError as exc:
        module.fail_json(msg=str(exc), **exc.details)
    capabilities = []
    if params["capabilities"]:
        try:
            capabilities = read_bounding_set()
        except CapabilityError as exc:
            module.fail_json(msg=str(exc))
    memtotal_mb = None
    if params["memory"]:
        try:
            memtotal_mb = read_memtotal_mb()
        except MemoryReadError as exc:
            module.fail_json(msg=str(exc))
    outputs = read_outputs(module, list(dict.fromkeys(params["outputs"])))
    ssh = {}
    if ssh_params is not None:
        client = module.get_bin_path("ssh")
        try:
            ssh = read_ssh(module, ssh_params, client) if client else None
        except SshReadError as exc:
            module.fail_json(msg="ssh: %s" % exc)
    sshd_listen = {}
    if params["sshd_listen"]:
        sshd_listen = listen_facts(module, module.get_bin_path("sshd", opt_dirs=["/usr/sbin"]))
    health = {}
    if params["health"]:
        request = params["health"]
        health = read_health(request["socket"], request["url"], request["headers"], request["timeout"])
    module.exit_json(changed=False, accounts=accounts, outputs=outputs, ssh=ssh, sshd_listen=sshd_listen,
                     health=health, packages=packages,
                     paths={"files": files + private_files, "missing": missing_paths + missing_private},
                     listings=listings,
                     units={"units": units, "settled": settled, "unsettled": unsettled}, contents=contents,
                     capabilities=capabilities, memtotal_mb=memtotal_mb)


if __name__ == "__main__":
    main()
