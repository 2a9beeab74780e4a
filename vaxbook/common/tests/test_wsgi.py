"""The WSGI entry point the server loads (config/wsgi.py)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import gc, sys
import config.wsgi
print(gc.get_freeze_count(), "config.urls" in sys.modules, "vaxbook.clinic.api" in sys.modules)
"""


def test_a_worker_loads_the_urlconf_and_freezes_what_lives_as_long_as_it() -> None:
    """The URLconf and every view are imported before the first request, and the objects alive then are
    out of the collector's sight (a full collection would walk them all, again and again)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    frozen, urls, views = out.stdout.split()
    assert int(frozen) > 10_000
    assert (urls, views) == ("True", "True")
