# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint format bench clean chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# A real MLflow server for the webhook test, in an environment of its own: MLflow pins
# gunicorn below the version Baton serves with, so it cannot share Baton's .venv.
# --no-compile: byte-compiling all of MLflow's 9,000 files was half its install (40 s -> 19 s);
# `mlflow server` imports a fraction of them, compiled and cached on its first start (~3 s).
# (Baton's own environment is compiled as usual: the suite imports most of it at once, in
# every test process.)
MLFLOW_VERSION ?= 3.17.2
MLFLOW_VENV    := .venv-mlflow
MLFLOW_STAMP   := $(MLFLOW_VENV)/.installed-$(MLFLOW_VERSION)

$(MLFLOW_STAMP):
	$(PYTHON) -m venv $(MLFLOW_VENV)
	$(MLFLOW_VENV)/bin/pip install --quiet --disable-pip-version-check --no-compile 'mlflow==$(MLFLOW_VERSION)'
	touch $(MLFLOW_STAMP)

# Without a bot token (environment or .env) there is no Slack to talk to: run the local
# sandbox instead, a built-in Slack emulator with a web page (`baton sandbox`).
SANDBOX_PORT ?= 3000
HAS_TOKEN = $(strip $(SLACK_BOT_TOKEN)$(shell grep -Eqs '^[[:space:]]*(export[[:space:]]+)?SLACK_BOT_TOKEN=["'"'"']?[^"'"'"'[:space:]#]' .env && echo yes))

run:
ifeq ($(HAS_TOKEN),)
	@echo "No SLACK_BOT_TOKEN: starting the local sandbox at http://127.0.0.1:$(SANDBOX_PORT)/sandbox"
	@$(MAKE) --no-print-directory -q $(STAMP) || $(MAKE) --no-print-directory install
	$(BIN)/baton sandbox --seed demo --port $(SANDBOX_PORT)
else
	@$(MAKE) --no-print-directory -q $(STAMP) || $(MAKE) --no-print-directory install
	$(BIN)/baton db upgrade
	$(BIN)/baton serve
endif

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The sandbox's browser test drives Debian's Chromium through Playwright (a test tool cannot
# download a browser of its own here): installed when missing and apt-get can run (as root),
# else one line says what to install.
CHROMIUM := /usr/bin/chromium
CHROMIUM_PACKAGES := chromium chromium-driver

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's Chromium for the sandbox's browser test ($(CHROMIUM) is missing)"; \
	    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(CHROMIUM_PACKAGES)) >/dev/null \
	      || { echo "make test: could not install Chromium: run 'apt-get install $(CHROMIUM_PACKAGES)' as root" >&2; exit 1; }; \
	  else \
	    echo "make test needs $(CHROMIUM): install Debian's packages $(CHROMIUM_PACKAGES) (sudo apt-get install $(CHROMIUM_PACKAGES))" >&2; exit 1; \
	  fi; \
	fi

# Branch coverage of the whole suite, `baton` subprocesses and gunicorn workers included
# ([tool.coverage] in pyproject.toml); fails if the total drops below fail_under.
# `make test COVERAGE=off` skips the measurement (tracing costs CPU time) for a quick run.
COVERAGE ?= on
# Test processes side by side (pytest-xdist): each has its own databases and free ports.
# Three on two cores: a third of a test's time is waiting (README, Two commands).
# loadgroup: tests marked xdist_group("name") run on one worker (the real MLflow server's
# module starts its server once); every other test is shared out as with plain -n.
TEST_WORKERS ?= 3
XDIST := -n $(TEST_WORKERS) --dist loadgroup
# Bytecode is cached for the run even where the environment says not to write it (this CI
# machine sets PYTHONDONTWRITEBYTECODE): the suite starts ~100 Python processes (xdist
# workers, `baton` and gunicorn, alembic's scripts), and each would compile every module again.
test: export PYTHONDONTWRITEBYTECODE :=

test: lint $(MLFLOW_STAMP) chromium
ifeq ($(COVERAGE),off)
	$(BIN)/pytest $(XDIST)
else
	$(BIN)/pytest $(XDIST) --durations=15 --cov --cov-report=term:skip-covered
	@$(BIN)/python -m tests.coverage_total
endif

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Latency, digest, delivery and memory numbers on this machine (not part of `make test`).
bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(MLFLOW_VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info .coverage .coverage.*
