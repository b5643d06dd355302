# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read-only reads of the managed host behind crhq.platform.dpkg_facts, path_facts, unit_facts and
host_facts (which makes all three in one module call): dpkg's database, the paths a role manages, the state
of systemd units, the text of small configuration files, and the capabilities a process on the host can hold.
Each raises an error whose message names what could not be read."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import glob
import grp
import os
import pwd
import stat

from ansible_collections.crhq.platform.plugins.module_utils.dpkg_status import (DpkgStatusError, read_status,
                                                                                update_files)
from ansible_collections.crhq.platform.plugins.module_utils.systemd_units import (SystemdUnitsError, classify,
                                                                                  parse_show, show_args)

# lstat errors that mean "this path does not exist": no such entry, or a parent that is not a directory
ABSENT = (errno.ENOENT, errno.ENOTDIR)
# present when systemd runs as the first process (sd_booted() looks for it); without it systemctl cannot read units
SYSTEMD_RUN_DIR = "/run/systemd/system"


# Linux capability names by number (linux/capability.h); a number this table lacks is named cap_<number>
CAPABILITY_NAMES = (
    "cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid", "cap_kill", "cap_setgid",
    "cap_setuid", "cap_setpcap", "cap_linux_immutable", "cap_net_bind_service", "cap_net_broadcast", "cap_net_admin",
    "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner", "cap_sys_module", "cap_sys_rawio", "cap_sys_chroot",
    "cap_sys_ptrace", "cap_sys_pacct", "cap_sys_admin", "cap_sys_boot", "cap_sys_nice", "cap_sys_resource",
    "cap_sys_time", "cap_sys_tty_config", "cap_mknod", "cap_lease", "cap_audit_write", "cap_audit_control",
    "cap_setfcap", "cap_mac_override", "cap_mac_admin", "cap_syslog", "cap_wake_alarm", "cap_block_suspend",
    "cap_audit_read", "cap_perfmon", "cap_bpf", "cap_checkpoint_restore",
)
PROC_STATUS = "/proc/self/status"


class CapabilityError(Exception):
    """The bounding set cannot be read or is not where /proc/<pid>/status keeps it; the message says which."""


def parse_bounding_set(status_text):
    """The sorted capability names of the ``CapBnd`` line of a /proc/<pid>/status text: what any process started from
    it can ever hold. A container's runtime narrows this set (Docker leaves out cap_sys_pacct, for one)."""
    for line in status_text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key == "CapBnd":
            try:
                mask = int(value.strip(), 16)
            except ValueError:
                raise CapabilityError("CapBnd is not a hexadecimal mask: %r" % value.strip()) from None
            return sorted(CAPABILITY_NAMES[bit] if bit < len(CAPABILITY_NAMES) else "cap_%d" % bit
                          for bit in range(mask.bit_length()) if mask >> bit & 1)
    raise CapabilityError("no CapBnd line (a Linux /proc/<pid>/status has one)")


def _read_parsed(path, parse, error):
    """parse(the text of `path`); a file that cannot be read, or a text `parse` refuses, raises `error` naming it."""
    try:
        text = read_text(path)
    except OSError as exc:
        raise error("cannot read %s: %s" % (path, exc.strerror or exc)) from None
    try:
        return parse(text)
    except error as exc:
        raise error("%s: %s" % (path, exc)) from None


def read_bounding_set(path=None):
    """The capability bounding set of the process reading it (the module's, so the host's or the container's)."""
    return _read_parsed(path or PROC_STATUS, parse_bounding_set, CapabilityError)


MEMINFO = "/proc/meminfo"


class MemoryReadError(Exception):
    """/proc/meminfo cannot be read or has no MemTotal line in kB; the message says which."""


def parse_memtotal_mb(meminfo_text):
    """The RAM the kernel manages (the ``MemTotal`` line of /proc/meminfo, in kB) in whole MiB, as the setup
    module's ``memtotal_mb`` fact counts it. In a container it is the host's, unless the runtime's /proc says less."""
    for line in meminfo_text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key == "MemTotal":
            fields = value.split()
            if len(fields) != 2 or fields[1] != "kB" or not fields[0].isdigit():
                raise MemoryReadError("MemTotal is not a number of kB: %r" % value.strip())
            return int(fields[0]) // 1024
    raise MemoryReadError("no MemTotal line (a Linux /proc/meminfo has one)")


def read_memtotal_mb(path=None):
    """The host's RAM in MiB, from /proc/meminfo (or `path`)."""
    return _read_parsed(path or MEMINFO, parse_memtotal_mb, MemoryReadError)


class PathError(Exception):
    """A path that exists but cannot be read; the message names it."""


class UnitReadError(Exception):
    """systemctl show failed, or printed what cannot be read; ``msg`` says why, ``details`` has rc and output."""

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.details = details


def read_text(path):
    """The file's text (dpkg writes UTF-8; a stray byte in a description must not stop the read)."""
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace")


