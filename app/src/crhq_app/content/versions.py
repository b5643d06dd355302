"""Reading a document's history: numbered versions and what changed between two of them."""

import difflib

FIELDS = ("title", "body", "deleted_at")


def numbered(document):
    """The document's versions oldest first, each with .number (1, 2, ...)."""
    versions = list(document.history.order_by("history_date", "history_id"))
    for number, version in enumerate(versions, 1):
        version.number = number
    return versions


def changes(version, previous):
    """[(field, unified diff lines or (old, new))] between a version and the one before it (None: the first)."""
    found = []
    for field in FIELDS:
        new = getattr(version, field)
        old = getattr(previous, field) if previous is not None else ("" if field != "deleted_at" else None)
        if old == new:
            continue
        if field == "body":
            found.append((field, list(difflib.unified_diff((old or "").splitlines(), (new or "").splitlines(),
                                                           "version %d" % (version.number - 1), "version %d" % version.number,
                                                           lineterm=""))))
        elif field == "deleted_at":
            found.append((field, ("deleted" if old else "present", "deleted" if new else "present")))
        else:
            found.append((field, (old, new)))
    return found
