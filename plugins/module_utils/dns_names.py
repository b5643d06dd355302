# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a value is a lowercase DNS host name, as the roles' hostname variables must be."""

from __future__ import annotations

import re

MAX_NAME = 253
# a label: 1 to 63 lowercase ASCII letters, digits and hyphens, not starting or ending with a hyphen
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)


def is_dns_name(value):
    """True for a string of such labels joined by single dots, 1 to 253 characters, without a trailing dot, whose
    last label is not all digits (so not an IPv4 address).

    Anything else, including values that are not strings at all (None, numbers, lists), is simply not a DNS
    name: False, never an exception.
    """
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_NAME:
        return False
    labels = value.split(".")
    # the last label is never all digits (RFC 3696, section 2): that keeps IPv4 addresses out
    return all(_LABEL.fullmatch(label) for label in labels) and not labels[-1].isdigit()
