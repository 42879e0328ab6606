# Everything a fresh clone needs: `make dev` runs the local stack, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 3000
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.PHONY: dev test lint typecheck unit synth deploy mail clean console

$(VENV)/.installed: requirements.txt requirements-dev.txt layers/requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps --editable .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The web console (console/, served by the local stack at /console/): installed again only
# when its lock changes, built every time (a few seconds) so the build never lags the source.
console/node_modules/.installed: console/package.json console/package-lock.json
	npm ci --prefix console --no-audit --no-fund --loglevel=error
	touch $@

console: console/node_modules/.installed
	npm run --prefix console build

dev: $(VENV)/.installed console
	PORT=$(PORT) $(PY) -m devstack

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

# The browser tests (tests/e2e/test_mail_viewer_browser.py) drive Debian's Chromium: a test
# tool's own browser download cannot work on a closed network. Installed here when missing
# (sudo only when not root); if it cannot be installed, `make test` fails.
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver

test: $(VENV)/.installed node_modules/.installed console $(CHROMIUM) lint typecheck
	$(VENV)/bin/pytest

unit: $(VENV)/.installed
	$(VENV)/bin/pytest tests/unit tests/integration

synth: $(VENV)/.installed node_modules/.installed console
	npx cdk synth --quiet

deploy: $(VENV)/.installed node_modules/.installed console
	npx cdk deploy

# docs/openapi.json, generated from the route functions (tests/unit/test_openapi.py checks it).
.PHONY: openapi
openapi: $(VENV)/.installed
	PYTHONPATH=layers $(PY) -m tenx_email.openapi --write docs/openapi.json

mail: $(VENV)/.installed
	$(PY) -m devstack.mail

clean:
	rm -rf cdk.out .local .pytest_cache .mypy_cache .ruff_cache console/dist

# Figures against their targets (AWS calls, cold imports, layer size, cost model, load on the
# local stack): prints a table and writes .local/bench.json. BENCH_ARGS=--quick skips the
# layer and the load run.
.PHONY: bench
bench: $(VENV)/.installed
	$(PY) -m devstack.bench $(BENCH_ARGS)
