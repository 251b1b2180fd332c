"""A real Celery worker process for integration tests, on the broker the settings name."""

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
QUEUES = "default,imports,identity,scores"


@contextlib.contextmanager
def running_worker() -> Iterator[subprocess.Popen]:
    """Start `celery worker` against the test database; stop it on exit."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "BOTTEGA_DATABASE_NAME": str(connection.settings_dict["NAME"]),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
               "-Q", QUEUES, "--without-heartbeat", "--without-gossip", "--without-mingle",
               "--loglevel=WARNING"]  # fmt: skip
    worker = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def wait_for(predicate, *, timeout: float = 60.0, interval: float = 0.2) -> bool:
    """Poll until ``predicate()`` is true; False if it never became so in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
