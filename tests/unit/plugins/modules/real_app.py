# -*- coding: utf-8 -*-
"""The CRHQ app's real command on a SQLite file, for the modules that drive it (api_key, credential)."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
APP_SRC = os.path.join(ROOT, "app", "src")

SETTINGS = '''
import os
from crhq_app.settings import *  # noqa
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["CRHQ_TEST_SQLITE"]}}
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
'''

COMMAND = '''#!{python}
import sys
sys.path[:0] = [{src!r}, {settings_dir!r}]
from crhq_app.manage import main
main()
'''


class RealApp:
    """crhq-app with its own keyring, session secret and database in `directory`; migrated."""

    def __init__(self, directory):
        sys.path.insert(0, APP_SRC)
        try:
            from crhq_app.crypto import keyring  # the app's (the collection's) keyring code
        finally:
            sys.path.remove(APP_SRC)
        self.dir = directory
        self.keyring_file = os.path.join(directory, "master.keyring")
        with open(self.keyring_file, "w", encoding="utf-8") as handle:
            handle.write(keyring.dump_keyring(keyring.new_keyring()))
        secret = os.path.join(directory, "session.secret")
        with open(secret, "w", encoding="utf-8") as handle:
            handle.write(keyring.new_token("token") + "\n")
        with open(os.path.join(directory, "module_test_settings.py"), "w", encoding="utf-8") as handle:
            handle.write(SETTINGS)
        self.command = os.path.join(directory, "crhq-app")
        with open(self.command, "w", encoding="utf-8") as handle:
            handle.write(COMMAND.format(python=sys.executable, src=APP_SRC, settings_dir=directory))
        os.chmod(self.command, 0o755)
        self.env = {
            "DJANGO_SETTINGS_MODULE": "module_test_settings", "CRHQ_TEST_SQLITE": os.path.join(directory, "db.sqlite3"),
            "CRHQ_HOSTNAME": "crhq.test", "CRHQ_DB_NAME": "crhq", "CRHQ_DB_USER": "crhq",
            "CRHQ_KEYRING_FILE": self.keyring_file, "CRHQ_SESSION_SECRET_FILE": secret,
            "CRHQ_BCRYPT_COST": "4", "CRHQ_STATIC_ROOT": os.path.join(directory, "static"),
            "CRHQ_LOG_LEVEL": "WARNING",
        }
        self.env_file = os.path.join(directory, "app.env")
        with open(self.env_file, "w", encoding="utf-8") as handle:
            handle.write("".join('%s="%s"\n' % item for item in sorted(self.env.items())))
        self.manage("migrate", "--no-input", "-v", "0")

    def manage(self, *args, stdin=None):
        environment = dict(self.env, PATH=os.environ["PATH"], LANG="C.UTF-8")
        done = subprocess.run([self.command] + list(args), env=environment, input=stdin, capture_output=True,
                              text=True, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def sql(self, query):
        import sqlite3
        with sqlite3.connect(self.env["CRHQ_TEST_SQLITE"]) as connection:
            return connection.execute(query).fetchall()

    def params(self, **args):
        return dict(args, command=self.command, env_file=self.env_file)
