"""Settings from CRHQ_* variables: defaults, and one clear error naming every problem."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from crhq_app import config
from crhq_test_settings import TEST_ENV

SRC = Path(__file__).resolve().parents[1] / "src"


def _env(**changes):
    env = dict(TEST_ENV)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _problems(**changes):
    with pytest.raises(ImproperlyConfigured) as error:
        config.load(_env(**changes))
    return str(error.value)


def test_complete_environment():
    loaded = config.load(_env(CRHQ_DB_PASSWORD_FILE=TEST_ENV["CRHQ_SESSION_SECRET_FILE"]))
    assert loaded.hostname == "crhq.test"
    assert loaded.bcrypt_cost == 4 and loaded.totp_required == "all"
    assert loaded.session_idle_seconds == 900 and loaded.session_absolute_seconds == 3600
    assert loaded.keyring["format"] == "crhq-keyring"
    assert loaded.db_password and not loaded.db_password.endswith("\n")
    assert loaded.db_password not in repr(loaded) and loaded.secret_key not in repr(loaded)


def test_defaults():
    loaded = config.load(_env(CRHQ_DB_HOST=None, CRHQ_BCRYPT_COST=None, CRHQ_TOTP_REQUIRED=None,
                              CRHQ_SESSION_IDLE_SECONDS=None, CRHQ_SESSION_ABSOLUTE_SECONDS=None,
                              CRHQ_LOG_LEVEL=None, CRHQ_DB_PASSWORD_FILE=None))
    assert loaded.db_host == "/var/run/postgresql" and loaded.db_port == 5432 and loaded.db_password == ""
    assert loaded.bcrypt_cost == 12 and loaded.totp_required == "all" and loaded.log_level == "INFO"
    assert (loaded.session_idle_seconds, loaded.session_absolute_seconds) == (1800, 43200)


@pytest.mark.parametrize("name", ["CRHQ_HOSTNAME", "CRHQ_DB_NAME", "CRHQ_DB_USER", "CRHQ_KEYRING_FILE",
                                  "CRHQ_SESSION_SECRET_FILE", "CRHQ_STATIC_ROOT"])
def test_required(name):
    assert "%s is not set" % name in _problems(**{name: None})


@pytest.mark.parametrize("changes, message", [
    ({"CRHQ_BCRYPT_COST": "3"}, "CRHQ_BCRYPT_COST must be from 4 to 31, got 3"),
    ({"CRHQ_BCRYPT_COST": "32"}, "CRHQ_BCRYPT_COST must be from 4 to 31, got 32"),
    ({"CRHQ_BCRYPT_COST": "twelve"}, "CRHQ_BCRYPT_COST must be a whole number"),
    ({"CRHQ_TOTP_REQUIRED": "none"}, "CRHQ_TOTP_REQUIRED must be one of all, staff"),
    ({"CRHQ_LOG_LEVEL": "loud"}, "CRHQ_LOG_LEVEL must be one of DEBUG"),
    ({"CRHQ_HOSTNAME": "https://crhq.test/"}, "CRHQ_HOSTNAME must be a DNS name"),
    ({"CRHQ_SESSION_IDLE_SECONDS": "7200", "CRHQ_SESSION_ABSOLUTE_SECONDS": "3600"},
     "must not be shorter than CRHQ_SESSION_IDLE_SECONDS"),
    ({"CRHQ_KEYRING_FILE": "/nonexistent/master.keyring"},
     "CRHQ_KEYRING_FILE=/nonexistent/master.keyring cannot be read: No such file or directory"),
    ({"CRHQ_KEYRING_FILE": "relative.keyring"}, "CRHQ_KEYRING_FILE must be an absolute path"),
    ({"CRHQ_DB_PASSWORD_FILE": "/nonexistent/db.password"}, "CRHQ_DB_PASSWORD_FILE=/nonexistent/db.password cannot be read"),
    ({"CRHQ_STATIC_ROOT": "static"}, "CRHQ_STATIC_ROOT must be an absolute path"),
    ({"CRHQ_SESSION_CACHE_DIR": "sessions"}, "CRHQ_SESSION_CACHE_DIR must be an absolute path"),
])
def test_invalid(changes, message):
    assert message in _problems(**changes)


def test_bad_keyring_and_short_secret(tmp_path):
    keyring = tmp_path / "master.keyring"
    keyring.write_text('{"format": "crhq-keyring", "version": 2, "primary": "x", "keys": []}')
    secret = tmp_path / "session.secret"
    secret.write_text("too-short-secret\n")
    problems = _problems(CRHQ_KEYRING_FILE=str(keyring), CRHQ_SESSION_SECRET_FILE=str(secret), CRHQ_DB_NAME=None)
    assert "is not a usable keyring: unsupported keyring version 2" in problems
    assert "holds 16 characters; at least 32 are needed" in problems
    assert "CRHQ_DB_NAME is not set" in problems  # every problem at once
    assert "too-short-secret" not in problems  # never the secret itself


def test_the_command_fails_early_with_the_message():
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRHQ_")}
    env.update(_env(CRHQ_HOSTNAME=None, CRHQ_BCRYPT_COST="99"))
    env["PYTHONPATH"] = str(SRC)
    env["DJANGO_SETTINGS_MODULE"] = "crhq_app.settings"
    result = subprocess.run([sys.executable, "-m", "crhq_app", "check"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("crhq-app: CRHQ app configuration is invalid:") and "Traceback" not in result.stderr
    assert "CRHQ_HOSTNAME is not set" in result.stderr
    assert "CRHQ_BCRYPT_COST must be from 4 to 31, got 99" in result.stderr
