"""Test settings: the real settings, plus what makes tests fast."""

from config.settings import *  # noqa: F403
from config.settings import (
    CELERY_BROKER_URL,
    DATABASES,
    VAR_DIR,
    env,
    filesystem_broker_options,
)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so that a real Celery worker process can open the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_bottega.sqlite3")}

# A real Celery worker started by a test opens the test database by this name.
if _database_name := env("BOTTEGA_DATABASE_NAME", default=""):
    DATABASES["default"]["NAME"] = _database_name

if CELERY_BROKER_URL.startswith("filesystem://"):
    # Keep test messages away from a development worker reading var/celery.
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(VAR_DIR / "test-celery")
