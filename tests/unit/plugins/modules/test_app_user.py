# -*- coding: utf-8 -*-
"""crhq.platform.app_user run in-process against a fake `crhq-app` that records how it was called."""

from __future__ import annotations

import json
import os
import stat
import sys

import pytest

from ansible_collections.crhq.platform.plugins.module_utils import app_command
from ansible_collections.crhq.platform.plugins.modules import app_user

from .module_runner import run_module

PASSWORD = "correct horse battery staple"
URI = "otpauth://totp/CRHQ:alice%40crhq.test?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=CRHQ"
ENV_FILE = (
    "# written by crhq.platform.app\n"
    "\n"
    "CRHQ_HOSTNAME=crhq.test\n"
    'CRHQ_KEYRING_FILE="/etc/crhq/keys/master.keyring"\n'
    "CRHQ_DB_NAME='crhq'\n"
)
APP_ENV = {"PATH": app_user.BASE_ENVIRONMENT["PATH"], "LANG": "C.UTF-8", "CRHQ_HOSTNAME": "crhq.test",
           "CRHQ_KEYRING_FILE": "/etc/crhq/keys/master.keyring", "CRHQ_DB_NAME": "crhq"}

# The fake records its argv, environment, working directory and the password file it was given
# (path, content, mode, its directory's mode), then does what behaviour.json says: print the result
# (with the URI when it "enrolled" and was asked to show it, as the real command does) or fail.
FAKE = r'''#!{python}
import json, os, stat, sys
args = sys.argv[1:]
password_file = [a.split("=", 1)[1] for a in args if a.startswith("--password-file=")][0]
with open(password_file, encoding="utf-8") as handle:
    password = handle.read()
record = {{"argv": sys.argv, "env": dict(os.environ), "cwd": os.getcwd(), "password_file": password_file,
          "password": password, "password_mode": stat.S_IMODE(os.stat(password_file).st_mode),
          "dir_mode": stat.S_IMODE(os.stat(os.path.dirname(password_file)).st_mode)}}
with open({record!r}, "w", encoding="utf-8") as handle:
    json.dump(record, handle)
with open({behaviour!r}, encoding="utf-8") as handle:
    behaviour = json.load(handle)
if behaviour.get("rc"):
    sys.stderr.write(behaviour.get("stderr", ""))
    sys.exit(behaviour["rc"])
result = dict(behaviour["result"])
if "totp" in result.get("changes", []) and "--show-totp-uri" in args and "--dry-run" not in args:
    result["otpauth_uri"] = {uri!r}
print("System check identified no issues (0 silenced).")
print(json.dumps(result, sort_keys=True))
print()
'''

CREATED = {"username": "alice", "created": True, "changed": True, "changes": ["created", "totp"],
           "staff": False, "totp_enabled": True, "backup_codes_left": 0}
UNCHANGED = {"username": "alice", "created": False, "changed": False,
             "staff": False, "totp_enabled": True, "backup_codes_left": 0}


class FakeApp:
    def __init__(self, tmp_path):
        self.dir = tmp_path
        self.command = tmp_path / "crhq-app"
        self.env_file = tmp_path / "app.env"
        self.record_path = tmp_path / "record.json"
        self.behaviour_path = tmp_path / "behaviour.json"
        self.command.write_text(FAKE.format(python=sys.executable, record=str(self.record_path),
                                            behaviour=str(self.behaviour_path), uri=URI))
        self.command.chmod(0o755)
        self.env_file.write_text(ENV_FILE)
        self.behave(CREATED)

    def behave(self, result=None, rc=0, stderr=""):
        self.behaviour_path.write_text(json.dumps({"result": result, "rc": rc, "stderr": stderr}))

    @property
    def record(self):
        return json.loads(self.record_path.read_text())

    @property
    def argv(self):
        return self.record["argv"][1:]

    def run(self, capsys, **args):
        args.setdefault("name", "alice")
        args.setdefault("command", str(self.command))
        args.setdefault("env_file", str(self.env_file))
        return run_module(app_user.main, capsys, **args)


