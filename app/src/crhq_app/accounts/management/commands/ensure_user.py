"""crhq-app ensure_user: create a user, or bring an existing one to the requested state with --force.

Made for an Ansible module: one JSON line on stdout, nothing secret in it (the otpauth URI only
with --show-totp-uri), exit status 1 with the reason on stderr when something is wrong.

--dry-run (the module's check mode) does all of it inside the transaction and then rolls the
transaction back: the output is what a real run would print, with no otpauth URI, and no file is written.
"""

import json
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from crhq_app.accounts import twofactor


def _read_password(path):
    try:
        with open(path, encoding="utf-8") as handle:
            password = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError("cannot read the password file %s: %s" % (path, getattr(exc, "strerror", None) or exc))
    password = password.rstrip("\r\n")
    if not password:
        raise CommandError("the password file %s is empty" % path)
    return password


def _write_codes(path, codes):
    """Write the codes to a new 0600 file (replacing an older one): never readable by others."""
    directory = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(directory, ".%s.tmp" % os.path.basename(path))
    try:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write("".join(code + "\n" for code in codes))
        os.replace(temporary, path)
    except OSError as exc:
        raise CommandError("cannot write the backup codes file %s: %s" % (path, exc.strerror or exc))


class Command(BaseCommand):
    help = "Create a user, or update an existing one with --force. Prints one JSON line."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--password-file", required=True,
                            help="file holding the password (one trailing newline is ignored)")
        parser.add_argument("--staff", action="store_true", help="the user is staff (needs TOTP under CRHQ_TOTP_REQUIRED=staff)")
        parser.add_argument("--enrol-totp", action="store_true",
                            help="enrol a TOTP secret now when the user has none")
        parser.add_argument("--show-totp-uri", action="store_true",
                            help="print the otpauth:// URI of a secret enrolled by this run")
        parser.add_argument("--backup-codes-file",
                            help="make 10 backup codes when the user has none unused, and write them to this file (0600)")
        parser.add_argument("--force", action="store_true",
                            help="update an existing user: password, staff flag, TOTP and backup codes as requested")
        parser.add_argument("--dry-run", action="store_true",
                            help="report what a real run would change, then roll everything back; write no file "
                                 "and print no otpauth URI")

    def handle(self, *args, **options):
        User = get_user_model()
        username = options["username"].strip()
        if not username:
            raise CommandError("--username must not be empty")
        password = _read_password(options["password_file"])
        staff = options["staff"]
        dry_run = options["dry_run"]

        with transaction.atomic():
            result = self._ensure(User, username, password, staff, options)
            if dry_run:
                # undo every write of this run; the result was computed inside the transaction
                transaction.set_rollback(True)
        self._print(result)

    def _ensure(self, User, username, password, staff, options):
        """Do the work inside the caller's transaction; return the result to print."""
        dry_run = options["dry_run"]
        user = User.objects.select_for_update().filter(username=username).first()
        created = user is None
        result = {"username": username, "created": created, "changed": created}
        if not created and not options["force"]:
            result.update(self._state(user))
            return result

        try:
            validate_password(password, user or User(username=username))
        except ValidationError as exc:
            raise CommandError("the password is not accepted: " + " ".join(exc.messages))

        changes = []
        if created:
            user = User(username=username, is_staff=staff)
            user.set_password(password)
            user.save()
            changes.append("created")
        else:
            if not user.check_password(password):
                user.set_password(password)  # ends the user's sessions (session auth hash)
                changes.append("password")
            if user.is_staff != staff:
                user.is_staff = staff
                changes.append("staff")
            if changes:
                user.save()

        totp_uri = None
        if options["enrol_totp"] and not user.totp_enabled:
            secret = twofactor.enrol_directly(user)
            changes.append("totp")
            if options["show_totp_uri"] and not dry_run:
                totp_uri = twofactor.provisioning_uri(user, secret)

        if options["backup_codes_file"] and twofactor.backup_codes_left(user) == 0:
            codes = twofactor.regenerate_backup_codes(user)
            changes.append("backup_codes")
            if codes and not dry_run:
                _write_codes(options["backup_codes_file"], codes)

        result["changed"] = bool(changes)
        result["changes"] = changes
        result.update(self._state(user))  # before a dry run's rollback, so it shows the state a real run leaves
        if totp_uri:
            result["otpauth_uri"] = totp_uri
        return result

    @staticmethod
    def _state(user):
        return {"staff": user.is_staff, "totp_enabled": user.totp_enabled,
                "backup_codes_left": twofactor.backup_codes_left(user)}

    def _print(self, result):
        self.stdout.write(json.dumps(result, sort_keys=True))
