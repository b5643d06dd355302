"""Credential operations. Each one writes its audit row in the same transaction as its change; a read
decrypts inside the transaction that writes its audit row, and returns nothing when that row fails."""

import hmac
import re

from django.db import transaction
from django.utils import timezone

from crhq_app import crypto

from . import audit
from .models import Credential, CredentialVersion, hint_of, value_context, version_context

NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,100}")
MAX_VALUE_CHARS = 65536


class StoreError(ValueError):
    """Bad input or a state that forbids the operation; the message names the problem (never a value)."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def check_name(name):
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise StoreError("a credential name is 1 to 100 characters of letters, digits, '-' and '_'")
    return name


def check_value(value):
    if not isinstance(value, str) or not value:
        raise StoreError("a credential value must be non-empty text")
    if len(value) > MAX_VALUE_CHARS:
        raise StoreError("a credential value has at most %d characters" % MAX_VALUE_CHARS)
    return value


def check_description(description):
    if not isinstance(description, str) or len(description) > 500:
        raise StoreError("a description is text of at most 500 characters")
    return description


def get(name, deleted=False):
    credential = Credential.objects.filter(name=name).first()
    if credential is None or (credential.deleted_at is not None) != deleted:
        raise StoreError("no %scredential named %r" % ("deleted " if deleted else "", name), status=404)
    return credential


def _keep_version(credential, value, change, actor):
    CredentialVersion.objects.create(
        credential=credential, version=credential.version, change=change, actor=actor, hint=hint_of(value),
        value=crypto.encrypt(value, version_context(credential.pk, credential.version)))


def create(name, value, description, actor, audit_args):
    check_name(name)
    check_value(value)
    check_description(description)
    with transaction.atomic():
        existing = Credential.objects.filter(name=name).first()
        if existing is not None:
            raise StoreError("a credential named %r exists%s" % (
                name, " (deleted: restore it, or choose another name)" if existing.deleted_at else ""), status=409)
        credential = Credential.objects.create(name=name, description=description, value="", hint=hint_of(value),
                                               created_by=actor)
        credential.value = crypto.encrypt(value, value_context(credential.pk))
        credential.save(update_fields=["value"])
        _keep_version(credential, value, "create", actor)
        audit.record("credential.create", object_type="credential", object_id=name,
                     detail={"version": credential.version}, **audit_args)
    return credential


def update(credential, actor, audit_args, value=None, description=None):
    """A new value makes a new version; a description alone changes in place. Returns the fields changed."""
    changed = []
    with transaction.atomic():
        credential = Credential.objects.select_for_update().get(pk=credential.pk)
        if description is not None and check_description(description) != credential.description:
            credential.description = description
            changed.append("description")
        if value is not None:
            check_value(value)
            credential.version += 1
            credential.value = crypto.encrypt(value, value_context(credential.pk))
            credential.hint = hint_of(value)
            changed += ["value", "version", "hint"]
            _keep_version(credential, value, "update", actor)
        if changed:
            credential.updated_at = timezone.now()
            credential.save(update_fields=changed + ["updated_at"])
            audit.record("credential.update", object_type="credential", object_id=credential.name,
                         detail={"fields": sorted(set(changed) - {"hint"}), "version": credential.version},
                         **audit_args)
    return credential, changed


def delete(credential, audit_args):
    with transaction.atomic():
        credential = Credential.objects.select_for_update().get(pk=credential.pk)
        credential.deleted_at = timezone.now()
        credential.save(update_fields=["deleted_at"])
        audit.record("credential.delete", object_type="credential", object_id=credential.name,
                     detail={"version": credential.version}, **audit_args)
    return credential


def restore(credential, audit_args):
    with transaction.atomic():
        credential = Credential.objects.select_for_update().get(pk=credential.pk)
        credential.deleted_at = None
        credential.updated_at = timezone.now()
        credential.save(update_fields=["deleted_at", "updated_at"])
        audit.record("credential.restore", object_type="credential", object_id=credential.name,
                     detail={"version": credential.version}, **audit_args)
    return credential


def read_value(credential, audit_args, action="credential.read"):
    """The plaintext, returned only once its audit row is written in the same transaction."""
    with transaction.atomic():
        value = crypto.decrypt(credential.value, value_context(credential.pk))
        audit.record(action, object_type="credential", object_id=credential.name,
                     detail={"version": credential.version}, **audit_args)
    return value


def same_value(credential, value, audit_args):
    """Whether the stored value equals `value` (compared on the server in constant time; audited as a compare)."""
    stored = read_value(credential, audit_args, action="credential.compare")
    return hmac.compare_digest(stored.encode("utf-8"), value.encode("utf-8"))
