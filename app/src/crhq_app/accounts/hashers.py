"""Password hashing: bcrypt with a fresh salt per hash and the cost from CRHQ_BCRYPT_COST."""

from django.conf import settings
from django.contrib.auth.hashers import BCryptSHA256PasswordHasher


class CRHQBCryptSHA256PasswordHasher(BCryptSHA256PasswordHasher):
    """Django's bcrypt_sha256 hasher with the work factor taken from the settings.

    bcrypt reads at most 72 bytes of its input (bcrypt 5 refuses longer input outright), so the
    password is first reduced to the 64 hex characters of its SHA-256, as Django's hasher does:
    every byte of a long passphrase counts. Stored form: ``bcrypt_sha256$$2b$<cost>$<salt+hash>``.
    A hash made with another cost is re-made at the next successful login (must_update).
    """

    @property
    def rounds(self):
        return settings.CRHQ_BCRYPT_COST