@pytest.fixture
def app(tmp_path):
    return FakeApp(tmp_path)


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "alice.password"
    path.write_text(PASSWORD + "\n")
    return path


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# --- the environment file -------------------------------------------------------------------------

def test_env_file_quotes_comments_and_blank_lines():
    text = ("# comment\n"
            "; also a comment\n"
            "\n"
            "   \n"
            "PLAIN=value\n"
            'DOUBLE="two words"\n'
            "SINGLE='it''s'\n"
            ' SPACED = "  kept inside quotes  " \n'
            "EQUALS=a=b=c\n"
            "EMPTY=\n"
            'EMPTY_QUOTED=""\n'
            'INNER=say "hi"\n'
            "HASH=not#a comment\n"
            'MISMATCHED_END=abc"\n')
    assert app_command.parse_env_file(text) == {
        "PLAIN": "value", "DOUBLE": "two words", "SINGLE": "it''s", "SPACED": "  kept inside quotes  ",
        "EQUALS": "a=b=c", "EMPTY": "", "EMPTY_QUOTED": "", "INNER": 'say "hi"', "HASH": "not#a comment",
        "MISMATCHED_END": 'abc"',
    }


@pytest.mark.parametrize("line, problem", [
    ("CRHQ_DB_PASSWORD s3cr3t-value", "line 3 is not KEY=VALUE"),
    ("1CRHQ=s3cr3t-value", "line 3 is not KEY=VALUE"),
    ("CRHQ-DB=s3cr3t-value", "line 3 is not KEY=VALUE"),
    ("=s3cr3t-value", "line 3 is not KEY=VALUE"),
    ('CRHQ_TOKEN="s3cr3t-value', "line 3 has an unmatched quote"),
    ("CRHQ_TOKEN='s3cr3t-value\"", "line 3 has an unmatched quote"),
    ('CRHQ_TOKEN="', "line 3 has an unmatched quote"),
])
def test_malformed_env_line_is_named_by_number_not_value(line, problem):
    with pytest.raises(app_user.AppUserError) as caught:
        app_command.parse_env_file("# app\nCRHQ_HOSTNAME=crhq.test\n%s\n" % line, "/etc/crhq/app.env")
    assert str(caught.value) == "/etc/crhq/app.env: " + problem
    assert "s3cr3t" not in str(caught.value)


def test_missing_env_file(tmp_path):
    with pytest.raises(app_user.AppUserError, match="cannot read the environment file .*/absent.env: No such file"):
        app_command.read_env_file(str(tmp_path / "absent.env"))


def test_malformed_env_file_fails_before_running_the_command(app, capsys):
    app.env_file.write_text("CRHQ_HOSTNAME=crhq.test\nCRHQ_SECRET s3cr3t-value\n")
    result = app.run(capsys, password=PASSWORD)
    assert result["failed"] and result["msg"] == "%s: line 2 is not KEY=VALUE" % app.env_file
    assert "s3cr3t" not in json.dumps(result)
    assert not app.record_path.exists()


# --- the generated password file ------------------------------------------------------------------

@pytest.mark.parametrize("umask", [0o000, 0o277])
def test_generated_password_file_is_0600_and_random(tmp_path, umask):
    path = tmp_path / "alice.password"
    old = os.umask(umask)  # 0600 whatever the umask
    try:
        assert app_user.generate_password_file(str(path)) is True
    finally:
        os.umask(old)
    assert mode(path) == 0o600 and os.stat(path).st_uid == os.getuid()
    first = path.read_text()
    assert first.endswith("\n") and len(first.strip()) == 32
    other = tmp_path / "bob.password"
    app_user.generate_password_file(str(other))
    assert other.read_text() != first