def read_database(status_file):
    """The status map of dpkg's database: the status file, then the updates journalled next to it, in order."""
    try:
        text = read_text(status_file)
    except OSError as exc:
        hint = "; is dpkg installed (a Debian host)?" if exc.errno == errno.ENOENT else ""
        raise DpkgStatusError("cannot read dpkg's status file %s: %s%s" % (status_file, exc.strerror or exc, hint)) from None
    try:
        status = read_status(text)
    except DpkgStatusError as exc:
        raise DpkgStatusError("%s is not a dpkg status file: %s" % (status_file, exc)) from None
    updates = os.path.join(os.path.dirname(status_file), "updates")
    try:
        names = os.listdir(updates)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return status
        raise DpkgStatusError("cannot list dpkg's updates directory %s: %s" % (updates, exc.strerror or exc)) from None
    for name in update_files(names):
        path = os.path.join(updates, name)
        try:
            text = read_text(path)
        except OSError as exc:
            if exc.errno == errno.ENOENT:  # merged into the status file by a dpkg running now
                continue
            raise DpkgStatusError("cannot read dpkg's update file %s: %s" % (path, exc.strerror or exc)) from None
        try:
            read_status(text, status)
        except DpkgStatusError as exc:
            raise DpkgStatusError("%s is not a dpkg update file: %s" % (path, exc)) from None
    return status


def statinfo(path, st):
    """The keys of ansible.builtin.find's statinfo() the roles use, computed the same way."""
    try:
        pw_name = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        pw_name = ""
    try:
        gr_name = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        gr_name = ""
    return {
        "path": path,
        "mode": "%04o" % stat.S_IMODE(st.st_mode),
        "isreg": stat.S_ISREG(st.st_mode),
        "isdir": stat.S_ISDIR(st.st_mode),
        "islnk": stat.S_ISLNK(st.st_mode),
        "uid": st.st_uid,
        "gid": st.st_gid,
        "pw_name": pw_name,
        "gr_name": gr_name,
        "size": st.st_size,
        "mtime": st.st_mtime,
    }


def relative_paths(paths):
    """The entries of `paths` that are not absolute (an empty one included)."""
    return [path for path in paths if not path or not os.path.isabs(path)]


