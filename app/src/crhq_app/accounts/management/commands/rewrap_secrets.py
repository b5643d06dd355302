"""crhq-app rewrap_secrets: move every stored envelope (TOTP secrets, credentials, their kept versions) to the
keyring's primary key in one transaction, check that every value decrypts and that the counts are unchanged.

Run it after a key was added (crhq.platform.secret with rotate: true) and the app restarted, as
playbooks/rotate_keys.yml does; an older key may leave the keyring once no value uses it
(--unused KEY_ID fails while one does). Prints one JSON line with the counts.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from crhq_app.vault import rewrap


class Command(BaseCommand):
    help = "Re-encrypt every stored secret under the keyring's primary key, in one transaction. Prints one JSON line."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="do it all, then roll it back")
        parser.add_argument("--unused", action="append", default=[], metavar="KEY_ID",
                            help="only check that no stored value uses this key id (repeatable); change nothing")
        parser.add_argument("--verify", action="store_true",
                            help="only decrypt every stored value with the keyring in use (after a restore)")

    def handle(self, *args, **options):
        if options["verify"]:
            result = rewrap.verify()
            self.stdout.write(json.dumps(result, sort_keys=True))
            if result["missing_key_ids"]:
                raise CommandError(
                    "%d stored values cannot be decrypted: they are under key id(s) %s, which this server's keyring "
                    "does not hold. Put the keyring exported from the server the data comes from "
                    "(playbooks/export_keys.yml) in place of the master keyring and restart the app"
                    % (sum(result["missing_key_ids"].values()), ", ".join(sorted(result["missing_key_ids"]))))
            if result["failed"]:
                raise CommandError("%d stored values do not decrypt (wrong key material or damaged): %s"
                                   % (result["failed_count"], ", ".join(result["failed"])))
            return
        if options["unused"]:
            found = rewrap.key_ids()
            used = {kid: found[kid] for kid in options["unused"] if found.get(kid)}
            self.stdout.write(json.dumps({"changed": False, "key_ids": dict(found), "used": used}, sort_keys=True))
            if used:
                raise CommandError("stored values still use %s: run rewrap_secrets first"
                                   % ", ".join("%s (%d)" % item for item in sorted(used.items())))
            return
        try:
            result = rewrap.rewrap(dry_run=options["dry_run"])
        except rewrap.RewrapError as exc:
            raise CommandError(str(exc))
        self.stdout.write(json.dumps(result, sort_keys=True))
