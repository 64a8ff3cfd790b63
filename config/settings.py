"""Tandem settings: one module, read from the environment (see README, "Configuration")."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured

from config import env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.string("TANDEM_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env.boolean("DEBUG", default=False)
# Development runs with DEBUG on get a throwaway key; anything else must set one.
SECRET_KEY = env.string("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production" if DEBUG else env._MISSING)
ALLOWED_HOSTS = env.string_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.string_list("CSRF_TRUSTED_ORIGINS")
TANDEM_SITE_URL = env.string("TANDEM_SITE_URL", "http://localhost:8000").rstrip("/")
# The Ed25519 key that signs certificates as Open Badges (training/badges.py): base64 in the environment, or a file
# that `manage.py create_badge_signing_key` (or the first credential served) writes. Never in the repository.
# The licensor's currency for licence fees (ISO 4217).
TANDEM_CURRENCY = env.string("TANDEM_CURRENCY", "GBP").upper()
TANDEM_BADGE_SIGNING_KEY = env.string("TANDEM_BADGE_SIGNING_KEY", "")
TANDEM_BADGE_SIGNING_KEY_FILE = env.string("TANDEM_BADGE_SIGNING_KEY_FILE", str(VAR_DIR / "badge-signing-key.pem"))

INSTALLED_APPS = [
    # Before the admin: the pages' registration/ templates (password reset) must win over the admin's of that name.
    "web",
    "franchise.apps.OperatorsAdminConfig",  # django.contrib.admin, for operators only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "franchise",
    "training",
    "supervision",
    "reminders",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above WhiteNoise, so that static files carry the policy too.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# The session cookie is not sent on cross-site requests that change anything (Lax), nor read by scripts.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True
# A signed-in session ends after two weeks without use; closing the browser keeps it (people on shared
# computers sign out: the button is on every page).
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.navigation.context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env.string("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tandem.sqlite3'}"),
        conn_max_age=env.integer("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A runaway query must not hold a worker for ever (STYLE: bounded everything).
    # JIT off: it compiled the compliance query's subqueries on every call and made
    # a 10,000-mentor page ~5x slower (bench_compliance: 857 ms with, 153 ms without).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={env.integer('DATABASE_STATEMENT_TIMEOUT_MS', 30000)} -c jit=off"
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one SQLite file in development.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "franchise.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.string("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Bounded request bodies: nothing in Tandem's API needs more than this.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

EMAIL_BACKEND = env.string(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = env.string("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env.string("EMAIL_HOST", "localhost")
EMAIL_PORT = env.integer("EMAIL_PORT", 25)
EMAIL_HOST_USER = env.string("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.string("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.integer("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "Tandem <tandem@localhost>")

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # A year of HSTS over every subdomain is what the browsers' preload list asks for;
    # a domain that cannot promise HTTPS for good sets SECURE_HSTS_PRELOAD=0.
    SECURE_HSTS_PRELOAD = env.boolean("SECURE_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    # JSON only, through one parser that bounds depth and size and refuses text the database cannot store.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Rates for the few routes that answer without a login: certificate checks per client address.
    # Failed sign-ins have their own lockout (franchise.login_guard, TANDEM_LOGIN_* below).
    "DEFAULT_THROTTLE_RATES": {
        "certificate_verify": env.string("TANDEM_CERTIFICATE_VERIFY_RATE", "30/minute"),
    },
    # Reverse proxies in front of the app: the client address is read that many entries from the right of
    # X-Forwarded-For. 0: REMOTE_ADDR only, since an X-Forwarded-For then comes from the client itself.
    "NUM_PROXIES": env.integer("TANDEM_NUM_PROXIES", 0),
}

# --- sign-in lockout (franchise.login_guard; README, "Sign-in lockout") ---------------
TANDEM_LOGIN_ACCOUNT_CLIENT_FAILURES = env.integer("TANDEM_LOGIN_ACCOUNT_CLIENT_FAILURES", 5)
TANDEM_LOGIN_CLIENT_FAILURES = env.integer("TANDEM_LOGIN_CLIENT_FAILURES", 30)
TANDEM_LOGIN_ACCOUNT_FAILURES = env.integer("TANDEM_LOGIN_ACCOUNT_FAILURES", 50)
TANDEM_LOGIN_COOL_OFF_SECONDS = env.integer("TANDEM_LOGIN_COOL_OFF_SECONDS", 60)
TANDEM_LOGIN_MAX_COOL_OFF_SECONDS = env.integer("TANDEM_LOGIN_MAX_COOL_OFF_SECONDS", 3600)
TANDEM_LOGIN_FAILURE_MEMORY_SECONDS = env.integer("TANDEM_LOGIN_FAILURE_MEMORY_SECONDS", 24 * 3600)

# The lockout's counters must be seen by every web process: Redis when TANDEM_CACHE_URL names one
# (docker-compose does), the local-memory cache of one process on the embedded default.
_CACHE_URL = env.string("TANDEM_CACHE_URL", "")
if _CACHE_URL:
    # Short timeouts: an unreachable or silent cache costs a login a fraction of a second, not a hang
    # (the lockout then lets the attempt through and logs it).
    _CACHE_TIMEOUT = env.integer("TANDEM_CACHE_SOCKET_TIMEOUT_MS", 500) / 1000
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _CACHE_URL,
            "KEY_PREFIX": "tandem",
            "OPTIONS": {"socket_connect_timeout": _CACHE_TIMEOUT, "socket_timeout": _CACHE_TIMEOUT},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tandem"}}

# --- Content-Security-Policy (django-csp) on every response -----------------------
# Only this origin, no inline script or style anywhere: the admin and the API docs page (its
# init script comes from a URL of its own, api.docs) live with that. data: images are the
# icons inside Swagger UI's and the admin's style sheets.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}

# /api/schema/ and /api/docs/ describe every route: open in development, behind sign-in (a token or
# the session) in production unless this opens them.
TANDEM_PUBLIC_API_DOCS = env.boolean("TANDEM_PUBLIC_API_DOCS", default=DEBUG)

SPECTACULAR_SETTINGS = {
    "TITLE": "Tandem API",
    "DESCRIPTION": "Training-franchise and supervision platform for peer-mentoring programmes.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status`; each choice set gets its own name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "PartnerStatusEnum": "franchise.models.Partner.Status",
        "LicenceStatusEnum": "franchise.models.Licence.Status",
        "ReminderKindEnum": "reminders.models.Kind",
        "ReminderStatusEnum": "reminders.models.Reminder.Status",
        "MentorStatusEnum": "supervision.people.models.MentorStatus",
        "MatchStatusEnum": "supervision.people.models.Match.Status",
        "MatchGoalStatusEnum": "supervision.mentoring.models.MatchGoal.Status",
        "ContactModeEnum": "supervision.mentoring.models.ContactRecord.Mode",
        "IncidentStatusEnum": "supervision.incidents.models.BoundaryIncident.Status",
        "SupervisionGroupKindEnum": "supervision.sessions.models.SupervisionGroup.Kind",
        "SupervisionGroupStatusEnum": "supervision.sessions.models.SupervisionGroup.Status",
        "SupervisionSessionKindEnum": "supervision.sessions.models.SupervisionSession.Kind",
        "SupervisionSessionStatusEnum": "supervision.sessions.models.SupervisionSession.Status",
        "CourseStatusEnum": "training.models.Course.Status",
        "EnrolmentStatusEnum": "training.models.Enrolment.Status",
        "CertificateStatusEnum": "training.models.Certificate.Status",
        "AccreditationStatusEnum": "training.models.TrainerAccreditation.Status",
        "TeachingRoleEnum": "training.models.TeachingRecord.Role",
        # The same three values as a supervision session's attendance: one name for both.
        "AttendanceEnum": "training.models.CourseAttendance.Status",
        "RoleEnum": "franchise.models.Role",
        "AuditStatusEnum": "supervision.fidelity.models.Audit.Status",
        "AuditModeEnum": "supervision.fidelity.models.Audit.Mode",
        "CorrectiveActionStatusEnum": "supervision.fidelity.models.CorrectiveAction.Status",
    },
}

# --- Celery -------------------------------------------------------------------
# Without CELERY_BROKER_URL the broker is kombu's filesystem transport under var/,
# so the embedded default needs no server.
CELERY_BROKER_URL = env.string("CELERY_BROKER_URL", "filesystem://")
_BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "out"),
        "data_folder_out": str(_BROKER_DIR / "out"),
        "control_folder": str(_BROKER_DIR / "control"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "store_processed": False,
    }
else:
    # Without these a publish to a Redis that accepts connections but never
    # answers blocks for ever, and the request that published hangs with it.
    _BROKER_TIMEOUT = env.integer("CELERY_BROKER_SOCKET_TIMEOUT", 5)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": _BROKER_TIMEOUT,
        "socket_timeout": _BROKER_TIMEOUT,
        "visibility_timeout": 3600,
        "max_retries": 2,
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 1,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = env.integer("CELERY_BROKER_CONNECTION_TIMEOUT", 5)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The beat schedule: each entry is a sweep over database state, safe to run twice.
CELERY_BEAT_SCHEDULE = {
    "lapse-accreditations": {
        "task": "training.tasks.lapse_accreditations",
        "schedule": crontab(minute=15, hour=2),
    },
    "expire-licences": {
        "task": "franchise.tasks.expire_licences",
        "schedule": crontab(minute=5, hour="*/6"),
    },
    "mark-overdue-fees": {
        "task": "franchise.tasks.mark_overdue_fees",
        "schedule": crontab(minute=15, hour="*/6"),
    },
    "plan-reminders": {
        "task": "reminders.tasks.plan_reminders",
        "schedule": env.integer("TANDEM_REMINDER_PLAN_SECONDS", 300),
        "kwargs": {"dispatch": True},
    },
    "dispatch-reminders": {
        "task": "reminders.tasks.dispatch_reminders",
        "schedule": env.integer("TANDEM_REMINDER_DISPATCH_SECONDS", 60),
    },
    "plan-expiry-reminders": {
        "task": "reminders.tasks.plan_expiry_reminders",
        "schedule": crontab(minute=15, hour=6),
    },
    # Retention: closed incidents and the notes about people who left, once past the retention period.
    "anonymise-past-retention": {
        "task": "supervision.tasks.anonymise_past_retention",
        "schedule": crontab(minute=45, hour=2),
    },
    # After the night's lapses and expiries, so the day's snapshot scores what is in force.
    "take-score-snapshots": {
        "task": "supervision.tasks.take_score_snapshots",
        "schedule": crontab(minute=30, hour=3),
    },
}
# A dispatcher's claim on a reminder lasts this long; a crashed sender's reminders
# are retried after it. Longer than the sweep tasks' hard time limit (270 s).
TANDEM_REMINDER_LEASE_SECONDS = env.integer("TANDEM_REMINDER_LEASE_SECONDS", 600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", "INFO")},
}

TANDEM_INVITATION_VALID_FOR = timedelta(days=7)

# --- API tokens and two-factor sign-in ------------------------------------------
# Tokens are django-rest-knox's, stored as a hash in franchise.ApiToken (README, "API tokens").
KNOX_TOKEN_MODEL = "franchise.ApiToken"
_TOKEN_TTL_HOURS = env.integer("TANDEM_TOKEN_TTL_HOURS", 24)
if _TOKEN_TTL_HOURS < 1:
    raise ImproperlyConfigured("TANDEM_TOKEN_TTL_HOURS must be at least 1: every API token expires.")
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
}
# knox's migrations would create its own token table, unused once franchise.ApiToken replaces it.
MIGRATION_MODULES = {"knox": None}
OTP_TOTP_ISSUER = env.string("TANDEM_OTP_ISSUER", "Tandem")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Licensor admins read escalated incidents only after signing in with a second factor.
TANDEM_LICENSOR_REQUIRES_TWO_FACTOR = env.boolean("TANDEM_LICENSOR_REQUIRES_TWO_FACTOR", default=False)
