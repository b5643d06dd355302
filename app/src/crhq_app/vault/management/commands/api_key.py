"""crhq-app api_key: issue, revoke and list API keys (for crhq.platform.api_key). One JSON line on stdout.

  issue  --name N --scope S [--scope S ...] [--credential C ...] [--expires-days D] [--key-file PATH] [--dry-run]
  revoke --name N [--dry-run]
  list

The key is printed once (field "key") unless --key-file is given: then it goes to a new root-only file
(mode 0600) and the output holds only its id. Issue and revoke are audited with Ansible as the actor.
"""

import datetime
import json
import os

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from crhq_app.vault import apikeys, audit
from crhq_app.vault.models import ApiKey, Credential

ACTOR = {"actor_type": "ansible", "actor": "ansible"}


class DryRun(Exception):
    """Rolls the transaction back after a --dry-run computed its result."""


def _write_temporary_key_file(path, key):
    """The key in a new 0600 file beside `path`, flushed to disk; renamed into place once the key is committed."""
    if not os.path.isabs(path):
        raise CommandError("the key file must be an absolute path, got %r" % path)
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise CommandError("the directory of the key file %s does not exist" % path)
    temporary = os.path.join(directory, ".%s.tmp" % os.path.basename(path))
    try:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise CommandError("cannot write the key file %s: %s; no key was issued" % (path, exc.strerror or exc))
    return temporary


class Command(BaseCommand):
    help = "Issue, revoke or list API keys. Prints one JSON line."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["issue", "revoke", "list"])
        parser.add_argument("--name")
        parser.add_argument("--scope", action="append", default=[], choices=apikeys.SCOPES)
        parser.add_argument("--credential", action="append", default=[])
        parser.add_argument("--expires-days", type=int)
        parser.add_argument("--key-file", help="write the key to this new file (mode 0600) instead of stdout")
        parser.add_argument("--dry-run", action="store_true", help="report what would change; change nothing")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "list":
            keys = ApiKey.objects.prefetch_related("credentials")
            self.stdout.write(json.dumps({"changed": False, "keys": [k.summary() for k in keys]}, sort_keys=True))
            return
        if not options["name"]:
            raise CommandError("--name is required to %s a key" % action)
        temporary = None
        try:
            with transaction.atomic():
                result = getattr(self, action)(options)
                key = result.pop("_key", None)
                if options["dry_run"]:
                    raise DryRun
                if key is not None and options["key_file"]:
                    # written before the commit: when the file cannot be written, the key is rolled back
                    temporary = _write_temporary_key_file(options["key_file"], key)
        except DryRun:
            key = None  # rolled back: that key does not exist
        except (apikeys.ApiKeyError, audit.AuditUnavailable) as exc:
            raise CommandError(str(exc))
        if temporary is not None:
            os.replace(temporary, options["key_file"])
        elif key is not None:
            result["key"] = key
        self.stdout.write(json.dumps(result, sort_keys=True))

    def issue(self, options):
        name = options["name"]
        credentials = []
        for credential_name in options["credential"]:
            found = Credential.objects.filter(name=credential_name, deleted_at__isnull=True).first()
            if found is None:
                raise CommandError("no credential named %r (store it first)" % credential_name)
            credentials.append(found)
        if options["expires_days"] is not None and options["expires_days"] < 1:
            raise CommandError("--expires-days must be at least 1")
        current = ApiKey.objects.select_for_update().filter(name=name, revoked_at__isnull=True).first()
        if current is not None and current.state() == "expired":
            # an expired key works no more: present means a working key, so it is replaced by a new one
            current.revoked_at = timezone.now()
            current.save(update_fields=["revoked_at"])
            audit.record("api_key.revoke", object_type="api_key", object_id=current.key_id,
                         detail={"name": current.name, "reason": "expired"}, **ACTOR)
            current = None
        if current is not None:
            return self.bring_to(current, options, credentials)
        api_key, key = apikeys.issue(name, options["scope"], credentials, created_by="ansible",
                                     expires_days=options["expires_days"])
        audit.record("api_key.issue", object_type="api_key", object_id=api_key.key_id,
                     detail={"name": name, "scopes": api_key.scopes, "credentials": options["credential"]}, **ACTOR)
        return {"changed": True, "api_key": api_key.summary(), "_key": key}

    def bring_to(self, current, options, credentials):
        """An active key keeps its secret; its scopes, credentials and expiry become the requested ones."""
        wanted_expiry = None
        if options["expires_days"] is not None:
            wanted_expiry = current.created_at + datetime.timedelta(days=options["expires_days"])
        changes = {}
        if sorted(set(options["scope"])) != sorted(current.scopes):
            unknown = sorted(set(options["scope"]) - set(apikeys.SCOPES))
            if unknown or not options["scope"]:
                raise apikeys.ApiKeyError("scopes must be one or more of %s" % ", ".join(apikeys.SCOPES))
            changes["scopes"] = sorted(set(options["scope"]))
        if sorted(c.pk for c in credentials) != sorted(current.credentials.values_list("pk", flat=True)):
            changes["credentials"] = sorted(c.name for c in credentials)
        if wanted_expiry != current.expires_at:
            changes["expires_at"] = wanted_expiry.isoformat() if wanted_expiry else None
        if not changes:
            return {"changed": False, "api_key": current.summary()}
        if "scopes" in changes:
            current.scopes = changes["scopes"]
        current.expires_at = wanted_expiry
        current.save(update_fields=["scopes", "expires_at"])
        current.credentials.set(credentials)
        audit.record("api_key.update", object_type="api_key", object_id=current.key_id,
                     detail=dict(changes, name=current.name), **ACTOR)
        return {"changed": True, "api_key": current.summary()}

    def revoke(self, options):
        current = ApiKey.objects.filter(name=options["name"], revoked_at__isnull=True).first()
        if current is None:
            return {"changed": False, "api_key": None}
        current.revoked_at = timezone.now()
        current.save(update_fields=["revoked_at"])
        audit.record("api_key.revoke", object_type="api_key", object_id=current.key_id,
                     detail={"name": current.name}, **ACTOR)
        return {"changed": True, "api_key": current.summary()}
