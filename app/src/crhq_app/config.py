"""Every CRHQ_* environment variable is read and checked here, once, when the settings load.

`load(environ)` returns a Config or raises ImproperlyConfigured that names every problem at
once. Messages name the variable and the file, never the content of a secret.
"""

import dataclasses
import os
import re

from django.core.exceptions import ImproperlyConfigured

from crhq_app.crypto import keyring as keyring_format

DEFAULTS = {
    "CRHQ_DB_HOST": "/var/run/postgresql",
    "CRHQ_DB_PORT": "5432",
    "CRHQ_SESSION_IDLE_SECONDS": "1800",
    "CRHQ_SESSION_ABSOLUTE_SECONDS": "43200",
    "CRHQ_TOKEN_SECONDS": "3600",
    "CRHQ_BCRYPT_COST": "12",
    "CRHQ_TOTP_REQUIRED": "all",
    "CRHQ_LOG_LEVEL": "INFO",
}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TOTP_POLICIES = ("all", "staff")
SESSION_SECRET_MIN_CHARS = 32
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)%s(?:\.%s)*$" % (_LABEL, _LABEL))


@dataclasses.dataclass(frozen=True)
class Config:
    hostname: str
    db_name: str
    db_user: str
    db_host: str
    db_port: int
    db_password: str = dataclasses.field(repr=False)
    keyring: dict = dataclasses.field(repr=False)
    hub_key: str = dataclasses.field(repr=False)
    secret_key: str = dataclasses.field(repr=False)
    session_idle_seconds: int
    session_absolute_seconds: int
    token_seconds: int
    bcrypt_cost: int
    totp_required: str
    static_root: str
    log_level: str
    session_cache_dir: str = ""


class _Reader:
    def __init__(self, environ):
        self.environ = environ
        self.problems = []

    def text(self, name, required=True):
        value = self.environ.get(name, DEFAULTS.get(name, "")).strip()
        if not value and required:
            self.problems.append("%s is not set" % name)
        return value

    def integer(self, name, low, high):
        text = self.text(name)
        if not text:
            return None
        try:
            value = int(text, 10)
        except ValueError:
            self.problems.append("%s must be a whole number, got %r" % (name, text[:40]))
            return None
        if not low <= value <= high:
            self.problems.append("%s must be from %d to %d, got %d" % (name, low, high, value))
            return None
        return value

    def choice(self, name, choices, normalise=str.lower):
        value = normalise(self.text(name))
        if value and value not in choices:
            self.problems.append("%s must be one of %s, got %r" % (name, ", ".join(choices), value[:40]))
        return value

    def file(self, name, required=True):
        """Content of the file the variable names, without its trailing newline."""
        path = self.text(name, required)
        if not path:
            return ""
        if not os.path.isabs(path):
            self.problems.append("%s must be an absolute path, got %r" % (name, path))
            return ""
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read().rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
            self.problems.append("%s=%s cannot be read: %s" % (name, path, reason))
            return ""


def load(environ):
    """Read the CRHQ_* variables of `environ` (a mapping) into a Config."""
    read = _Reader(environ)

    hostname = read.text("CRHQ_HOSTNAME").lower()
    if hostname and not HOSTNAME_RE.fullmatch(hostname):
        read.problems.append("CRHQ_HOSTNAME must be a DNS name without scheme, port or path, got %r" % hostname[:80])

    db_name = read.text("CRHQ_DB_NAME")
    db_user = read.text("CRHQ_DB_USER")
    db_host = read.text("CRHQ_DB_HOST")
    db_port = read.integer("CRHQ_DB_PORT", 1, 65535)
    db_password = read.file("CRHQ_DB_PASSWORD_FILE", required=False)

    keyring = None
    keyring_text = read.file("CRHQ_KEYRING_FILE")
    if keyring_text:
        try:
            keyring = keyring_format.parse_keyring(keyring_text)
        except ValueError as exc:  # CredentialError; its message never holds key material
            read.problems.append("CRHQ_KEYRING_FILE=%s is not a usable keyring: %s" % (environ.get("CRHQ_KEYRING_FILE"), exc))

    hub_key = read.file("CRHQ_HUB_KEY_FILE", required=False)
    if hub_key and (not hub_key.startswith("crhq_hk_") or len(hub_key) < 30):
        read.problems.append("CRHQ_HUB_KEY_FILE=%s does not hold a hub key (crhq_hk_ and at least 22 base62 characters)"
                             % environ.get("CRHQ_HUB_KEY_FILE"))
        hub_key = ""

    secret_key = read.file("CRHQ_SESSION_SECRET_FILE")
    if secret_key and len(secret_key) < SESSION_SECRET_MIN_CHARS:
        read.problems.append("CRHQ_SESSION_SECRET_FILE=%s holds %d characters; at least %d are needed"
                             % (environ.get("CRHQ_SESSION_SECRET_FILE"), len(secret_key), SESSION_SECRET_MIN_CHARS))

    idle = read.integer("CRHQ_SESSION_IDLE_SECONDS", 60, 7 * 86400)
    absolute = read.integer("CRHQ_SESSION_ABSOLUTE_SECONDS", 60, 30 * 86400)
    if idle and absolute and absolute < idle:
        read.problems.append("CRHQ_SESSION_ABSOLUTE_SECONDS (%d) must not be shorter than CRHQ_SESSION_IDLE_SECONDS (%d)"
                             % (absolute, idle))

    token_seconds = read.integer("CRHQ_TOKEN_SECONDS", 60, 86400)
    bcrypt_cost = read.integer("CRHQ_BCRYPT_COST", 4, 31)
    totp_required = read.choice("CRHQ_TOTP_REQUIRED", TOTP_POLICIES)

    static_root = read.text("CRHQ_STATIC_ROOT")
    if static_root and not os.path.isabs(static_root):
        read.problems.append("CRHQ_STATIC_ROOT must be an absolute path, got %r" % static_root)

    log_level = read.choice("CRHQ_LOG_LEVEL", LOG_LEVELS, normalise=str.upper)

    session_cache_dir = read.text("CRHQ_SESSION_CACHE_DIR", required=False)
    if session_cache_dir and not os.path.isabs(session_cache_dir):
        read.problems.append("CRHQ_SESSION_CACHE_DIR must be an absolute path, got %r" % session_cache_dir)

    if read.problems:
        raise ImproperlyConfigured("CRHQ app configuration is invalid:\n  - " + "\n  - ".join(read.problems))
    return Config(
        hostname=hostname, db_name=db_name, db_user=db_user, db_host=db_host, db_port=db_port,
        db_password=db_password, keyring=keyring, hub_key=hub_key, secret_key=secret_key,
        session_idle_seconds=idle, session_absolute_seconds=absolute, token_seconds=token_seconds,
        bcrypt_cost=bcrypt_cost,
        totp_required=totp_required, static_root=static_root, log_level=log_level,
        session_cache_dir=session_cache_dir,
    )
