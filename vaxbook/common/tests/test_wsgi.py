"""The WSGI entry point the server loads (config/wsgi.py)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import gc, sys
import config.wsgi
print(gc.get_freeze_count(), "config.urls" in sys.modules, "vaxbook.clinic.api" in sys.modules,
      config.wsgi.application.__qualname__)
"""


def test_a_worker_loads_the_urlconf_and_freezes_what_lives_as_long_as_it() -> None:
    """The URLconf and every view are imported before the first request, and the objects alive then are
    out of the collector's sight (a full collection would walk them all, again and again); the application is
    Django's behind the edge that measures bodies sent without their length."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    frozen, urls, views, application = out.stdout.split()
    assert int(frozen) > 10_000
    assert (urls, views) == ("True", "True")
    # The app the server runs measures a body sent without its length (common/wsgi.py)
    assert application == "bodies_without_length_measured.<locals>.application"


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE")}
    clean.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", **env})
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120, check=False
    )


def test_commands_that_sign_nothing_run_without_a_secret_key_and_the_server_does_not(tmp_path: Path) -> None:
    """A fresh checkout, DEBUG off, no SECRET_KEY: makemigrations and check run; the app server refuses
    to start, naming the variable; a key that is set but short is refused at once."""
    assert _run(["manage.py", "makemigrations", "--check", "--dry-run"], tmp_path).returncode == 0
    assert _run(["manage.py", "check"], tmp_path).returncode == 0
    server = _run(["-c", "import config.wsgi"], tmp_path)
    assert server.returncode != 0 and "The environment variable SECRET_KEY is required" in server.stderr
    short = _run(["manage.py", "check"], tmp_path, SECRET_KEY="short")
    assert short.returncode != 0 and "SECRET_KEY must be at least 32 characters long" in short.stderr


def test_with_debug_on_django_s_lines_are_logged_once(tmp_path: Path) -> None:
    """Django's default handlers on its own logger (a console shown with DEBUG) and the root's console
    printed each line of Django, the worker's task lines among them, twice in `make demo`."""
    code = "import logging; logging.getLogger('django.tasks').info('task line %s', 42)"
    out = _run(["manage.py", "shell", "-c", code], tmp_path, DEBUG="true")
    assert out.returncode == 0, out.stderr
    assert out.stderr.count("task line 42") == 1