def test_generation_never_overwrites(tmp_path):
    path = tmp_path / "alice.password"
    path.write_text("mine\n")
    os.chmod(path, 0o640)
    assert app_user.generate_password_file(str(path)) is False
    assert path.read_text() == "mine\n" and mode(path) == 0o640
    link = tmp_path / "link.password"
    link.symlink_to(tmp_path / "elsewhere")
    assert app_user.generate_password_file(str(link)) is False
    assert not (tmp_path / "elsewhere").exists()


def test_generation_needs_the_directory(tmp_path):
    with pytest.raises(app_user.AppUserError) as caught:
        app_user.generate_password_file(str(tmp_path / "missing" / "alice.password"))
    assert str(caught.value) == ("the directory %s of the password file %s does not exist; create it first"
                                 % (tmp_path / "missing", tmp_path / "missing" / "alice.password"))


# --- the module against the fake command ----------------------------------------------------------

def test_generates_the_password_file_and_runs_the_command(app, capsys, tmp_path):
    path = tmp_path / "alice.password"
    result = app.run(capsys, password_file=str(path))
    assert app.argv == ["ensure_user", "--username=alice", "--password-file=%s" % path, "--enrol-totp"]
    assert mode(path) == 0o600 and app.record["password"] == path.read_text()
    assert result["changed"] and result["created"] and result["generated_password"]
    assert result["password_file"] == str(path)
    assert result["changes"] == ["created", "totp"] and result["username"] == "alice"
    assert result["totp_enabled"] is True and result["staff"] is False and result["backup_codes_left"] == 0
    assert "otpauth_uri" not in result and path.read_text().strip() not in json.dumps(result)

    before = path.read_text()
    app.behave(UNCHANGED)
    again = app.run(capsys, password_file=str(path))
    assert not again["changed"] and not again["generated_password"] and again["changes"] == []
    assert path.read_text() == before


def test_existing_password_file_is_used_as_it_is(app, capsys, password_file):
    os.chmod(password_file, 0o640)
    app.behave(UNCHANGED)
    result = app.run(capsys, password_file=str(password_file))
    assert not result["changed"] and not result["generated_password"]
    assert app.record["password_file"] == str(password_file)
    assert password_file.read_text() == PASSWORD + "\n" and mode(password_file) == 0o640


def test_missing_password_file_without_generation_fails(app, capsys, tmp_path):
    result = app.run(capsys, password_file=str(tmp_path / "absent"), generate_password=False)
    assert result["failed"] and "does not exist and generate_password is false" in result["msg"]
    assert not app.record_path.exists()


def test_password_goes_through_a_private_temporary_file(app, capsys):
    result = app.run(capsys, password=PASSWORD)
    record = app.record
    assert record["password"] == PASSWORD
    assert record["password_mode"] == 0o600 and record["dir_mode"] == 0o700
    assert not os.path.exists(record["password_file"])
    assert not os.path.exists(os.path.dirname(record["password_file"]))
    assert PASSWORD not in " ".join(record["argv"]) and PASSWORD not in json.dumps(record["env"])
    assert result["password_file"] is None and not result["generated_password"]
    assert PASSWORD not in json.dumps(result)


def test_command_gets_exactly_the_app_environment(app, capsys, monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "elsewhere.settings")
    monkeypatch.setenv("CRHQ_DB_HOST", "leaked.example")
    before = dict(os.environ)
    app.run(capsys, password=PASSWORD)
    env = app.record["env"]
    env.pop("LC_CTYPE", None)  # what Python itself may add at start-up (PEP 538)
    assert env == APP_ENV
    assert app.record["cwd"] == "/"
    assert dict(os.environ) == before


