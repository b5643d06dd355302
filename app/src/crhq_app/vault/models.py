"""The credential store, API keys and the audit log.

Values are crhq.v1 envelopes (docs/crypto-format.md), one per value, bound to the credential's id
and field (and version) by their context: nothing in these tables is plaintext except the short
hint a person recognises a value by (its last characters, only for long values).
"""

import datetime
import hashlib
import json

from django.db import models
from django.db.models import Q
from django.utils import timezone

NAME_HELP = "Letters, digits, '-' and '_'; how agents and playbooks name it."


def value_context(pk):
    """Context of a credential's current value."""
    return "credential:%d/value" % pk


def version_context(pk, version):
    """Context of one kept version of a credential's value."""
    return "credential:%d/value@%d" % (pk, version)


def hint_of(value):
    """The last 4 characters of a value of 16 characters or more (as API consoles show); nothing otherwise."""
    return value[-4:] if len(value) >= 16 else ""


class Credential(models.Model):
    name = models.SlugField(max_length=100, unique=True, help_text=NAME_HELP)
    description = models.CharField(max_length=500, blank=True, default="")
    value = models.TextField()  # envelope, context value_context(pk)
    hint = models.CharField(max_length=4, blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=200)
    deleted_at = models.DateTimeField(null=True, blank=True)  # deleted credentials stay recoverable

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def summary(self):
        return {
            "name": self.name, "description": self.description, "hint": self.hint, "version": self.version,
            "created_at": self.created_at.isoformat(), "updated_at": self.updated_at.isoformat(),
            "created_by": self.created_by, "deleted": self.deleted_at is not None,
        }


class CredentialVersion(models.Model):
    """Every value a credential has had, encrypted like the current one; never changed once written."""

    CHANGES = [("create", "created"), ("update", "updated"), ("delete", "deleted"), ("restore", "restored")]

    credential = models.ForeignKey(Credential, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    value = models.TextField()  # envelope, context version_context(credential pk, version)
    hint = models.CharField(max_length=4, blank=True, default="")
    change = models.CharField(max_length=10, choices=CHANGES)
    at = models.DateTimeField(default=timezone.now)
    actor = models.CharField(max_length=200)

    class Meta:
        ordering = ["credential", "version"]
        constraints = [models.UniqueConstraint(fields=["credential", "version"], name="vault_version_once")]

    def summary(self):
        return {"version": self.version, "change": self.change, "at": self.at.isoformat(), "actor": self.actor,
                "hint": self.hint}


class ApiKey(models.Model):
    """An API key: stored as the SHA-256 of the key, found by its public key id, shown once when issued."""

    SCOPES = [
        ("credentials:list", "list the names of its credentials"),
        ("credentials:read", "read the values of its credentials"),
        ("credentials:write", "create credentials, change and delete its credentials"),
        ("audit:read", "read the audit log"),
    ]

    name = models.SlugField(max_length=100, help_text=NAME_HELP)
    key_id = models.CharField(max_length=16, unique=True)  # public: the first 16 hex digits of key_hash
    key_hash = models.CharField(max_length=64)  # SHA-256 (hex) of the whole key
    scopes = models.JSONField(default=list)
    credentials = models.ManyToManyField(Credential, blank=True, related_name="api_keys")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=200)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_from = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["name", "created_at"]
        constraints = [models.UniqueConstraint(fields=["name"], condition=Q(revoked_at__isnull=True),
                                               name="vault_one_live_key_per_name")]

    def __str__(self):
        return "%s (%s)" % (self.name, self.key_id)

    @property
    def label(self):
        return "api_key:%s" % self.key_id

    def state(self, now=None):
        now = now or timezone.now()
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= now:
            return "expired"
        return "active"

    def summary(self):
        return {
            "name": self.name, "key_id": self.key_id, "scopes": list(self.scopes),
            "credentials": sorted(c.name for c in self.credentials.all()),
            "created_at": self.created_at.isoformat(), "created_by": self.created_by,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "state": self.state(),
        }


class SessionToken(models.Model):
    """A bearer token for API requests by a person who logged in with both factors: short-lived, stored as its
    SHA-256, revocable; it ends with the person's sessions (a password change or "log out everywhere")."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="api_tokens")
    token_id = models.CharField(max_length=16, unique=True)  # public: the first 16 hex digits of token_hash
    token_hash = models.CharField(max_length=64)
    session_hash = models.CharField(max_length=128)  # the user's session auth hash when it was made
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    address = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]

    def summary(self):
        return {"token_id": self.token_id, "created_at": self.created_at.isoformat(),
                "expires_at": self.expires_at.isoformat(),
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}


GENESIS = "0" * 64


class AuditEvent(models.Model):
    """One audited access. Rows are only ever inserted: the app's database role may INSERT and SELECT and
    nothing else (migration 0002), and each row's hash chains it to the one before (crhq_app.vault.audit)."""

    RESULTS = [("ok", "ok"), ("denied", "denied"), ("error", "error")]

    seq = models.BigIntegerField(unique=True)  # 1, 2, 3, ... without gaps
    at = models.DateTimeField()
    actor_type = models.CharField(max_length=16)  # user, api_key, hub, ansible, anonymous
    actor = models.CharField(max_length=200)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32, blank=True, default="")
    object_id = models.CharField(max_length=200, blank=True, default="")
    result = models.CharField(max_length=8, choices=RESULTS)
    address = models.CharField(max_length=64, blank=True, default="")
    request_id = models.CharField(max_length=64, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]

    def fields(self):
        """What the hash covers, as JSON-ready values."""
        return {
            "seq": self.seq, "at": self.at.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor_type": self.actor_type, "actor": self.actor, "action": self.action,
            "object_type": self.object_type, "object_id": self.object_id, "result": self.result,
            "address": self.address, "request_id": self.request_id, "detail": self.detail,
        }

    def compute_hash(self):
        """SHA-256 over the previous row's hash and this row's canonical JSON (docs/app.md)."""
        body = json.dumps(self.fields(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256((self.prev_hash + "\n" + body).encode("ascii")).hexdigest()

    def as_dict(self):
        return dict(self.fields(), prev_hash=self.prev_hash, hash=self.hash)
