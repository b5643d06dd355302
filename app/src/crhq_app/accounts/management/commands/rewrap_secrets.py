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

    def handle(self, *args, **options):
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
