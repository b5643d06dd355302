# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adapter from the crypto core's CredentialError to Ansible's filter errors."""

from __future__ import annotations

import binascii
import functools

from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.module_utils.keyring import CredentialError


def filter_function(name, func):
    """Wrap `func` so a bad input fails the task with a message naming the filter and the problem.

    The original exception is dropped (``from None``): the message already says everything,
    and no traceback at -vvv can carry the arguments (keys, plaintext) of the call.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CredentialError as exc:
            raise AnsibleFilterError("%s: %s" % (name, exc)) from None
        except binascii.Error:
            # the message of binascii can only say "Incorrect padding" or similar: name the kind of problem
            raise AnsibleFilterError("%s: an argument is not valid base64 or base32" % name) from None
        except UnicodeError:
            # the codec's message quotes the offending character, which may be part of a secret
            raise AnsibleFilterError("%s: an argument is not text that UTF-8 can encode or decode" % name) from None
        except TypeError as exc:
            # wrong number or names of arguments: the message names parameters only
            raise AnsibleFilterError("%s: %s" % (name, exc)) from None

    return wrapper
