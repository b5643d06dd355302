"""Second factors: TOTP (RFC 6238) with replay protection, and single-use backup codes."""

import logging
import re
import time

import pyotp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from crhq_app import crypto
from crhq_app.crypto import keyring as material

from .backends import forget_user
from .models import BackupCode, User, totp_context, totp_pending_context

log = logging.getLogger("crhq.security")

TOTP_DIGITS = 6
TOTP_PERIOD = 30
TOTP_VALID_WINDOW = 1  # the previous, current and next 30-second step
BACKUP_CODE_COUNT = 10
_TOTP_CODE_RE = re.compile(r"^[0-9]{%d}$" % TOTP_DIGITS)
_BACKUP_CODE_RE = re.compile(r"^[%s]{10}$" % material.BACKUP_CODE_ALPHABET)


def _totp(secret):
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD)


def normalise_totp_code(text):
    code = (text or "").replace(" ", "").strip()
    return code if _TOTP_CODE_RE.fullmatch(code) else None


def normalise_backup_code(text):
    """'ABCDE FGHIJ', 'abcdefghij' and 'abcde-fghij' are the same code; None when malformed."""
    code = (text or "").strip().lower().replace(" ", "").replace("-", "")
    return code[:5] + "-" + code[5:] if _BACKUP_CODE_RE.fullmatch(code) else None


def provisioning_uri(user, secret):
    """otpauth:// URI; the account label names the user and this server's host name."""
    account = "%s@%s" % (user.get_username(), settings.ALLOWED_HOSTS[0])
    return _totp(secret).provisioning_uri(name=account, issuer_name=settings.CRHQ_TOTP_ISSUER)


def qr_svg(uri):
    """The URI as an inline SVG QR code: one <path>, presentation attributes, no style or script."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    return image.to_string(encoding="unicode")


def start_enrolment(user):
    """Store a fresh pending secret (encrypted) and return it; the one in use stays until confirmed."""
    secret = material.new_token("totp", nbytes=20)  # 160 bits, 32 base32 characters
    user.totp_pending = crypto.encrypt(secret, totp_pending_context(user.pk))
    user.save(update_fields=["totp_pending"])
    return secret


def pending_secret(user):
    if not user.totp_pending:
        return None
    return crypto.decrypt(user.totp_pending, totp_pending_context(user.pk))


def _matching_step(secret, code, now):
    try:
        return _totp(secret).verify_and_get_timecode(code, for_time=now, valid_window=TOTP_VALID_WINDOW)
    except pyotp.exceptions.OTPVerificationError:
        return None


def _copy_totp_state(source, target):
    for field in ("totp_secret", "totp_pending", "totp_last_step", "totp_enabled_at"):
        setattr(target, field, getattr(source, field))


def confirm_enrolment(user, code, now=None):
    """Make the pending secret the one in use when `code` matches it. True on success."""
    code = normalise_totp_code(code)
    if code is None:
        return False
    now = time.time() if now is None else now
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        secret = pending_secret(locked)
        step = _matching_step(secret, code, now) if secret else None
        if step is None:
            return False
        locked.totp_secret = crypto.encrypt(secret, totp_context(locked.pk))
        locked.totp_pending = ""
        locked.totp_last_step = step  # the confirming code cannot log in again
        locked.totp_enabled_at = timezone.now()
        locked.save(update_fields=["totp_secret", "totp_pending", "totp_last_step", "totp_enabled_at"])
    _copy_totp_state(locked, user)
    log.info("totp enrolled user=%s", user.pk)
    return True


def enrol_directly(user):
    """Enrol a new secret without a confirming code (the ensure_user command); returns the secret."""
    secret = material.new_token("totp", nbytes=20)  # 160 bits, 32 base32 characters
    user.totp_secret = crypto.encrypt(secret, totp_context(user.pk))
    user.totp_pending = ""
    user.totp_last_step = None
    user.totp_enabled_at = timezone.now()
    user.save(update_fields=["totp_secret", "totp_pending", "totp_last_step", "totp_enabled_at"])
    return secret


def verify_totp(user, code, now=None):
    """True when `code` is valid for the secret in use and its time step is newer than any used before."""
    code = normalise_totp_code(code)
    if code is None or not user.totp_secret:
        return False
    now = time.time() if now is None else now
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        secret = crypto.decrypt(locked.totp_secret, totp_context(locked.pk))
        step = _matching_step(secret, code, now)
        if step is None:
            return False
        if locked.totp_last_step is not None and step <= locked.totp_last_step:
            log.warning("totp code replayed user=%s step=%d", locked.pk, step)
            return False
        locked.totp_last_step = step
        locked.save(update_fields=["totp_last_step"])
    user.totp_last_step = step
    return True


def regenerate_backup_codes(user):
    """Replace every backup code of the user by BACKUP_CODE_COUNT new ones; returns them (show once)."""
    codes = material.new_backup_codes(BACKUP_CODE_COUNT)
    hashes = [make_password(code) for code in codes]
    with transaction.atomic():
        BackupCode.objects.filter(user=user).delete()
        BackupCode.objects.bulk_create([BackupCode(user=user, code_hash=h) for h in hashes])
        User.objects.filter(pk=user.pk).update(backup_codes_left=len(hashes))
        forget_user(user.pk)
    user.backup_codes_left = len(hashes)
    log.info("backup codes regenerated user=%s", user.pk)
    return codes


def use_backup_code(user, text):
    """Spend one unused backup code. True when `text` is one; it can never be used again."""
    code = normalise_backup_code(text)
    if code is None:
        return False
    with transaction.atomic():
        unused = BackupCode.objects.select_for_update().filter(user=user, used_at__isnull=True).order_by("pk")
        for backup in unused:
            if check_password(code, backup.code_hash):
                backup.used_at = timezone.now()
                backup.save(update_fields=["used_at"])
                left = backup_codes_left(user)
                User.objects.filter(pk=user.pk).update(backup_codes_left=left)
                forget_user(user.pk)
                user.backup_codes_left = left
                log.info("backup code used user=%s left=%d", user.pk, left)
                return True
    return False


def backup_codes_left(user):
    """Unused backup codes of the user, counted in the database (User.backup_codes_left keeps this number)."""
    return BackupCode.objects.filter(user=user, used_at__isnull=True).count()
