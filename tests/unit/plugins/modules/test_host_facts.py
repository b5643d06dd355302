# -*- coding: utf-8 -*-
"""crhq.platform.host_facts: in one call, what dpkg_facts, path_facts and unit_facts return for the same arguments
(the fake systemctl of test_unit_facts, the status database of test_dpkg_facts, real files), and each bad option
refused before anything is read."""

from __future__ import annotations

import pytest

from ansible_collections.crhq.platform.plugins.module_utils import host_reads
from ansible_collections.crhq.platform.plugins.modules import dpkg_facts, host_facts, path_facts, unit_facts

from .module_runner import run_module
from .test_dpkg_facts import STATUS
from .test_unit_facts import fixture_systemctl  # noqa: F401 pylint: disable=unused-import

PACKAGES = ["bash", "nginx", "libc6:i386", "postgresql-15", "crhq-no-such-package"]
UNIT_NAMES = ["nginx.service", "sshd.service", "fail2ban.service", "crhq-backup.service", "crhq-gone.timer"]


@pytest.fixture(name="status_file")
def fixture_status_file(tmp_path):
    admindir = tmp_path / "dpkg"
    admindir.mkdir()
    (admindir / "status").write_text(STATUS, encoding="utf-8")
    return admindir / "status"


@pytest.fixture(name="tree")
def fixture_tree(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "example.conf").write_text("example = 1\n")
    (tmp_path / "etc" / "private").write_text("x")
    (tmp_path / "etc" / "private").chmod(0o600)
    return [str(tmp_path / "etc"), str(tmp_path / "etc" / "example.conf"), str(tmp_path / "etc" / "private"),
            str(tmp_path / "etc" / "gone.conf"), str(tmp_path / "etc" / "example.conf" / "under-a-file")]


def result(capsys, main, **args):
    out = run_module(main, capsys, **args)
    assert not out.get("failed"), out
    for key in ("changed", "invocation", "warnings", "deprecations"):
        out.pop(key, None)
    return out


def test_one_call_returns_what_the_three_modules_return(capsys, systemctl, status_file, tree):
    both = result(capsys, host_facts.main, packages=PACKAGES, paths=tree, units=UNIT_NAMES, status_file=str(status_file))
    assert both["packages"] == result(capsys, dpkg_facts.main, names=PACKAGES, status_file=str(status_file))
    assert both["paths"] == result(capsys, path_facts.main, paths=tree)
    assert both["units"] == result(capsys, unit_facts.main, names=UNIT_NAMES)
    assert both["packages"]["missing"] == ["nginx", "postgresql-15", "crhq-no-such-package"]
    assert both["paths"]["missing"] == tree[3:]
    assert both["units"]["unsettled"] == ["fail2ban.service", "crhq-backup.service", "crhq-gone.timer"]
    assert len(systemctl.calls) == 2  # one each for host_facts and unit_facts


def test_checksums_can_be_left_out(capsys, tree):
    out = result(capsys, host_facts.main, paths=tree, get_checksum=False)
    assert out["paths"] == result(capsys, path_facts.main, paths=tree, get_checksum=False)
    assert not any("checksum" in entry for entry in out["paths"]["files"])


def test_a_secret_is_read_with_the_paths_and_never_checksummed(capsys, tree):
    out = result(capsys, host_facts.main, paths=tree[:2], private_paths=tree[2:])
    assert out["paths"]["missing"] == tree[3:]
    by_path = {entry["path"]: entry for entry in out["paths"]["files"]}
    assert list(by_path) == tree[:3]
    assert "checksum" in by_path[tree[1]] and "checksum" not in by_path[tree[2]]
    assert by_path[tree[2]]["mode"] == "0600" and by_path[tree[2]]["isreg"]
    # a path given as both is read once, as a path
    both = result(capsys, host_facts.main, paths=tree[1:2], private_paths=tree[1:2])
    assert [entry["path"] for entry in both["paths"]["files"]] == tree[1:2] and "checksum" in both["paths"]["files"][0]


