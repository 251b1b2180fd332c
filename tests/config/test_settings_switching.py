"""Settings come from the environment: nothing set is the embedded default, env values are
production. Each case runs in a fresh process, as a deployment would."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG_VARIABLES = ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS")
# Set by the browser tests for their live server; a deployment never has it.
TEST_ONLY_VARIABLES = ("DJANGO_ALLOW_ASYNC_UNSAFE",)
PRODUCTION = {
    "DATABASE_URL": "postgres://bottega:secret@db.internal:5432/bottega",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "SECRET_KEY": "production-" + "k3y-" * 16,
    "ALLOWED_HOSTS": "crm.bottega.example",
    "DEBUG": "0",
}
SHOW = (
    "from django.conf import settings as s; import json; print(json.dumps({"
    "'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']),"
    "'options': s.DATABASES['default'].get('OPTIONS', {}), 'broker': s.CELERY_BROKER_URL,"
    "'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, 'key_length': len(s.SECRET_KEY)}))"
)


def run(args: list[str], extra_env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES + TEST_ONLY_VARIABLES}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings", "BOTTEGA_VAR_DIR": str(tmp_path)}
    env |= extra_env
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def settings_with(extra_env: dict[str, str], tmp_path: Path) -> dict:
    result = run(["-c", f"import django; django.setup(); {SHOW}"], extra_env, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_nothing_set_is_the_embedded_default(tmp_path):
    found = settings_with({}, tmp_path)

    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["name"] == str(tmp_path / "bottega.sqlite3")
    assert found["options"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in found["options"]["init_command"]
    assert found["broker"] == "filesystem://"
    assert (tmp_path / "celery" / "broker" / "queue").is_dir()
    assert found["debug"] is True
    assert found["key_length"] >= 50


def test_the_generated_secret_key_is_kept_between_starts(tmp_path):
    settings_with({}, tmp_path)
    first = (tmp_path / "secret_key").read_text()

    settings_with({}, tmp_path)

    assert (tmp_path / "secret_key").read_text() == first


def test_environment_values_switch_to_production(tmp_path):
    found = settings_with(PRODUCTION, tmp_path)

    assert found["engine"] == "django.db.backends.postgresql"
    assert found["broker"] == "redis://redis.internal:6379/0"
    assert found["debug"] is False
    assert found["hosts"] == ["crm.bottega.example"]


def test_check_deploy_reports_nothing_in_production(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_env_example_lists_every_variable_the_settings_read():
    source = (ROOT / "config" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', source))
    documented = set(re.findall(r"^#? ?([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))

    assert read - documented == set()
