# The two commands of the README: `make run` and `make test`.  Both create the virtual
# environment and install the project the first time, so they work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lock run serve worker test lint typecheck bench install clean

# Everything installed is pinned, with hashes, by requirements.lock (made by `make lock`
# from pyproject.toml); the project itself goes in on top without touching those pins, and
# pip check fails if pyproject.toml asks for something the lock does not hold.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $(STAMP)

install: $(STAMP)

# Re-pin every dependency (all extras, every platform, Python 3.11) after changing
# pyproject.toml; uv resolves, pip installs.
lock:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 \
		--generate-hashes --no-header --quiet -o requirements.lock

# The web service on http://127.0.0.1:5000 (SQLite in instance/, or DATABASE_URL).
run: $(STAMP)
	FROI_LOG_FORMAT=$${FROI_LOG_FORMAT:-text} $(BIN)/flask --app app run

# Production serving: gunicorn on $$PORT (8000), a worker process per core, JSON logs;
# every setting from the environment (docs/deployment.md).
serve: $(STAMP)
	$(BIN)/gunicorn --config python:froi.web.serving app:app

# Job queue workers (huey, FROI_JOB_WORKERS processes) for REDIS_URL; run on any machine.
worker: $(STAMP)
	$(BIN)/python -m froi.web.worker

lint: $(STAMP)
	$(BIN)/ruff check calculator froi tests bench sample_workbooks docs app.py
	$(BIN)/ruff format --check calculator froi tests bench sample_workbooks docs app.py
	# security lint: fails on any medium or high finding not explained where it stands
	$(BIN)/bandit -q -r calculator froi app.py --severity-level medium

typecheck: $(STAMP)
	$(BIN)/mypy

# axe-core for the browser tests (tests/browser), from package-lock.json
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix tests/browser --no-audit --no-fund && touch $(AXE); \
	else echo "npm not found: the browser tests will skip (and fail under CI=true)"; fi

test: lint typecheck $(AXE)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/uncertainty.py
	$(BIN)/python bench/workbook.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/api.py
	$(BIN)/python -m bench.job_queue  # needs Redis on 127.0.0.1:6379

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
