# Two commands on a fresh machine with Python 3.11+ and make: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: deps lock check-prod-lock browser run test test-thorough test-postgres lint format check schema messages demo clean

# Two locks, both hash-checked and compiled from pyproject.toml: requirements.lock is what production installs
# (no test, lint or type-checking tool in it); requirements-dev.lock is the same pins plus the `dev` extra, what a
# developer and CI install. `make lock` recompiles both, keeping every pin it can.
$(STAMP): requirements-dev.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	@touch $(STAMP)

deps: $(STAMP)  ## Create .venv and install the locked dependencies (what every other target does first)

PIP_COMPILE_ARGS := --quiet --allow-unsafe --generate-hashes --no-emit-find-links --no-emit-index-url --strip-extras

lock:  ## Recompile both locks from pyproject.toml (pip-tools in a throwaway .venv-tools); the dev lock first, so the production one takes its pins
	@test -x .venv-tools/bin/pip-compile || ($(PYTHON) -m venv .venv-tools && .venv-tools/bin/pip install --quiet pip-tools)
	.venv-tools/bin/pip-compile $(PIP_COMPILE_ARGS) --extra=dev --output-file=requirements-dev.lock pyproject.toml
	cp requirements-dev.lock requirements.lock
	.venv-tools/bin/pip-compile $(PIP_COMPILE_ARGS) --output-file=requirements.lock pyproject.toml

# What CI proves of the production lock: it installs on a fresh virtual environment, with its hashes, and carries
# no test, lint or type-checking tool (ops/prod_lock.py names the ones it looks for).
check-prod-lock:  ## Install requirements.lock on a fresh venv and check that no development tool is in it
	rm -rf var/prod-venv && $(PYTHON) -m venv var/prod-venv
	var/prod-venv/bin/python -m pip install --quiet --require-hashes -r requirements.lock
	var/prod-venv/bin/python ops/prod_lock.py
	DJANGO_DEBUG=1 var/prod-venv/bin/python manage.py check

run: $(STAMP)  ## Serve the API with demo data on SQLite at http://127.0.0.1:$(PORT)
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed_demo
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# pytest-xdist spreads the suite over every core; PYTEST_WORKERS=0 runs it in one process (easier to debug).
PYTEST_WORKERS ?= auto

# The browser tests' browser: headless Chromium from Debian's packages (Playwright drives it; nothing downloads a
# browser of its own). Needs root or sudo, as any apt-get install. Without it the browser tests skip, except in CI.
browser:  ## Install Debian's Chromium for the browser tests (tests/browser/), if it is missing
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; }
	@chromium --version 2>/dev/null

test: $(STAMP)  ## The whole suite (SQLite unless DATABASE_URL says otherwise), on every core
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Every Schemathesis check and the stateful run over the schema's links; SCHEMATHESIS_THOROUGH=0 keeps the conformance
# checks alone (what `make test`'s quick pass runs).
test-thorough: $(STAMP)  ## Schemathesis, every check and the stateful run: 100 generated requests per operation and role (SQLite unless DATABASE_URL)
	SCHEMATHESIS_THOROUGH=$${SCHEMATHESIS_THOROUGH:-1} SCHEMATHESIS_EXAMPLES=$${SCHEMATHESIS_EXAMPLES:-100} $(BIN)/python -m pytest -p no:cacheprovider -n $${PYTEST_WORKERS:-auto} tests/contract/test_schemathesis.py $(PYTEST_ARGS)

test-postgres: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff (lint and format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=1 $(BIN)/mypy .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: $(STAMP)  ## migrations in step with models, and the committed schema in step with the code
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest tests/contract/test_schema.py -q

schema: $(STAMP)  ## regenerate openapi/schema.yaml after changing the API
	DJANGO_DEBUG=1 $(BIN)/python manage.py spectacular --validate --fail-on-warn --file openapi/schema.yaml

messages: $(STAMP)  ## extract strings to translate, then compile (needs GNU gettext)
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages -l es --no-location --ignore ".venv/*" --ignore "tests/*" --ignore "bench/*" --ignore "var/*"
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages -l es --ignore ".venv/*" --ignore "var/*"

clean:
	rm -rf $(VENV) .venv-tools db.sqlite3 staticfiles var .pytest_cache .mypy_cache .ruff_cache
