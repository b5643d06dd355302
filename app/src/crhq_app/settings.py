"""Django settings for the CRHQ app. Every value that differs per host comes from CRHQ_* variables
(crhq_app.config reads and checks them); everything else here is fixed policy.

The app runs behind nginx, which terminates TLS and is the only client of the app's socket.
"""

import os
from pathlib import Path

from csp.constants import NONE, SELF

from crhq_app.config import load

PACKAGE_DIR = Path(__file__).resolve().parent
config = load(os.environ)  # lower case: not a Django setting itself
SERVED_BY_ASGI = os.environ.get("CRHQ_SERVED_BY_ASGI") == "1"  # set by crhq_app.asgi

DEBUG = False
SECRET_KEY = config.secret_key
ALLOWED_HOSTS = [config.hostname]
CSRF_TRUSTED_ORIGINS = ["https://" + config.hostname]

# nginx sets X-Forwarded-Proto to its own scheme and X-Real-IP to the peer address, overwriting
# whatever the client sent; crhq_app.middleware.RealIPMiddleware reads X-Real-IP and nothing else.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = False
USE_X_FORWARDED_PORT = False

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "csp",
    "django_ratelimit",
    "simple_history",
    "crhq_app.accounts",
    "crhq_app.vault",
    "crhq_app.content",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "crhq_app.middleware.RealIPMiddleware",
    "crhq_app.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crhq_app.middleware.SessionLifetimeMiddleware",
    "crhq_app.middleware.LoginRequiredMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "crhq_app.urls"
WSGI_APPLICATION = "crhq_app.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": config.db_name,
        "USER": config.db_user,
        "PASSWORD": config.db_password,
        "HOST": config.db_host,
        "PORT": config.db_port,
        # a connection serves a worker's requests for a minute; under ASGI (crhq_app.asgi) each request
        # opens its own, as Django advises there
        "CONN_MAX_AGE": 0 if SERVED_BY_ASGI else 60,
        "CONN_HEALTH_CHECKS": True,
        "ATOMIC_REQUESTS": False,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The login throttle's counters live in the database, shared by every gunicorn worker. The table
# is created by the accounts app's migrations. django-ratelimit flags the database cache because
# its increment is a read then a write: two requests racing on one counter can count once, so the
# worst case is a limit multiplied by the number of workers answering at that instant (docs/app.md).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "crhq_throttle",
        # a full table is culled; keep it large so that nobody can evict a counter by filling it
        "OPTIONS": {"MAX_ENTRIES": 100000, "CULL_FREQUENCY": 10},
    },
}
RATELIMIT_USE_CACHE = "throttle"
RATELIMIT_FAIL_OPEN = False
CRHQ_LOGIN_ACCOUNT_RATE = "10/15m"   # failed logins (password or second factor) per account
CRHQ_LOGIN_ADDRESS_RATE = "30/15m"   # failed logins per client address (IPv6: per /64)

AUTH_USER_MODEL = "accounts.User"
# ModelBackend; where the sessions are read through the shared cache, the logged-in user is too, for at most
# CRHQ_USER_CACHE_SECONDS, and every change the app makes to a user removes it (crhq_app.accounts.backends)
AUTHENTICATION_BACKENDS = ["crhq_app.accounts.backends.CachedUserBackend"]
CRHQ_USER_CACHE_SECONDS = 10
PASSWORD_HASHERS = ["crhq_app.accounts.hashers.CRHQBCryptSHA256PasswordHasher"]
CRHQ_BCRYPT_COST = config.bcrypt_cost
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"

CRHQ_KEYRING = config.keyring
CRHQ_HUB_KEY = config.hub_key  # empty: the hub sync endpoint refuses every request
CRHQ_TOTP_REQUIRED = config.totp_required
CRHQ_TOTP_ISSUER = "CRHQ"

# Server-side sessions in the database. The cookie is a browser-session cookie; the server ends a
# session after CRHQ_SESSION_IDLE_SECONDS without a request (its expiry moves on at each request)
# and CRHQ_SESSION_ABSOLUTE_SECONDS after the password login (crhq_app.middleware).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# With CRHQ_SESSION_CACHE_DIR (set in the service's unit: a directory in RAM only the service's user can
# open), the workers read sessions through a file cache there that they all share; PostgreSQL stays the
# store of record. crhq_app.accounts.session_store says why no ended session comes back from it.
if config.session_cache_dir:
    SESSION_ENGINE = "crhq_app.accounts.session_store"
    SESSION_CACHE_ALIAS = "sessions"
    CACHES["sessions"] = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": config.session_cache_dir,
        # a full cache drops entries (those sessions are read from the database until their next save)
        "OPTIONS": {"MAX_ENTRIES": 20000, "CULL_FREQUENCY": 4},
    }
SESSION_COOKIE_NAME = "__Host-crhq_session"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_PATH = "/"
SESSION_COOKIE_DOMAIN = None
SESSION_COOKIE_AGE = config.session_idle_seconds
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = False  # the lifetime middleware marks every authenticated session modified
CRHQ_SESSION_IDLE_SECONDS = config.session_idle_seconds
CRHQ_SESSION_ABSOLUTE_SECONDS = config.session_absolute_seconds
CRHQ_TOKEN_SECONDS = config.token_seconds  # API bearer tokens of people (crhq_app.vault.tokens)
CRHQ_PENDING_LOGIN_SECONDS = 600  # password accepted, second factor (or first enrolment) not yet done

CSRF_COOKIE_NAME = "__Host-crhq_csrf"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_PATH = "/"
CSRF_COOKIE_DOMAIN = None
CSRF_FAILURE_VIEW = "crhq_app.accounts.views.csrf_failure"

# One strict policy on every response: no script at all, styles and images from this origin only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "style-src": [SELF],
        "img-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
    },
}

# nginx adds HSTS, X-Frame-Options, X-Content-Type-Options, Referrer-Policy and the
# Cross-Origin policies to every response and redirects plain HTTP; the app does not repeat them
# (two copies of a header can conflict). The CSP above forbids framing as well.
SECURE_CONTENT_TYPE_NOSNIFF = False
SECURE_REFERRER_POLICY = None
SECURE_CROSS_ORIGIN_OPENER_POLICY = None
SECURE_SSL_REDIRECT = False
SILENCED_SYSTEM_CHECKS = [
    "security.W002",  # X-Frame-Options: nginx, and CSP frame-ancestors 'none'
    "security.W004",  # HSTS: nginx
    "security.W006",  # X-Content-Type-Options: nginx
    "security.W008",  # HTTPS redirect: nginx
    "security.W022",  # Referrer-Policy: nginx
    # SECRET_KEY shorter than 50 characters: the collection's session secret is 43 characters of
    # base64url (256 random bits); crhq_app.config refuses one shorter than 32 characters
    "security.W009",
    "django_ratelimit.E003",  # database cache increments are not atomic: accepted, see CACHES
    "django_ratelimit.W001",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = config.static_root
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# collectstatic writes content-hashed copies (app.3f2a....css) and a manifest, so nginx can let browsers
# cache /static/ for good; each release has its own STATIC_ROOT.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": config.log_level},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": config.log_level, "propagate": False},
        "crhq": {"handlers": ["stderr"], "level": config.log_level, "propagate": False},
        # every committed audit row, one JSON line each, whatever the log level: the journal's copy
        "crhq.audit": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