def test_outputs_run_only_their_fixed_programs_and_say_which_are_missing(capsys, monkeypatch, tmp_path):
    """pg_lsclusters (a stand-in on PATH printing one cluster) runs with its one argument; a program that is not
    installed is null; a non-zero exit is returned as it ran; a name outside the list is refused before any read."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pg_lsclusters"
    fake.write_text('#!/bin/sh\necho "$@" > %s/args\necho "15  main    5432 online postgres /var/lib/postgresql/15/main -"\n'
                    % tmp_path)
    fake.chmod(0o755)
    failing = bin_dir / "crhq-failing-ufw"
    failing.write_text("#!/bin/sh\necho 'ERROR: You need to be root to run this script' >&2\nexit 1\n")
    failing.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setitem(host_reads.OUTPUTS, "ufw_status", ["crhq-failing-ufw", "status", "verbose"])
    out = result(capsys, host_facts.main, outputs=["pg_lsclusters", "ufw_status", "pg_lsclusters"])
    assert (tmp_path / "args").read_text() == "--no-header\n"
    assert out["outputs"]["pg_lsclusters"]["rc"] == 0
    assert out["outputs"]["pg_lsclusters"]["stdout_lines"] == ["15  main    5432 online postgres /var/lib/postgresql/15/main -"]
    assert out["outputs"]["ufw_status"]["rc"] == 1 and "be root" in out["outputs"]["ufw_status"]["stderr"]
    monkeypatch.setitem(host_reads.OUTPUTS, "ufw_status", ["crhq-no-such-program", "status", "verbose"])
    assert result(capsys, host_facts.main, outputs=["ufw_status"])["outputs"] == {"ufw_status": None}
    assert result(capsys, host_facts.main)["outputs"] == {}
    refused = run_module(host_facts.main, capsys, outputs=["rm"])
    assert refused["failed"] and "value of outputs must be one or more of: pg_lsclusters, ufw_status" in refused["msg"], refused


@pytest.fixture(name="app_socket")
def fixture_app_socket(tmp_path):
    """A real HTTP server on a UNIX socket: /healthz answers 200 only with the app's Host and X-Forwarded-Proto,
    /broken 500; it records each request's path and headers."""
    import http.server  # pylint: disable=import-outside-toplevel
    import socketserver  # pylint: disable=import-outside-toplevel
    import threading  # pylint: disable=import-outside-toplevel

    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 pylint: disable=invalid-name
            seen.append((self.path, self.headers.get("Host"), self.headers.get("X-Forwarded-Proto")))
            ok = self.path == "/healthz" and self.headers.get("Host") == "crhq.example.com" \
                and self.headers.get("X-Forwarded-Proto") == "https"
            self.send_response(200 if ok else 500)
            self.end_headers()
            self.wfile.write(b"a body that is never returned")

        def log_message(self, *args):  # pylint: disable=arguments-differ
            pass

        def address_string(self):
            return "unix"

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

    path = str(tmp_path / "app.sock")
    server = Server(path, Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield path, seen
    server.shutdown()
    server.server_close()


def test_health_is_the_status_of_a_get_through_the_socket(capsys, app_socket, tmp_path):
    path, seen = app_socket
    request = {"socket": path, "url": "http://crhq.example.com/healthz", "headers": {"X-Forwarded-Proto": "https"}}
    out = result(capsys, host_facts.main, health=request)
    assert out["health"] == {"status": 200, "msg": "HTTP 200 OK"}
    assert seen == [("/healthz", "crhq.example.com", "https")]
    assert "never returned" not in str(out)
    assert result(capsys, host_facts.main, health=dict(request, url="http://crhq.example.com/broken"))["health"]["status"] == 500
    assert result(capsys, host_facts.main, health=dict(request, headers={}))["health"]["status"] == 500
    gone = result(capsys, host_facts.main, health=dict(request, socket=str(tmp_path / "none.sock")))["health"]
    assert gone["status"] is None and gone["msg"].startswith("no answer through %s: " % (tmp_path / "none.sock")), gone
    assert result(capsys, host_facts.main)["health"] == {}
    refused = run_module(host_facts.main, capsys, health=dict(request, url="https://crhq.example.com/healthz"),
                         units=["nginx.service"])
    assert refused["failed"] and refused["msg"].startswith("health: url must be http://HOST/PATH"), refused
    assert len(seen) == 3


def test_listings_read_each_entry_of_a_directory_without_checksums(capsys, tmp_path):
    releases = tmp_path / "releases"
    releases.mkdir()
    (releases / "0.1.0-b").mkdir()
    (releases / "0.1.0-a").mkdir()
    (releases / ".hidden").write_text("x")
    (releases / "current").symlink_to(releases / "0.1.0-a")
    out = result(capsys, host_facts.main, listings=[str(releases), str(tmp_path / "gone"), str(releases)])
    entries = out["listings"][str(releases)]
    assert [entry["path"] for entry in entries] == [str(releases / name) for name in (".hidden", "0.1.0-a", "0.1.0-b", "current")]
    assert [entry["isdir"] for entry in entries] == [False, True, True, False] and entries[3]["islnk"]
    assert not any("checksum" in entry for entry in entries) and all("mtime" in entry for entry in entries)
    assert out["listings"][str(tmp_path / "gone")] is None and len(out["listings"]) == 2
    refused = run_module(host_facts.main, capsys, listings=[str(releases / ".hidden")])
    assert refused["failed"] and refused["msg"] == "listings: %s: cannot be listed: Not a directory" % (releases / ".hidden")


def test_sshd_listen_is_what_ssh_facts_returns_as_listen(capsys, tmp_path):
    """On this machine (with or without sshd), so the firewall's one read says what its ssh_facts call said."""
    from ansible_collections.crhq.platform.plugins.modules import ssh_facts  # pylint: disable=import-outside-toplevel
    out = result(capsys, host_facts.main, sshd_listen=True)
    assert out["sshd_listen"] == result(capsys, ssh_facts.main, moduli_path=str(tmp_path / "none"))["listen"]
    assert set(out["sshd_listen"]) == {"ports", "config_ports", "socket_activated", "error"}
    assert result(capsys, host_facts.main)["sshd_listen"] == {}


def test_patterns_read_what_they_match_in_every_cluster(capsys, tmp_path):
    """The postgresql role's read: the files it writes in the configuration directory of every cluster."""
    for version in ("15", "17"):
        (tmp_path / version / "main" / "conf.d").mkdir(parents=True)
        (tmp_path / version / "main" / "pg_hba.conf").write_text("local all postgres peer\n")
    (tmp_path / "17" / "main" / "conf.d" / "50-crhq.conf").write_text("shared_buffers = 128MB\n")
    patterns = [str(tmp_path / "*" / "*" / "conf.d" / "50-crhq.conf"), str(tmp_path / "*" / "*" / "pg_hba.conf"),
                str(tmp_path / "*" / "*" / "nothing-matches")]
    out = result(capsys, host_facts.main, paths=[str(tmp_path / "17" / "main" / "pg_hba.conf")], patterns=patterns)
    assert [entry["path"] for entry in out["paths"]["files"]] == [
        str(tmp_path / "17" / "main" / "pg_hba.conf"), str(tmp_path / "17" / "main" / "conf.d" / "50-crhq.conf"),
        str(tmp_path / "15" / "main" / "pg_hba.conf")]
    assert all("checksum" in entry for entry in out["paths"]["files"]) and out["paths"]["missing"] == []
    refused = run_module(host_facts.main, capsys, patterns=["*/main/pg_hba.conf"])
    assert refused["failed"] and refused["msg"] == "patterns must be absolute; not absolute: '*/main/pg_hba.conf'"


def test_ssh_is_what_ssh_facts_returns_for_the_same_options(capsys, tmp_path, monkeypatch):
    """The hardening role's read: ssh_facts's result in the one call; null without an ssh client; options checked
    as ssh_facts checks them, before anything is read."""
    from ansible_collections.crhq.platform.plugins.modules import ssh_facts  # pylint: disable=import-outside-toplevel
    options = {"admin_users": ["root"], "moduli_path": str(tmp_path / "none"), "effective_users": ["root"],
               "accepted_algorithms": ["ssh-ed25519"], "permit_root_login": "prohibit-password"}
    out = result(capsys, host_facts.main, ssh=options)
    assert out["ssh"] == result(capsys, ssh_facts.main, **options)
    assert out["ssh"]["supported"]["kex"] and out["ssh"]["admins"][0]["user"] == "root"
    assert result(capsys, host_facts.main)["ssh"] == {}
    refused = run_module(host_facts.main, capsys, ssh={"permit_root_login": "maybe"}, units=["nginx.service"])
    assert refused["failed"] and refused["msg"].startswith("ssh: value of permit_root_login must be one of"), refused
    refused = run_module(host_facts.main, capsys, ssh={"admin_user": ["root"]})
    assert refused["failed"] and refused["msg"].startswith("ssh: ") and "admin_user" in refused["msg"], refused
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(host_facts.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: None)
    assert result(capsys, host_facts.main, ssh={})["ssh"] is None


def test_what_is_not_asked_for_is_not_read(capsys, systemctl, tmp_path):
    """No unit: systemctl is not run. No package: dpkg's database is not opened (this one does not exist)."""
    out = result(capsys, host_facts.main, paths=[str(tmp_path)], status_file=str(tmp_path / "no-dpkg" / "status"))
    assert out["packages"] == {"installed": {}, "missing": []}
    assert out["units"] == {"units": {}, "settled": [], "unsettled": []}
    assert [entry["path"] for entry in out["paths"]["files"]] == [str(tmp_path)]
    assert systemctl.calls == []


@pytest.mark.parametrize("args, message", [
    ({"paths": ["etc/example.conf"]}, "paths must be absolute; not absolute: 'etc/example.conf'"),
    ({"private_paths": ["restic.password"]}, "private_paths must be absolute; not absolute: 'restic.password'"),
    ({"packages": ["nginx=1.22.1-9"]}, "packages: "),
    ({"units": ["crhq-agent@.service"]}, "units: "),
])
def test_a_bad_option_fails_before_anything_is_read(capsys, systemctl, tmp_path, args, message):
    args = dict({"units": ["nginx.service"], "packages": ["bash"], "status_file": str(tmp_path / "absent")}, **args)
    out = run_module(host_facts.main, capsys, **args)
    assert out["failed"] and out["msg"].startswith(message), out
    assert systemctl.calls == []


def test_a_failed_read_fails_with_the_message_of_the_module_it_replaces(capsys, systemctl, status_file, tmp_path):
    systemctl.fail(1, "Failed to connect to bus: Host is down\n")
    out = run_module(host_facts.main, capsys, units=["nginx.service"])
    assert out["failed"] and out["msg"].startswith("systemctl show failed (rc 1): Failed to connect to bus"), out
    assert out["rc"] == 1
    out = run_module(host_facts.main, capsys, packages=["bash"], status_file=str(tmp_path / "absent"))
    assert out["failed"] and "cannot read dpkg's status file" in out["msg"], out


def test_capabilities_are_read_only_when_asked(capsys, monkeypatch, tmp_path):
    status = tmp_path / "status"
    # Docker's default set with SYS_ADMIN and NET_ADMIN added: no cap_sys_pacct (bit 20)
    status.write_text("Name:\tpython3\nCapInh:\t0000000000000000\nCapBnd:\t00000000a82435fb\nNoNewPrivs:\t0\n")
    monkeypatch.setattr(host_reads, "PROC_STATUS", str(status))
    assert result(capsys, host_facts.main)["capabilities"] == []
    caps = result(capsys, host_facts.main, capabilities=True)["capabilities"]
    assert "cap_sys_admin" in caps and "cap_net_admin" in caps and "cap_chown" in caps
    assert "cap_sys_pacct" not in caps and "cap_sys_module" not in caps
    assert caps == sorted(caps)


def test_an_unreadable_bounding_set_fails_with_the_file_named(capsys, monkeypatch, tmp_path):
    status = tmp_path / "status"
    status.write_text("Name:\tpython3\n")
    monkeypatch.setattr(host_reads, "PROC_STATUS", str(status))
    out = run_module(host_facts.main, capsys, capabilities=True)
    assert out["failed"] and str(status) in out["msg"] and "CapBnd" in out["msg"], out


def test_memory_is_read_only_when_asked(capsys, monkeypatch, tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:        2097152 kB\nMemFree:  1 kB\n")
    monkeypatch.setattr(host_reads, "MEMINFO", str(meminfo))
    assert result(capsys, host_facts.main)["memtotal_mb"] is None
    assert result(capsys, host_facts.main, memory=True)["memtotal_mb"] == 2048
    meminfo.write_text("MemFree:  1 kB\n")
    out = run_module(host_facts.main, capsys, memory=True)
    assert out["failed"] and str(meminfo) in out["msg"] and "MemTotal" in out["msg"], out


def test_contents_are_returned_whole_and_a_missing_file_is_null(capsys, tmp_path):
    (tmp_path / "login.defs").write_text("UMASK\t\t027\nENCRYPT_METHOD YESCRYPT\n")
    (tmp_path / "latin1").write_bytes(b"caf\xe9\n")
    (tmp_path / "link").symlink_to(tmp_path / "login.defs")
    paths = [str(tmp_path / name) for name in ("login.defs", "latin1", "link", "reboot-required.pkgs")]
    out = result(capsys, host_facts.main, contents=paths)
    assert out["contents"] == {paths[0]: "UMASK\t\t027\nENCRYPT_METHOD YESCRYPT\n", paths[1]: "caf\ufffd\n",
                               paths[2]: "UMASK\t\t027\nENCRYPT_METHOD YESCRYPT\n", paths[3]: None}
    assert result(capsys, host_facts.main)["contents"] == {}


def test_a_content_that_cannot_be_read_whole_fails_naming_the_path(capsys, monkeypatch, tmp_path):
    out = run_module(host_facts.main, capsys, contents=[str(tmp_path)])
    assert out["failed"] and out["msg"] == "contents: %s: not a regular file, so it has no content to read" % tmp_path
    big = tmp_path / "big"
    big.write_text("x" * 65)
    monkeypatch.setattr(host_reads, "CONTENT_MAX_BYTES", 64)
    out = run_module(host_facts.main, capsys, contents=[str(big)])
    assert out["failed"] and out["msg"].startswith("contents: %s: 65 bytes, more than the 64" % big), out
    out = run_module(host_facts.main, capsys, contents=["etc/login.defs"])
    assert out["failed"] and out["msg"] == "contents must be absolute; not absolute: 'etc/login.defs'", out


def test_accounts_are_read_only_when_asked_and_no_hash_comes_out(capsys, monkeypatch, tmp_path):
    from ansible_collections.crhq.platform.plugins.module_utils import accounts
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\nagent:x:998:998:CRHQ agents:/home/agent:/usr/sbin/nologin\n")
    (tmp_path / "group").write_text("root:x:0:\nagent:x:998:\n")
    (tmp_path / "shadow").write_text("root:$y$j9T$salt$secrethash:20000::::::\nagent:!:20000::::::\n")
    for name in ("passwd", "group", "shadow"):
        monkeypatch.setattr(accounts, name.upper(), str(tmp_path / name))
    assert result(capsys, host_facts.main)["accounts"] == {}
    out = run_module(host_facts.main, capsys, accounts=True)
    assert out["accounts"]["users"]["root"]["password"] == "hash" and out["accounts"]["users"]["agent"]["password"] == "!"
    assert out["accounts"]["groups"]["agent"] == {"gid": 998, "members": []}
    assert "secrethash" not in repr(out)
    (tmp_path / "passwd").write_text("root:x:0:0\n")
    out = run_module(host_facts.main, capsys, accounts=True)
    assert out["failed"] and out["msg"].startswith("passwd line 1: 4 fields, 7 expected"), out


def test_link_targets_read_what_each_link_finally_runs_without_a_checksum(capsys, tmp_path):
    """The hardening role's compilers: /usr/bin/cc names the compiler through two links."""
    (tmp_path / "x86_64-linux-gnu-gcc-12").write_text("compiler\n")
    (tmp_path / "gcc-12").symlink_to("x86_64-linux-gnu-gcc-12")
    (tmp_path / "cc").symlink_to("gcc-12")
    (tmp_path / "dangling").symlink_to("nowhere")
    paths = [str(tmp_path / "cc"), str(tmp_path / "dangling")]
    plain = result(capsys, host_facts.main, paths=paths)
    assert [entry["path"] for entry in plain["paths"]["files"]] == paths
    out = result(capsys, host_facts.main, paths=paths + [str(tmp_path / "x86_64-linux-gnu-gcc-12")], link_targets=True)
    assert [entry["path"] for entry in out["paths"]["files"]] == paths + [str(tmp_path / "x86_64-linux-gnu-gcc-12")]
    out = result(capsys, host_facts.main, paths=paths, link_targets=True)
    target = out["paths"]["files"][-1]
    assert [entry["path"] for entry in out["paths"]["files"]] == paths + [str(tmp_path / "x86_64-linux-gnu-gcc-12")]
    assert target["isreg"] and "checksum" not in target and out["paths"]["missing"] == []


def test_homes_read_the_home_directories_the_filter_selects(capsys, monkeypatch, tmp_path):
    """The hardening role's homes: root's and a regular account's; a service account without a shell is not one."""
    from ansible_collections.crhq.platform.plugins.module_utils import accounts
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n"
                                     "ghost:x:1001:1001::/home/crhq-test-no-such-home:/bin/bash\n"
                                     "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
    (tmp_path / "group").write_text("root:x:0:\nghost:x:1001:\ndaemon:x:1:\n")
    for name in ("passwd", "group"):
        monkeypatch.setattr(accounts, name.upper(), str(tmp_path / name))
    monkeypatch.setattr(accounts, "SHADOW", str(tmp_path / "no-shadow"))
    out = result(capsys, host_facts.main, homes=True)
    assert [entry["path"] for entry in out["paths"]["files"]] == ["/root"]
    assert out["paths"]["files"][0]["isdir"] and out["paths"]["missing"] == []
    assert sorted(out["accounts"]["users"]) == ["daemon", "ghost", "root"]
    assert result(capsys, host_facts.main)["paths"]["files"] == []
