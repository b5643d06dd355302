# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key descriptions (name, type, file in a directory) as the items crhq.platform.secret takes."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.module_utils.parsing.convert_bool import boolean


class SecretItemsError(ValueError):
    """A key description or an argument crhq.platform.secret could not take."""


def secret_items(keys, directory, rotate_keyrings=False):
    """One crhq.platform.secret item ({path, type}, and for a keyring whether to rotate it) for each key of `keys`, in
    their order; each key names its `file` inside `directory` (no directory part) and its `type`."""
    if not isinstance(directory, str) or not directory.startswith("/"):
        raise SecretItemsError("the directory must be an absolute path, got %r" % (directory,))
    if not isinstance(keys, list):
        raise SecretItemsError("the keys must be a list, got %s" % type(keys).__name__)
    try:
        # as the module's own boolean options take it: `-e instance_rotate_master_key=true` passes a string
        rotate_keyrings = boolean(rotate_keyrings, strict=True)
    except TypeError:
        raise SecretItemsError("rotate_keyrings must be true or false, got %r" % (rotate_keyrings,)) from None
    items = []
    for index, key in enumerate(keys):
        if not isinstance(key, Mapping):
            raise SecretItemsError("key %d is not a dictionary" % index)
        name, kind = key.get("file"), key.get("type")
        if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
            raise SecretItemsError("key %d: file must be a file name without a directory part, got %r" % (index, name))
        if not isinstance(kind, str) or not kind:
            raise SecretItemsError("key %d (%s): type must be a non-empty string" % (index, name))
        item = {"path": directory.rstrip("/") + "/" + name, "type": kind}
        if kind == "keyring":
            item["rotate"] = rotate_keyrings
        items.append(item)
    return items
