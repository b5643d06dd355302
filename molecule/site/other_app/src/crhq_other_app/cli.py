"""other-app migrate [--check]: the contract's migration command. The "schema" is a file that records its version;
--check exits 1 while it is missing or older, so the role migrates once and not again."""

import os
import sys

from crhq_other_app import SCHEMA, STATE_DIR


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "migrate":
        print("usage: other-app migrate [--check]", file=sys.stderr)
        return 2
    path = os.path.join(STATE_DIR, "schema")
    try:
        with open(path, encoding="utf-8") as handle:
            current = handle.read().strip()
    except FileNotFoundError:
        current = None
    if "--check" in args[1:]:
        return 0 if current == SCHEMA else 1
    if current != SCHEMA:
        os.makedirs(STATE_DIR, mode=0o755, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(SCHEMA + "\n")
        print("migrated to schema %s as %s" % (SCHEMA, os.environ.get("CRHQ_DB_USER", "?")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