@pytest.mark.parametrize("args, expected", [
    ({}, ["--enrol-totp"]),
    ({"totp": False}, []),
    ({"staff": True, "update": True}, ["--staff", "--enrol-totp", "--force"]),
    ({"backup_codes_file": "/root/alice codes"}, ["--enrol-totp", "--backup-codes-file=/root/alice codes"]),
    ({"return_totp_uri": True}, ["--enrol-totp", "--show-totp-uri"]),
    ({"totp_uri_file": "URI_FILE"}, ["--enrol-totp", "--show-totp-uri"]),
    ({"totp": False, "return_totp_uri": True}, []),
    ({"update": True, "_ansible_check_mode": True}, ["--enrol-totp", "--force", "--dry-run"]),
    ({"return_totp_uri": True, "totp_uri_file": "URI_FILE", "backup_codes_file": "/root/c",
      "_ansible_check_mode": True}, ["--enrol-totp", "--backup-codes-file=/root/c", "--dry-run"]),
])
def test_arguments(app, capsys, tmp_path, password_file, args, expected):
    if args.get("totp_uri_file"):
        args["totp_uri_file"] = str(tmp_path / "uri")
    result = app.run(capsys, password_file=str(password_file), **args)
    assert "failed" not in result, result
    assert app.argv == ["ensure_user", "--username=alice", "--password-file=%s" % password_file] + expected


def test_a_name_like_an_option_stays_a_value(app, capsys, password_file):
    app.run(capsys, name="--staff", password_file=str(password_file))
    assert app.argv[1] == "--username=--staff"


def test_uri_file_written_0600_only_by_the_enrolling_run(app, capsys, tmp_path, password_file):
    uri_file = tmp_path / "alice.totp-uri"
    result = app.run(capsys, password_file=str(password_file), totp_uri_file=str(uri_file))
    assert uri_file.read_text() == URI + "\n" and mode(uri_file) == 0o600
    assert "otpauth_uri" not in result and "secret=" not in json.dumps(result)
    assert [name for name in os.listdir(tmp_path) if name.startswith(".")] == []  # no temporary file left

    uri_file.write_text("kept\n")
    app.behave(UNCHANGED)
    result = app.run(capsys, password_file=str(password_file), totp_uri_file=str(uri_file), update=True)
    assert not result["changed"] and uri_file.read_text() == "kept\n"


def test_uri_file_replaces_an_old_one(app, capsys, tmp_path, password_file):
    uri_file = tmp_path / "alice.totp-uri"
    uri_file.write_text("old\n")
    os.chmod(uri_file, 0o644)
    app.run(capsys, password_file=str(password_file), totp_uri_file=str(uri_file))
    assert uri_file.read_text() == URI + "\n" and mode(uri_file) == 0o600


def test_uri_file_directory_must_exist_before_anything_runs(app, capsys, tmp_path, password_file):
    result = app.run(capsys, password_file=str(password_file), totp_uri_file=str(tmp_path / "no" / "uri"))
    assert result["failed"] and "the directory %s of the TOTP URI file" % (tmp_path / "no") in result["msg"]
    assert not app.record_path.exists()


def test_uri_returned_only_on_request(app, capsys, password_file):
    result = app.run(capsys, password_file=str(password_file), return_totp_uri=True)
    assert result["otpauth_uri"] == URI
    app.behave(UNCHANGED)
    result = app.run(capsys, password_file=str(password_file), return_totp_uri=True)
    assert "otpauth_uri" not in result


def test_check_mode_dry_run_writes_nothing(app, capsys, tmp_path):
    path = tmp_path / "alice.password"
    uri_file = tmp_path / "alice.totp-uri"
    result = app.run(capsys, password_file=str(path), totp_uri_file=str(uri_file), return_totp_uri=True,
                     _ansible_check_mode=True)
    assert "--dry-run" in app.argv and "--show-totp-uri" not in app.argv
    assert result["changed"] and result["created"] and result["generated_password"]
    assert result["password_file"] == str(path) and "otpauth_uri" not in result
    assert not path.exists() and not uri_file.exists()
    # a throwaway password like the one a real run would generate, in a temporary file now gone
    record = app.record
    assert len(record["password"]) == 32 and record["password_mode"] == 0o600
    assert not os.path.exists(record["password_file"])
    assert record["password"] not in json.dumps(result)


