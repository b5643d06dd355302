"""Credential encryption for the app.

`envelope.py` and `keyring.py` in this package are git symlinks to the collection's
plugins/module_utils files (the wheel holds their content): one implementation of the crhq.v1
envelope (docs/crypto-format.md) for the collection and the app.
"""

from django.conf import settings

from crhq_app.crypto import envelope

CredentialError = envelope.CredentialError


def encrypt(value, context):
    """Encrypt text under the configured keyring's primary key, bound to `context`."""
    return envelope.encrypt(value, settings.CRHQ_KEYRING, context)


def decrypt(value, context):
    """Decrypt an envelope written for `context`; raises CredentialError otherwise."""
    return envelope.decrypt(value, settings.CRHQ_KEYRING, context)


def rewrap(value, context):
    """The same value under the primary key (unchanged when it is already under it)."""
    return envelope.rewrap(value, settings.CRHQ_KEYRING, context)


def keyring_entries():
    """The keyring's entries (id, created, key): which key ids this server can decrypt."""
    return settings.CRHQ_KEYRING["keys"]


def primary_key_id():
    """The id of the key that encrypts now."""
    return envelope.primary_key_id(settings.CRHQ_KEYRING)
