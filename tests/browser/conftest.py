"""Browser tests: Playwright driving Debian's Chromium against a live Bottega.

They run wherever /usr/bin/chromium is installed (``.ci/run`` installs it) and are skipped
elsewhere. Playwright's own browser download is not needed.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Chromium against a live server")


@pytest.fixture(scope="session")
def migrated_data(django_db_setup, django_db_blocker) -> str:
    """What migrations put in the test database (role groups, channel sources), as JSON."""
    global _restore
    with django_db_blocker.unblock():
        snapshot = connection.creation.serialize_db_to_string()

    def restore() -> None:
        # Emptied first without post_migrate, which would remake content types under new ids.
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
            connection.creation.deserialize_db_from_string(snapshot)

    _restore = restore
    return snapshot


@pytest.fixture(autouse=True)
def _from_a_migrated_database(migrated_data, transactional_db):
    """A live-server test commits, so the database is flushed after it, and with it what the
    migrations created: put that back before the test, whatever ran earlier."""
    _restore()


_restore = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """…and after it, once every fixture is torn down (the flush included), so that the
    transactional tests that follow also start from a migrated database."""
    yield
    # After the last test the test database itself is gone: nothing to put back.
    if _restore is not None and nextitem is not None:
        _restore()


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.path):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}"))


@pytest.fixture
def chromium(monkeypatch):
    # Playwright's synchronous API runs an event loop in this thread while the browser is open;
    # the test's own database calls are synchronous all the same, so Django's async guard has
    # nothing to protect here. Set for this test only: a browser per test, closed after it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def signed_in(chromium, live_server, client):
    """A tablet-sized page signed in as ``user`` (the session cookie of a test client)."""

    def sign_in(user):
        client.force_login(user)
        context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
        context.set_default_timeout(10_000)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        opened.append(context)
        return context.new_page()

    opened = []
    yield sign_in
    for context in opened:
        context.close()