def test_check_mode_reports_generation_even_for_an_existing_user(app, capsys, tmp_path):
    app.behave(UNCHANGED)
    result = app.run(capsys, password_file=str(tmp_path / "alice.password"), _ansible_check_mode=True)
    assert result["changed"] and result["generated_password"] and not result["created"]


def test_check_mode_needs_the_password_file_directory(app, capsys, tmp_path):
    result = app.run(capsys, password_file=str(tmp_path / "no" / "alice.password"), _ansible_check_mode=True)
    assert result["failed"] and "the directory %s of the password file" % (tmp_path / "no") in result["msg"]
    assert not app.record_path.exists()


def test_failure_shows_the_stderr_tail_without_the_password(app, capsys):
    lines = ["Traceback line %d" % number for number in range(25)]
    lines.append("CommandError: the password is not accepted: %s is too common." % PASSWORD)
    app.behave(rc=1, stderr="\n".join(lines) + "\n\n")
    result = app.run(capsys, password=PASSWORD)
    assert result["failed"]
    assert result["msg"].startswith("crhq-app ensure_user failed: Traceback line 6\n")
    assert result["msg"].endswith("\nCommandError: the password is not accepted: ******** is too common.")
    assert "Traceback line 5\n" not in result["msg"] and len(result["msg"].splitlines()) == 20
    assert PASSWORD not in capsys.readouterr().out + json.dumps(result)
    assert not os.path.exists(os.path.dirname(app.record["password_file"]))


def test_failure_hides_a_password_from_its_file_too(app, capsys, password_file):
    app.behave(rc=1, stderr="the password %s is not accepted\n" % PASSWORD)
    result = app.run(capsys, password_file=str(password_file))
    assert result["msg"] == "crhq-app ensure_user failed: the password ******** is not accepted"


def test_failure_without_a_message(app, capsys, password_file):
    app.behave(rc=2)
    result = app.run(capsys, password_file=str(password_file))
    assert result["msg"] == "crhq-app ensure_user failed: exit status 2 and no message"


def test_output_without_json_fails(app, capsys, password_file):
    app.command.write_text("#!/bin/sh\necho 'not json'\n")
    result = app.run(capsys, password_file=str(password_file))
    assert result["failed"] and result["msg"] == "crhq-app ensure_user printed no JSON result line"


def test_missing_command(app, capsys, tmp_path, password_file):
    missing = tmp_path / "opt" / "crhq-app"
    result = app.run(capsys, password_file=str(password_file), command=str(missing))
    assert result["failed"]
    assert result["msg"] == ("the CRHQ app is not installed: %s does not exist (run the crhq.platform.app role first)"
                             % missing)


def test_password_and_password_file_exclusive_and_one_required(app, capsys, password_file):
    result = app.run(capsys, password=PASSWORD, password_file=str(password_file))
    assert result["failed"] and "mutually exclusive" in result["msg"]
    result = app.run(capsys)
    assert result["failed"] and "one of the following is required" in result["msg"]
    assert not app.record_path.exists()


def test_enrolment_without_a_uri_warns_and_writes_no_file(app, capsys, tmp_path, password_file, monkeypatch):
    app.command.write_text("#!/bin/sh\necho '%s'\n" % json.dumps(CREATED))
    uri_file = tmp_path / "alice.totp-uri"
    # recorded here: once controller code is imported (a filter test in the same run) warnings go to Display
    warnings = []
    monkeypatch.setattr(app_user.AnsibleModule, "warn", lambda self, message, *args, **kwargs: warnings.append(message))
    result = app.run(capsys, password_file=str(password_file), totp_uri_file=str(uri_file))
    assert result["changed"] and not uri_file.exists()
    assert "returned no otpauth URI" in json.dumps(warnings)
