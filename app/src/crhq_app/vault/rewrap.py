"""Key rotation: every stored envelope (TOTP secrets, credentials and their kept versions) moved to the
keyring's primary key in one transaction, then every value checked to decrypt, and counted.

An interrupted rewrap changes nothing (the transaction rolls back) and the keyring still holds the old keys,
so every value stays decryptable; a finished one leaves no value under an older key, which can then retire.
"""

from collections import Counter

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from crhq_app import crypto
from crhq_app.accounts.models import totp_context, totp_pending_context

from . import audit
from .models import Credential, CredentialVersion, value_context, version_context

BATCH = 1000


class RewrapError(Exception):
    """A value that does not decrypt, or counts that differ: nothing was changed."""


def _sources():
    """(label, queryset, field, context of a row) of every kind of stored envelope."""
    users = get_user_model().objects.all()
    return [
        ("totp_secret", users.exclude(totp_secret=""), "totp_secret", lambda u: totp_context(u.pk)),
        ("totp_pending", users.exclude(totp_pending=""), "totp_pending", lambda u: totp_pending_context(u.pk)),
        ("credential", Credential.objects.all(), "value", lambda c: value_context(c.pk)),
        ("credential_version", CredentialVersion.objects.all(), "value",
         lambda v: version_context(v.credential_id, v.version)),
    ]


def key_ids():
    """Counter of key ids over every stored envelope (read only)."""
    found = Counter()
    for _label, rows, field, _context in _sources():
        for value in rows.values_list(field, flat=True).iterator(chunk_size=BATCH):
            found[value.split(".")[2]] += 1
    return found


def verify():
    """Decrypt every stored value with the keyring in use (read only): the check after a restore."""
    known = {entry["id"] for entry in crypto.keyring_entries()}
    checked, missing, failed = 0, Counter(), []
    for label, rows, field, context in _sources():
        for row in rows.order_by("pk").iterator(chunk_size=BATCH):
            value = getattr(row, field)
            kid = value.split(".")[2]
            if kid not in known:
                missing[kid] += 1
                continue
            try:
                crypto.decrypt(value, context(row))
            except crypto.CredentialError:
                failed.append("%s %d" % (label, row.pk))
            checked += 1
    result = {"changed": False, "checked": checked, "missing_key_ids": dict(missing), "failed": failed[:20],
              "failed_count": len(failed), "ok": not missing and not failed}
    audit.record("keyring.verify", actor_type="ansible", actor="ansible", object_type="keyring",
                 result="ok" if result["ok"] else "error",
                 detail={"checked": checked, "missing_key_ids": dict(missing), "failed": len(failed)})
    return result


def rewrap(dry_run=False):
    """Rewrap everything under the primary key; returns the counts. Raises RewrapError (nothing changed)."""
    primary = crypto.primary_key_id()
    before, counts, rewrapped = Counter(), {}, 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # nothing is written to these tables until the rewrap commits (reads go on), so the second count
            # sees exactly the rows the first one did, and no older envelope is written back afterwards
            tables = [source[1].model._meta.db_table for source in _sources()]
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE %s IN EXCLUSIVE MODE" % ", ".join(
                    connection.ops.quote_name(table) for table in sorted(set(tables))))
        for label, rows, field, context in _sources():
            pending, count = [], 0
            model = rows.model
            for row in rows.select_for_update().order_by("pk").iterator(chunk_size=BATCH):
                value = getattr(row, field)
                before[value.split(".")[2]] += 1
                count += 1
                try:
                    new = crypto.rewrap(value, context(row))
                except crypto.CredentialError as exc:
                    raise RewrapError("%s %d: %s; nothing was changed" % (label, row.pk, exc))
                if new != value:
                    setattr(row, field, new)
                    pending.append(row)
                if len(pending) >= BATCH:
                    model.objects.bulk_update(pending, [field])
                    rewrapped += len(pending)
                    pending = []
            if pending:
                model.objects.bulk_update(pending, [field])
                rewrapped += len(pending)
            counts[label] = count
        # every value again, from the database: the same number, each under the primary and decrypting
        after, checked = Counter(), 0
        for label, rows, field, context in _sources():
            number = 0
            for row in rows.order_by("pk").iterator(chunk_size=BATCH):
                value = getattr(row, field)
                after[value.split(".")[2]] += 1
                try:
                    crypto.decrypt(value, context(row))
                except crypto.CredentialError as exc:
                    raise RewrapError("%s %d does not decrypt after the rewrap: %s; nothing was changed"
                                      % (label, row.pk, exc))
                number += 1
            if number != counts[label]:
                raise RewrapError("%s: %d values before the rewrap, %d after; nothing was changed"
                                  % (label, counts[label], number))
            checked += number
        if set(after) - {primary}:
            raise RewrapError("values are still under %s after the rewrap; nothing was changed"
                              % ", ".join(sorted(set(after) - {primary})))
        audit.record("keyring.rewrap", actor_type="ansible", actor="ansible", object_type="keyring",
                     object_id=primary, detail={"checked": checked, "rewrapped": rewrapped, "counts": counts,
                                                "key_ids_before": dict(before)})
        if dry_run:
            transaction.set_rollback(True)
    return {"changed": rewrapped > 0, "primary": primary, "checked": checked, "rewrapped": rewrapped,
            "counts": counts, "key_ids_before": dict(before), "key_ids_after": dict(after)}
