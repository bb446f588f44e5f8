# Every command the README gives goes through here.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup test lint pytest demo dev sam-check sam-local fuzz bench bench-fanout bench-coldstart bench-ingest bench-extract bench-adversarial bench-load clean browser-deps

$(BIN)/stoppress: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check uv
	$(BIN)/uv pip install -q --python $(BIN)/python -e '.[dev]'
	touch $@

setup: $(BIN)/stoppress browser-deps

# Headless Chromium for the service-worker tests (Debian's package; Playwright drives it),
# and dbus, whose daemon carries the notifications the tests click.
browser-deps:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "install Debian's chromium package for the browser tests"; fi; }
	@command -v dbus-daemon >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dbus >/dev/null; \
	  else echo "install Debian's dbus package for the browser tests"; fi; }

lint: $(BIN)/stoppress
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/cfn-lint template.yaml
	$(BIN)/checkov --quiet --compact --skip-download --framework cloudformation -f template.yaml

pytest: $(BIN)/stoppress
	$(BIN)/pytest

test: setup lint pytest

demo: setup
	$(BIN)/stoppress demo

dev: setup
	$(BIN)/stoppress dev --state-file .stoppress/state.json

sam-check: setup
	$(BIN)/python -m stoppress_dev.samcheck

# The README's `sam local invoke` for every function and events/ file, in Docker.
sam-local: $(BIN)/stoppress
	$(BIN)/python -m stoppress_dev.samlocal

# Coverage-guided fuzzing of the parsers and the subscription requests, 10 minutes
# per target (make test runs a bounded few seconds of the same).
fuzz: setup
	$(BIN)/python -m fuzz.run --minutes 10

bench: setup
	$(BIN)/python -m benchmarks.sender

bench-fanout: setup
	$(BIN)/python -m benchmarks.fanout
	$(BIN)/python -m benchmarks.fanout_overlap

bench-coldstart: setup
	$(BIN)/python -m benchmarks.coldstart

bench-ingest: setup
	$(BIN)/python -m benchmarks.ingest

bench-extract: setup
	$(BIN)/python -m benchmarks.extract

bench-adversarial: setup
	$(BIN)/python -m benchmarks.adversarial

# 10,000 subscriptions through the local stack's HTTP API, then one fan-out to all of them.
bench-load: setup
	$(BIN)/python -m benchmarks.load

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .ruff_cache .mypy_cache
