from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac


class User(AbstractUser):
    """A CRHQ account. Second-factor secrets are crhq.v1 envelopes, never plaintext."""

    # Part of the session auth hash: adding one ends every session of the user ("log out everywhere").
    session_epoch = models.PositiveIntegerField(default=0)
    # TOTP secret in use: envelope with context totp_context(pk); empty when not enrolled.
    totp_secret = models.TextField(blank=True, default="")
    # Secret shown on the enrolment page, not yet confirmed with a code: context totp_pending_context(pk).
    totp_pending = models.TextField(blank=True, default="")
    # Highest RFC 6238 time step accepted so far; a code of this step or an earlier one is refused.
    totp_last_step = models.BigIntegerField(null=True, blank=True)
    totp_enabled_at = models.DateTimeField(null=True, blank=True)
    # Unused backup codes, kept by crhq_app.accounts.twofactor in the transaction that changes them, so that
    # a page can show the number from the user row every request loads anyway (BackupCode rows are the truth).
    backup_codes_left = models.PositiveSmallIntegerField(default=0)

    @property
    def totp_enabled(self):
        return bool(self.totp_secret)

    @property
    def totp_required(self):
        """Whether this account must use TOTP (CRHQ_TOTP_REQUIRED), or has chosen to."""
        if self.totp_enabled or settings.CRHQ_TOTP_REQUIRED == "all":
            return True
        return self.is_staff or self.is_superuser

    def _crhq_session_hash(self, secret):
        return salted_hmac(
            "crhq_app.accounts.User.session_auth_hash",
            "%s\x00%s" % (self.password, self.session_epoch),
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_session_auth_hash(self):
        """Changes with the password and with session_epoch: either ends every other session."""
        return self._crhq_session_hash(settings.SECRET_KEY)

    def get_session_auth_fallback_hash(self):
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._crhq_session_hash(secret)


def totp_context(pk):
    return "user:%d/totp_secret" % pk


def totp_pending_context(pk):
    return "user:%d/totp_pending" % pk


class BackupCode(models.Model):
    """One single-use backup code, stored as a bcrypt hash (the password hasher)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="backup_codes")
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "used_at"])]
