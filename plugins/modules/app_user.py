#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: app_user
short_description: Create or update a user of the CRHQ app, with its password, TOTP and backup codes
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - Makes sure a user of the CRHQ reference app exists, on the host where the app is installed by the
    P(crhq.platform.app#role) role.
  - The module drives the app's own command, C(crhq-app ensure_user), with the app's settings from
    O(env_file). It imports no database driver and no TOTP library. Password hashing, password
    validation and the encryption of TOTP secrets have one implementation, the app's.
  - A user that exists is left alone unless O(update=true), which brings it to the requested
    password, staff flag, TOTP enrolment and backup codes.
  - The password is passed to the command in a file, never on its command line. With O(password)
    it is written to a file in a private temporary directory (mode C(0700)) that is removed
    afterwards. With O(password_file) that file is given to the command; when it does not exist and
    O(generate_password=true), a random password is generated into it on the host, so that it
    never passes through the controller.
  - The command prints no password, no TOTP secret and no backup code; the otpauth URI of a secret
    enrolled by this run is only written to O(totp_uri_file) or returned with O(return_totp_uri=true).
options:
  name:
    description: The user name.
    type: str
    required: true
  password:
    description:
      - The password. It must pass the app's password validators (at least 12 characters, not a
        common password, not too close to the user name, not only digits).
      - Mutually exclusive with O(password_file); one of them is required.
    type: str
  password_file:
    description:
      - File on the host that holds the password (one trailing newline is ignored).
      - When the file does not exist and O(generate_password=true), a password of 32 URL-safe random
        characters (24 random bytes, base64url) is generated into a new file created with mode
        C(0600), owned by the user the module runs as (root). Its directory must exist. An existing
        file is never overwritten.
      - Mutually exclusive with O(password); one of them is required.
    type: path
  generate_password:
    description: Generate O(password_file) when it does not exist. With V(false) a missing file fails the task.
    type: bool
    default: true
  staff:
    description: The user is staff. With O(update=true) V(false) clears the flag of an existing user.
    type: bool
    default: false
  totp:
    description:
      - Enrol a TOTP secret now when the user has none. Otherwise a user the app asks for TOTP enrols
        at the first login.
    type: bool
    default: true
  totp_uri_file:
    description:
      - When this run enrols TOTP, write the C(otpauth://) URI of the secret to this file (one line),
        a new file of mode C(0600) put in place atomically. Its directory must exist.
      - The file is only written by the run that enrols; later runs leave it as it is. The app never
        shows the secret again.
    type: path
  return_totp_uri:
    description:
      - When this run enrols TOTP, also return the URI as RV(otpauth_uri).
      - The URI holds the secret. Set C(no_log) on the task, and prefer O(totp_uri_file).
    type: bool
    default: false
  backup_codes_file:
    description:
      - When the user has no unused backup code, make 10 and write them to this file (mode C(0600),
        replaced atomically). The codes are never returned.
    type: path
  update:
    description:
      - Bring an existing user to the requested state (password, staff flag, TOTP, backup codes).
        With V(false) an existing user is left alone.
      - The password is only set when it differs from the current one; setting it ends the user's sessions.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - crhq.platform.app_command
attributes:
  check_mode:
    support: full
    details:
      - The command runs with C(--dry-run) - it does everything in a database transaction that it
        then rolls back - so the result says what a real run would change, including a password the
        validators refuse.
      - No password file, backup codes file or TOTP URI file is written. When O(password_file) would
        be generated, a throwaway random password is checked instead.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - The command exits with status 1 and a reason on stderr on failure; the module fails with the last
    20 lines of it. The password is never on a command line and is removed from the message.
seealso:
  - module: crhq.platform.secret
"""

EXAMPLES = r"""
- name: An administrator with TOTP and backup codes; the password is generated on the host
  crhq.platform.app_user:
    name: alice
    password_file: /root/crhq/alice.password
    staff: true
    totp_uri_file: /root/crhq/alice.totp-uri
    backup_codes_file: /root/crhq/alice.backup-codes
  become: true

- name: A user whose password comes from the vault, kept in step with it
  crhq.platform.app_user:
    name: bob
    password: "{{ vault_bob_password }}"
    update: true
  become: true

- name: Return the otpauth URI of a new enrolment (holds the TOTP secret)
  crhq.platform.app_user:
    name: carol
    password_file: /root/crhq/carol.password
    return_totp_uri: true
  become: true
  no_log: true
  register: carol
"""

RETURN = r"""
changed:
  description:
    - Whether the user was (or, in check mode, would be) created or changed, or the password file generated.
  returned: always
  type: bool
created:
  description: Whether the user was (or would be) created.
  returned: always
  type: bool
username:
  description: The user name.
  returned: always
  type: str
  sample: alice
staff:
  description: The user's staff flag after the run.
  returned: always
  type: bool
totp_enabled:
  description: Whether the user has TOTP after the run.
  returned: always
  type: bool
backup_codes_left:
  description: Unused backup codes of the user after the run.
  returned: always
  type: int
  sample: 10
changes:
  description:
    - What was (or would be) done, in order, from V(created), V(password), V(staff), V(totp) and
      V(backup_codes). Empty when nothing changed.
  returned: always
  type: list
  elements: str
  sample: [created, totp, backup_codes]
password_file:
  description: The password file given to the command; null when O(password) was given.
  returned: always
  type: str
  sample: /root/crhq/alice.password
generated_password:
  description: Whether this run generated O(password_file) (in check mode, would generate it).
  returned: always
  type: bool
otpauth_uri:
  description: The C(otpauth://) URI of the TOTP secret this run enrolled. It holds the secret.
  returned: when O(return_totp_uri=true) and this run enrolled TOTP (never in check mode)
  type: str
  sample: otpauth://totp/CRHQ:alice%40crhq.example.org?secret=...&issuer=CRHQ
"""

import os
import secrets
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.crhq.platform.plugins.module_utils.app_command import (
    APP_COMMAND_OPTIONS,
    BASE_ENVIRONMENT,
    AppCommandError as AppUserError,
    check_command,
    exact_environment,
    read_env_file,
    stderr_tail,
)
from ansible_collections.crhq.platform.plugins.module_utils.app_command import parse_result as _parse_result

MASK = "********"


def require_directory(path, what):
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise AppUserError("the directory %s of the %s %s does not exist; create it first" % (directory, what, path))
    return directory


def generate_password_file(path):
    """Create path (0600, O_EXCL) holding a new random password. False when it appeared meanwhile."""
    require_directory(path, "password file")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except (IOError, OSError) as exc:
        if os.path.lexists(path):  # made by someone else since we looked: never overwrite it
            return False
        raise AppUserError("cannot create the password file %s: %s" % (path, to_native(exc.strerror or exc)))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)  # exactly 0600 whatever the umask
            handle.write(secrets.token_urlsafe(24) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except (IOError, OSError) as exc:
        os.unlink(path)  # an empty or partial file would be taken as the password next time
        raise AppUserError("cannot write the password file %s: %s" % (path, to_native(exc.strerror or exc)))
    return True


def write_private_file(directory, name, text):
    """Write text to a new 0600 file directory/name; return its path."""
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def write_uri_file(path, uri):
    """Replace path atomically with a new 0600 file holding the URI."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)  # mkstemp: 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(uri + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except Exception:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise


def scrub(text, values):
    for value in values:
        if value:
            text = text.replace(value, MASK)
    return text


def read_password_quietly(path):
    """The password in path, to remove it from a message; None when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8").rstrip("\r\n") or None
    except (IOError, OSError, UnicodeError):
        return None


def build_command(params, password_path, check_mode):
    args = [params["command"], "ensure_user", "--username=" + params["name"], "--password-file=" + password_path]
    if params["staff"]:
        args.append("--staff")
    if params["totp"]:
        args.append("--enrol-totp")
        if not check_mode and (params["totp_uri_file"] or params["return_totp_uri"]):
            args.append("--show-totp-uri")
    if params["backup_codes_file"]:
        args.append("--backup-codes-file=" + params["backup_codes_file"])
    if params["update"]:
        args.append("--force")
    if check_mode:
        args.append("--dry-run")
    return args


def parse_result(stdout):
    return _parse_result(stdout, "crhq-app ensure_user")


def run(module, secret_values):
    params = module.params
    check_mode = module.check_mode
    name = params["name"]
    if not name.strip():
        raise AppUserError("name must not be empty")
    if params["password"] is not None and not params["password"]:
        raise AppUserError("password must not be empty")
    check_command(params["command"])
    environment = dict(BASE_ENVIRONMENT)
    environment.update(read_env_file(params["env_file"]))
    if params["totp_uri_file"]:
        directory = require_directory(params["totp_uri_file"], "TOTP URI file")
        if not os.access(directory, os.W_OK):
            raise AppUserError("the directory %s of the TOTP URI file is not writable" % directory)

    # The password: a file the command reads. Never on a command line, never in the environment.
    password_file = params["password_file"]
    generated = False
    password_text = params["password"]  # written to a private temporary file when set
    if password_file is not None:
        if os.path.isdir(password_file):
            raise AppUserError("the password file %s is a directory" % password_file)
        if not os.path.lexists(password_file):
            if not params["generate_password"]:
                raise AppUserError("the password file %s does not exist and generate_password is false" % password_file)
            if check_mode:
                require_directory(password_file, "password file")
                generated = True
                # a plausible password for the dry run: the real one would be made the same way
                password_text = secrets.token_urlsafe(24)
                secret_values.append(password_text)
            else:
                generated = generate_password_file(password_file)

    private_dir = None
    try:
        if password_text is not None:
            private_dir = tempfile.mkdtemp(prefix="crhq-app-user-")
            os.chmod(private_dir, 0o700)
            password_path = write_private_file(private_dir, "password", password_text)
        else:
            password_path = password_file
        args = build_command(params, password_path, check_mode)
        with exact_environment(environment):
            rc, stdout, stderr = module.run_command(args, environ_update=environment, cwd="/",
                                                    expand_user_and_vars=False)
    finally:
        if private_dir is not None:
            shutil.rmtree(private_dir, ignore_errors=True)

    if rc != 0:
        if password_file is not None and os.path.exists(password_file):
            secret_values.append(read_password_quietly(password_file))  # the command never prints it; be sure
        tail = stderr_tail(stderr)
        raise AppUserError("crhq-app ensure_user failed: %s" % (tail or "exit status %d and no message" % rc))
    result = parse_result(stdout)

    uri = result.pop("otpauth_uri", None)
    if uri:
        secret_values.append(uri)
        if not params["return_totp_uri"]:
            # returned only on request: otherwise keep it out of every output, logs included
            module.no_log_values.add(uri)
    if not uri and "totp" in result.get("changes", []) and not check_mode and params["totp_uri_file"]:
        module.warn("TOTP was enrolled for %s but crhq-app returned no otpauth URI; %s was not written"
                    % (name, params["totp_uri_file"]))
    if uri and params["totp_uri_file"] and not check_mode:
        try:
            write_uri_file(params["totp_uri_file"], uri)
        except (IOError, OSError) as exc:
            raise AppUserError("TOTP was enrolled for %s but its URI could not be written to %s: %s; the app does "
                               "not show the secret again, so the user must enrol a new authenticator"
                               % (name, params["totp_uri_file"], to_native(exc.strerror or exc)))

    output = {
        "changed": bool(result.get("changed")) or generated,
        "created": bool(result.get("created")),
        "username": result.get("username", name),
        "staff": result.get("staff"),
        "totp_enabled": result.get("totp_enabled"),
        "backup_codes_left": result.get("backup_codes_left"),
        "changes": list(result.get("changes", [])),
        "password_file": password_file,
        "generated_password": generated,
    }
    if uri and params["return_totp_uri"] and not check_mode:
        output["otpauth_uri"] = uri
    return output


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            password=dict(type="str", no_log=True),
            password_file=dict(type="path", no_log=False),
            generate_password=dict(type="bool", default=True, no_log=False),
            staff=dict(type="bool", default=False),
            totp=dict(type="bool", default=True),
            totp_uri_file=dict(type="path"),
            return_totp_uri=dict(type="bool", default=False),
            backup_codes_file=dict(type="path"),
            update=dict(type="bool", default=False),
            **APP_COMMAND_OPTIONS
        ),
        mutually_exclusive=[("password", "password_file")],
        required_one_of=[("password", "password_file")],
        supports_check_mode=True,
    )
    secret_values = [module.params["password"]]
    failure = None
    try:
        result = run(module, secret_values)
    except AppUserError as exc:
        failure = to_native(exc)
    except (IOError, OSError) as exc:
        failure = "app_user: %s" % to_native(exc)
    if failure is not None:
        # outside the except block, so that no traceback of the unscrubbed message goes with it
        module.fail_json(msg=scrub(failure, secret_values))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
