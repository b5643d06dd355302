"""crhq-app audit_verify: check the audit log's hash chain from its first row. One JSON line; exit status 1
and the first broken row named on stderr when the chain is broken."""

import json

from django.core.management.base import BaseCommand, CommandError

from crhq_app.vault import audit


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; names the first broken row."

    def add_arguments(self, parser):
        parser.add_argument("--no-fail", action="store_true", help="exit 0 whatever the result (for a module)")

    def handle(self, *args, **options):
        result = dict(audit.verify(), changed=False)
        self.stdout.write(json.dumps(result, sort_keys=True))
        if not result["ok"] and not options["no_fail"]:
            raise CommandError("the audit log's hash chain is broken at row %d: %s"
                               % (result["first_broken"], result["reason"]))