def read_path(module, path, get_checksum):
    """The find-like entry for path, or None when it does not exist; PathError when it cannot be read."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        if exc.errno in ABSENT:
            return None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise PathError("%s: cannot be read, a parent directory does not let this user through (%s);"
                            " run the task as a user that may read it (become)" % (path, exc.strerror)) from None
        raise PathError("%s: cannot be read: %s" % (path, exc.strerror or exc)) from None
    entry = statinfo(path, st)
    if stat.S_ISLNK(st.st_mode):  # where it points, as written in the link: stat's lnk_target (find has none)
        try:
            entry["lnk_target"] = os.readlink(path)
            entry["lnk_source"] = os.path.realpath(path)  # the path every link on the way resolves to, as stat's
        except OSError as exc:
            if exc.errno in ABSENT:  # removed between lstat and the read
                return None
            raise PathError("%s: cannot read the symbolic link: %s" % (path, exc.strerror or exc)) from None
    if get_checksum and stat.S_ISREG(st.st_mode):  # like find: lstat says regular file, so never a symlink
        try:
            entry["checksum"] = module.digest_from_file(path, "sha1")  # what find calls, same algorithm
        except OSError as exc:
            raise PathError("%s: cannot read the file's content for its checksum: %s" % (path, exc.strerror or exc)) from None
        if entry["checksum"] is None:  # removed between lstat and the read
            return None
    return entry


def read_paths(module, paths, get_checksum):
    """(files, missing) for these absolute paths; PathError for a path that cannot be read."""
    files, missing, seen = [], [], set()
    for path in paths:
        if path in seen:
            continue
        seen.add(path)
        entry = read_path(module, path, get_checksum)
        if entry is None:
            missing.append(path)
        else:
            files.append(entry)
    return files, missing


# the most a file read whole may hold: configuration files and lists, never data
CONTENT_MAX_BYTES = 1 << 20


def read_content(path):
    """The text of the regular file at path (symbolic links followed), or None when it does not exist; PathError for
    anything else that stops the read: a directory, a file larger than CONTENT_MAX_BYTES, no permission."""
    try:
        handle = open(path, "rb")
    except OSError as exc:
        if exc.errno in ABSENT:
            return None
        if exc.errno == errno.EISDIR:
            raise PathError("%s: not a regular file, so it has no content to read" % path) from None
        raise PathError("%s: cannot be read: %s" % (path, exc.strerror or exc)) from None
    with handle:
        st = os.fstat(handle.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise PathError("%s: not a regular file, so it has no content to read" % path)
        if st.st_size > CONTENT_MAX_BYTES:
            raise PathError("%s: %d bytes, more than the %d a configuration file read whole may hold"
                            % (path, st.st_size, CONTENT_MAX_BYTES))
        try:
            data = handle.read(CONTENT_MAX_BYTES + 1)
        except OSError as exc:
            raise PathError("%s: cannot be read: %s" % (path, exc.strerror or exc)) from None
    if len(data) > CONTENT_MAX_BYTES:  # grew between the size check and the read
        raise PathError("%s: more than the %d bytes a configuration file read whole may hold" % (path, CONTENT_MAX_BYTES))
    return data.decode("utf-8", "replace")


def read_contents(paths):
    """{path: text, or None when it does not exist} for these absolute paths; PathError for one that cannot be read."""
    return dict((path, read_content(path)) for path in paths)


def show_failure(rc, err):
    """The message for a failed systemctl show, saying so when the host was not booted with systemd."""
    msg = "systemctl show failed (rc %d): %s" % (rc, err.strip()[-1000:] or "no error output")
    if not os.path.isdir(SYSTEMD_RUN_DIR) or "not been booted with systemd" in err:
        msg += ("; this host was not booted with systemd (no %s), a container whose first process is not systemd"
                " for instance, so systemctl cannot read the state of units" % SYSTEMD_RUN_DIR)
    return msg


def read_units(module, names):
    """(units, settled, unsettled) for these unique, checked unit names, read with one systemctl show;
    UnitReadError when systemctl fails or prints what cannot be read."""
    if not names:
        return {}, [], []
    systemctl = module.get_bin_path("systemctl", required=True)
    rc, out, err = module.run_command([systemctl] + show_args(names))
    if rc != 0:
        raise UnitReadError(show_failure(rc, err), rc=rc, stdout=out, stderr=err)
    try:
        units = parse_show(out, names)
    except SystemdUnitsError as exc:
        raise UnitReadError("cannot read what systemctl show printed: %s" % exc, rc=rc, stdout=out, stderr=err) from None
    settled, unsettled = classify(units)
    return units, settled, unsettled


# The read-only programs whose output a role parses (crhq.platform.host_facts's outputs), each with its fixed
# arguments: a name cannot run anything else. The roles parse the text with the collection's filters
# (crhq.platform.postgresql_cluster, crhq.platform.ufw_plan), as they did the command task's.
OUTPUTS = {
    "pg_lsclusters": ["pg_lsclusters", "--no-header"],
    "ufw_status": ["ufw", "status", "verbose"],
}


def read_outputs(module, names):
    """name -> {rc, stdout, stderr, stdout_lines} (what a command task registers) for each program of OUTPUTS named,
    or None for one that is not installed. A program that exits non-zero is returned as it ran: the role decides."""
    outputs = {}
    for name in names:
        argv = OUTPUTS[name]
        program = module.get_bin_path(argv[0], opt_dirs=["/usr/sbin", "/sbin"])
        if program is None:
            outputs[name] = None
            continue
        rc, out, err = module.run_command([program] + argv[1:])
        outputs[name] = {"cmd": [program] + argv[1:], "rc": rc, "stdout": out, "stderr": err,
                         "stdout_lines": out.splitlines()}
    return outputs


class HealthError(Exception):
    """A health request that cannot be made as given (not an http:// URL); the message says why."""


def health_target(url):
    """(host, request target) of an http://HOST/PATH URL; HealthError for any other."""
    from urllib.parse import urlsplit  # pylint: disable=import-outside-toplevel

    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise HealthError("url must be http://HOST/PATH (the request goes through the socket), got %r" % url)
    return parts.netloc, (parts.path or "/") + ("?" + parts.query if parts.query else "")


def read_health(socket_path, url, headers, timeout):
    """{status, msg}: the status code of an HTTP GET of url through the UNIX socket socket_path (the Host header from
    the URL, then headers), or status None with the reason when no answer came. The body is never returned."""
    import http.client  # pylint: disable=import-outside-toplevel
    import socket  # pylint: disable=import-outside-toplevel

    host, target = health_target(url)

    class UnixConnection(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(socket_path)

    conn = UnixConnection(host, timeout=timeout)
    try:
        conn.request("GET", target, headers=dict(headers))
        response = conn.getresponse()
        response.read(1 << 16)
        return {"status": response.status, "msg": "HTTP %d %s" % (response.status, response.reason)}
    except (OSError, http.client.HTTPException) as exc:
        return {"status": None, "msg": "no answer through %s: %s" % (socket_path, exc)}
    finally:
        conn.close()


def read_listings(module, directories):
    """directory -> the find-like entries (no checksum) of what it holds, sorted by name, or None for a directory that
    does not exist; PathError for one that is not a directory or cannot be listed."""
    listings = {}
    for directory in directories:
        if directory in listings:
            continue
        try:
            names = sorted(os.listdir(directory))
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                listings[directory] = None
                continue
            raise PathError("%s: cannot be listed: %s" % (directory, exc.strerror or exc)) from None
        entries = []
        for name in names:
            entry = read_path(module, os.path.join(directory, name), False)
            if entry is not None:  # removed between the listing and the read
                entries.append(entry)
        listings[directory] = entries
    return listings


def expand_patterns(patterns):
    """The existing paths each absolute shell pattern matches (Python's glob, no hidden entries for `*`), sorted, in
    the order of the patterns, each once."""
    matched = []
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            if path not in matched:
                matched.append(path)
    return matched
