"""A stand-in for another app deployed by crhq.platform.app: see pyproject.toml."""

SCHEMA = "1"
STATE_DIR = "/var/lib/crhq-other-app"
