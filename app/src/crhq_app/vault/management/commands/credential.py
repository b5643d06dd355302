"""crhq-app credential: store a credential from a playbook (for crhq.platform.credential). One JSON line.

  set    --name N [--description D] [--dry-run]   the value is read from stdin (one trailing newline is dropped)
  delete --name N [--dry-run]

Idempotent by name: the stored value is compared with the given one here, on the server, and never printed.
Every access is audited with Ansible as the actor (a compare is a read).
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from crhq_app import crypto
from crhq_app.vault import audit, store
from crhq_app.vault.models import Credential

ACTOR = "ansible"
AUDIT = {"actor_type": "ansible", "actor": "ansible"}


class DryRun(Exception):
    pass


class Command(BaseCommand):
    help = "Store or delete a credential; the value comes on stdin. Prints one JSON line."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["set", "delete"])
        parser.add_argument("--name", required=True)
        parser.add_argument("--description")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                result = getattr(self, "do_" + options["action"])(options)
                if options["dry_run"]:
                    raise DryRun
        except DryRun:
            pass
        except (store.StoreError, audit.AuditUnavailable) as exc:
            raise CommandError(str(exc))
        except crypto.CredentialError as exc:
            raise CommandError("the stored value of %r cannot be decrypted: %s" % (options["name"], exc))
        self.stdout.write(json.dumps(result, sort_keys=True))

    def do_set(self, options):
        value = sys.stdin.read()
        if value.endswith("\n"):
            value = value[:-1]
        name = store.check_name(options["name"])
        current = Credential.objects.select_for_update().filter(name=name).first()
        if current is None:
            created = store.create(name, value, options["description"] or "", ACTOR, AUDIT)
            return {"changed": True, "created": True, "credential": created.summary()}
        if current.deleted_at is not None:
            current = store.restore(current, AUDIT)
            restored = True
        else:
            restored = False
        same = store.same_value(current, value, AUDIT)
        updated, changed = store.update(current, ACTOR, AUDIT, value=None if same else value,
                                        description=options["description"])
        fields = sorted(set(changed) - {"hint"})
        return {"changed": bool(fields) or restored, "created": False, "restored": restored, "fields": fields,
                "credential": updated.summary()}

    def do_delete(self, options):
        current = Credential.objects.select_for_update().filter(name=options["name"], deleted_at__isnull=True).first()
        if current is None:
            return {"changed": False, "credential": None}
        return {"changed": True, "credential": store.delete(current, AUDIT).summary()}
