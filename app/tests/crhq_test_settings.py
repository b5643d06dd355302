"""Test settings: the production settings module, fed test values, with SQLite in memory."""

import atexit
import os
import shutil
import tempfile

from crhq_app.crypto import keyring

_DIR = tempfile.mkdtemp(prefix="crhq-app-test-")
atexit.register(shutil.rmtree, _DIR, True)


def _write(name, text):
    path = os.path.join(_DIR, name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)
    return path


TEST_ENV = {
    "CRHQ_HOSTNAME": "crhq.test",
    "CRHQ_DB_NAME": "crhq",
    "CRHQ_DB_USER": "crhq",
    "CRHQ_KEYRING_FILE": _write("master.keyring", keyring.dump_keyring(keyring.new_keyring())),
    "CRHQ_SESSION_SECRET_FILE": _write("session.secret", keyring.new_token("token") + "\n"),
    "CRHQ_SESSION_IDLE_SECONDS": "900",
    "CRHQ_SESSION_ABSOLUTE_SECONDS": "3600",
    "CRHQ_BCRYPT_COST": "4",  # the lowest cost: real bcrypt, fast tests
    "CRHQ_TOTP_REQUIRED": "all",
    "CRHQ_STATIC_ROOT": os.path.join(_DIR, "static"),
    "CRHQ_LOG_LEVEL": "WARNING",
    # as the role deploys it: sessions read through the shared file cache (crhq_app.accounts.session_store)
    "CRHQ_SESSION_CACHE_DIR": os.path.join(_DIR, "sessions"),
}
os.environ.update(TEST_ENV)

from crhq_app.settings import *  # noqa: E402,F401,F403 pylint: disable=wildcard-import,unused-wildcard-import

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

# no collectstatic in the tests: plain names instead of the manifest's hashed ones
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
