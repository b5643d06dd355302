# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adapter from the crypto core's CredentialError to Ansible's filter errors."""

from __future__ import annotations

import binascii
import functools

from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.module_utils.keyring import CredentialError


FILTER_INPUT_ERRORS = (CredentialError, binascii.Error, UnicodeError, TypeError)


def filter_error(name, exc):
    """The AnsibleFilterError for an exception of FILTER_INPUT_ERRORS raised by filter `name`.

    Raise it ``from None``: the message already says everything, and no traceback at -vvv can carry
    the arguments (keys, plaintext) of the call.
    """
    if isinstance(exc, CredentialError):
        return AnsibleFilterError("%s: %s" % (name, exc))
    if isinstance(exc, binascii.Error):
        # the message of binascii can only say "Incorrect padding" or similar: name the kind of problem
        return AnsibleFilterError("%s: an argument is not valid base64 or base32" % name)
    if isinstance(exc, UnicodeError):
        # the codec's message quotes the offending character, which may be part of a secret
        return AnsibleFilterError("%s: an argument is not text that UTF-8 can encode or decode" % name)
    # TypeError: wrong number or names of arguments; the message names parameters only
    return AnsibleFilterError("%s: %s" % (name, exc))


def filter_function(name, func):
    """Wrap `func` so a bad input fails the task with a message naming the filter and the problem."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except FILTER_INPUT_ERRORS as exc:
            raise filter_error(name, exc) from None

    return wrapper
