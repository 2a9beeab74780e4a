# Vaxbook: `make demo` serves the portal with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= config.settings

# The first Python >= 3.12: on PATH, then under ~/.pyenv.
FIND_PYTHON = for c in python3.13 python3.12 python3 $$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python 2>/dev/null | sort -rV); do \
	  p=$$(command -v $$c 2>/dev/null) || continue; \
	  $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null && { echo $$p; break; }; \
	done

.PHONY: help venv deps locale demo demo-setup serve worker test test-fast lint typecheck migrations-check check bench clean

help:
	@echo "make demo   set everything up and serve the portal with demo data on http://127.0.0.1:$(PORT)"
	@echo "make test   run the whole suite (PostgreSQL when DATABASE_URL is set, else SQLite)"
	@echo "make lint | typecheck | migrations-check | check"

$(VENV)/bin/python:
	@py=$$($(FIND_PYTHON)); \
	if [ -z "$$py" ]; then echo "Vaxbook needs Python 3.12 or newer (on PATH or under ~/.pyenv/versions); none was found." >&2; exit 1; fi; \
	echo "Using $$py"; $$py -m venv $(VENV)

$(VENV)/.deps-stamp: $(VENV)/bin/python pyproject.toml uv.lock
	$(PY) -m pip install --quiet "uv==$(UV_VERSION)"
	$(VENV)/bin/uv sync --frozen --inexact --all-groups --python $(PY)
	mkdir -p var
	touch $@

venv deps: $(VENV)/.deps-stamp

locale: deps
	DJANGO_SETTINGS_MODULE=config.settings_test $(PY) manage.py compilemessages --ignore=.venv -v 0

demo-setup: deps locale
	mkdir -p var
	DEBUG=true $(PY) manage.py migrate --no-input -v 0
	DEBUG=true $(PY) manage.py collectstatic --no-input -v 0
	DEBUG=true $(PY) manage.py load_places
	DEBUG=true $(PY) manage.py load_demo

demo: demo-setup
	@echo ""
	@echo "Vaxbook demo on http://127.0.0.1:$(PORT)/  (API docs: /api/docs)"
	@echo "Demo logins, all with the password vaxbook-demo:"
	@echo "  admin (national admin), province (Đồng Nai officer), clerk and vaccinator (provincial hospital),"
	@echo "  clerk2 (another facility), org (organization representative)"
	@echo ""
	@trap 'kill 0' EXIT INT TERM; \
	DEBUG=true $(PY) manage.py db_worker --queue-name '*' & \
	DEBUG=true SECURE_SSL_REDIRECT=false $(VENV)/bin/granian --interface wsgi config.wsgi:application \
	  --host 127.0.0.1 --port $(PORT) --workers 2 --blocking-threads 4 --access-log & \
	wait

test: deps locale
	@if [ -n "$$CI" ] || command -v chromium >/dev/null 2>&1; then :; else \
	  echo "note: no Chromium found: browser tests will be skipped (apt-get install -y chromium)"; fi
	DJANGO_SETTINGS_MODULE=config.settings_test $(PY) -m pytest $(PYTEST_ARGS)

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: deps
	DJANGO_SETTINGS_MODULE=config.settings_test $(VENV)/bin/mypy config vaxbook

migrations-check: deps
	DJANGO_SETTINGS_MODULE=config.settings_test $(PY) manage.py makemigrations --check --dry-run

check: lint typecheck migrations-check
	DJANGO_SETTINGS_MODULE=config.settings_test $(PY) manage.py check

clean:
	rm -rf $(VENV) var/static var/test.sqlite3
