# The two commands of the README: `make up` and `make test`. Both install what they need.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen

.PHONY: install up reset test lint typecheck pytest bench asyncapi

install:  ## uv (from PyPI if missing) and every workspace package from uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --all-packages --quiet
	@$(MAKE) --no-print-directory --silent $(DASHBOARD_VENDOR)

# The dashboard page's chart library, from the npm registry per package-lock.json (no CDN).
DASHBOARD_VENDOR := services/dashboard/src/mes_dashboard/static/vendor/echarts.min.js
$(DASHBOARD_VENDOR): services/dashboard/package-lock.json services/dashboard/vendor.mjs
	@if command -v npm >/dev/null 2>&1; then \
		cd services/dashboard && npm ci --no-audit --no-fund --silent && npm run --silent vendor; \
	else echo "[mes] npm not found: the dashboard runs without its charts (install Node.js)"; fi

up: install  ## start the whole system on the embedded default (Ctrl-C stops it)
	@$(RUN) python -m mes_events.devstack up

reset: install  ## forget local data: empty database and broker next `make up`
	@$(RUN) python -m mes_events.devstack reset

lint: install
	@$(RUN) ruff check .
	@$(RUN) ruff format --check .

typecheck: install  ## strict mypy, one package at a time (every package has a tests/ folder)
	@for pkg in libs/* services/*; do \
		tests=$$(find $$pkg/tests -name '*.py' -print -quit 2>/dev/null); \
		$(RUN) mypy $$pkg/src $${tests:+$$pkg/tests} || exit 1; \
	done
	@$(RUN) mypy bench
	@$(RUN) mypy tests

pytest: install
	@$(RUN) pytest -q $(PYTEST_ARGS)

test: lint typecheck pytest  ## everything CI runs

asyncapi: install
	@$(RUN) python -m mes_events.schemas write

bench: install
	@$(RUN) python bench/event_store.py
	@$(RUN) python bench/pipeline.py
	@$(RUN) python bench/load_pipeline.py
