"""Vaxbook settings: one module, read from the environment.

Every value comes from an environment variable through a small typed helper that refuses a bad value
with ImproperlyConfigured, so a misconfigured server stops at start-up instead of misbehaving later.
Production secrets have no default: with DEBUG off, the app server does not start without SECRET_KEY.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"The environment variable {name} is required.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# With DEBUG off there is no default key, but the settings load without one: a command that signs nothing
# (makemigrations, migrate, check) runs on a fresh checkout. Whatever signs (sessions, CSRF, QR tokens,
# one-time codes) is refused by Django when it reads the empty setting, and the app server does not start
# without it (config/startup.py). A key that is set must be long enough.
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production" if DEBUG else "")
if SECRET_KEY and not DEBUG and len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if not DEBUG else "*")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "django_tasks_db",
    "vaxbook.common",
    "vaxbook.places",
    "vaxbook.accounts",
    "vaxbook.registry",
    "vaxbook.organizations",
    "vaxbook.vaccines",
    "vaxbook.clinic",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "vaxbook.common.middleware.ApiErrorShapeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "vaxbook.common.middleware.PortalLocaleMiddleware",
    # After the language is chosen (its 413 in the request's language, not the one the thread served last);
    # before anything reads the body.
    "vaxbook.common.middleware.RequestSizeMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Reads a form's body before CSRF's check does (in its view hook), its page rendered as any page is.
    "vaxbook.common.middleware.FormCutShortMiddleware",
    "vaxbook.common.middleware.PortalQueryCharactersMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "vaxbook.common.middleware.HtmxSignInMiddleware",
    "vaxbook.common.middleware.HtmxPageLanguageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# SQLite under var/ is the embedded default for a first run; PostgreSQL in production and CI.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'vaxbook.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database address: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# The hot paths' hand-written statements run as prepared statements on PostgreSQL (vaxbook/common/
# prepared.py); off behind a pooler in transaction mode, which does not keep a client's session.
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DATABASE_PREPARED_STATEMENTS:
    # Planned once, for any parameters: PostgreSQL would otherwise plan a look-up by an array of keys
    # again at every execution (it cannot cost a generic plan for an array of unknown length). Only
    # prepared statements follow this setting, and only rows.py prepares any.
    # A generic plan is costed for the average keys. On a skewed table (a lot's stock ledger: a few
    # pairs with 100,000 movements each) that average made PostgreSQL plan the stock sum with two
    # parallel workers, forked at every execution: 28 ms where the look-up takes 0.3 ms. The app's
    # queries are look-ups of a few rows; none is planned with parallel workers.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", "-c plan_cache_mode=force_generic_plan -c max_parallel_workers_per_gather=0"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["vaxbook.accounts.backends.LockoutModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Staff sign-in: this many failures in a row lock the account for LOGIN_LOCKOUT_MINUTES.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 30)
# Each app process keeps a token's look-up this many seconds (0: never): a revoked token, a deactivated
# user or a changed membership takes effect at once in the process that made the change, and within this
# delay in the others. Saves every API request its first round trip to the database.
API_TOKEN_CACHE_SECONDS = env_int("API_TOKEN_CACHE_SECONDS", 10)

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Counts shown with humanize's intcomma are grouped by thousands in the active language's way (30.000 in
# Vietnamese, 30,000 in English). Django's Vietnamese formats name a thousand separator but no grouping, so
# intcomma left 30000 ungrouped there: this is the fallback of the languages that name none. Other numbers
# stay ungrouped (USE_THOUSAND_SEPARATOR is off): ids, versions and years in forms and links are not touched.
NUMBER_GROUPING = 3
# Dates are shown in the active language's way: 08/12/2026 in Vietnamese, 8 Dec 2026 in English (where
# 08/12/2026 reads as August 12). Pages name DATE_FORMAT / DATETIME_FORMAT; config/formats holds them.
FORMAT_MODULE_PATH = "config.formats"
USE_I18N = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "media/"

# Background work: django.tasks with the database backend; `manage.py db_worker` runs it.
TASKS = {"default": {"BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

# SMS: the recording backend keeps messages in the database (development, tests); the HTTP backend
# posts to a gateway configured here.
SMS_BACKEND = env_str("SMS_BACKEND", "vaxbook.common.sms.RecordingBackend")
SMS_HTTP_URL = env_str("SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = env_str("SMS_HTTP_TOKEN", "")
SMS_SENDER = env_str("SMS_SENDER", "VAXBOOK")

# Security: the secure defaults are on unless DEBUG, and can be relaxed behind a TLS proxy by env.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
# The largest roster file taken (`organizations.conf`), and the largest request body: that file with its
# form's fields, so that raising the one raises the other. A body declared larger is refused before it is
# read (`common.middleware.RequestSizeMiddleware`), not written to a temporary file first, whatever its size.
ROSTER_IMPORT_MAX_BYTES = env_int("ROSTER_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", ROSTER_IMPORT_MAX_BYTES + 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers on "django" (a console shown only with DEBUG, mail to ADMINS, which is not
        # set) would print each of its lines a second time beside the root's: the worker's task lines too.
        "django": {"handlers": [], "level": "INFO"},
        "django.db.backends": {"level": "WARNING"},
    },
}

NINJA_PAGINATION_PER_PAGE = 50

# Seconds a process keeps looked-up wards, provinces and priority groups (registry/references.py).
REFERENCE_CACHE_SECONDS = env_int("REFERENCE_CACHE_SECONDS", 300)
