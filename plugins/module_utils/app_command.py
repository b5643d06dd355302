# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running the CRHQ app's own command (crhq-app) from a module, with exactly the app's environment.

The modules that change the app's data (app_user, api_key, credential) drive the app's management
commands, which print one JSON line: one implementation of hashing, encryption and auditing, the app's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import os
import re

from ansible.module_utils.common.text.converters import to_native

BASE_ENVIRONMENT = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
ENV_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
STDERR_TAIL_LINES = 20
DEFAULT_COMMAND = "/opt/crhq/app/current/venv/bin/crhq-app"
DEFAULT_ENV_FILE = "/etc/crhq/app.env"
# the argument spec of the doc fragment crhq.platform.app_command
APP_COMMAND_OPTIONS = {
    "command": {"type": "path", "default": DEFAULT_COMMAND},
    "env_file": {"type": "path", "default": DEFAULT_ENV_FILE},
}
AUDIT_PREFIX = "INFO crhq.audit "


class AppCommandError(Exception):
    """A failure a module reports as its msg; never holds a secret."""


def parse_env_file(text, path="the environment file"):
    """KEY=VALUE lines of a systemd EnvironmentFile into a dict. Errors name the line, never its content."""
    environment = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not ENV_KEY_RE.fullmatch(key):
            raise AppCommandError("%s: line %d is not KEY=VALUE" % (path, number))
        if value[:1] in ("'", '"'):
            if len(value) < 2 or value[-1] != value[0]:
                raise AppCommandError("%s: line %d has an unmatched quote" % (path, number))
            value = value[1:-1]
        environment[key] = value
    return environment


def read_env_file(path):
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        raise AppCommandError("cannot read the environment file %s: %s (is the app installed? run the "
                              "crhq.platform.app role first)" % (path, to_native(exc.strerror or exc)))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise AppCommandError("%s is not UTF-8 text" % path)
    return parse_env_file(text, path)


def check_command(command):
    if not os.path.exists(command):
        raise AppCommandError("the CRHQ app is not installed: %s does not exist (run the crhq.platform.app role "
                              "first)" % command)
    if not os.access(command, os.X_OK) or os.path.isdir(command):
        raise AppCommandError("%s is not an executable file" % command)


def app_environment(env_file):
    environment = dict(BASE_ENVIRONMENT)
    environment.update(read_env_file(env_file))
    return environment


@contextlib.contextmanager
def exact_environment(environment):
    """Make os.environ exactly `environment` for the duration, then put the old one back.

    AnsibleModule.run_command() starts from a copy of os.environ and only adds environ_update to it,
    so environ_update alone would hand the command everything the module inherited (variables
    set with the play's `environment:`, DJANGO_SETTINGS_MODULE, PYTHON*, other CRHQ_* values...),
    which the app's service never sees. The module is one process and one thread, so swapping
    os.environ around the call is safe; the command then gets exactly the app's environment.
    """
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environment)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def parse_result(stdout, what):
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    try:
        result = json.loads(lines[-1])
    except (IndexError, ValueError):
        result = None
    if not isinstance(result, dict) or "changed" not in result:
        raise AppCommandError("%s printed no JSON result line" % what)
    return result


def stderr_tail(stderr):
    lines = [line.rstrip() for line in stderr.splitlines() if line.strip()]
    return "\n".join(lines[-STDERR_TAIL_LINES:])


def run_app(module, command, args, env_file, data=None):
    """Run `command args...` with the app's environment; its JSON result, or AppCommandError with the tail of
    its stderr. `data` (text) goes to its standard input, never to its command line."""
    check_command(command)
    environment = app_environment(env_file)
    what = "crhq-app %s" % " ".join(args[:2])
    with exact_environment(environment):
        rc, stdout, stderr = module.run_command([command] + list(args), environ_update=environment, cwd="/",
                                                expand_user_and_vars=False, data=data, binary_data=data is not None)
    forward_audit_lines(module, stderr)
    if rc != 0:
        raise AppCommandError("%s failed: %s" % (what, stderr_tail(stderr) or "exit status %d and no message" % rc))
    return parse_result(stdout, what)


def forward_audit_lines(module, stderr):
    """The app writes each committed audit row to stderr as `INFO crhq.audit {json}`: the service's stderr is its
    journal, the command's is this module's, so the rows go on to the host's journal through the module's log."""
    for line in (stderr or "").splitlines():
        if line.startswith(AUDIT_PREFIX):
            module.log(line)
