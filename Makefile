# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# A real MLflow server for the webhook test, in an environment of its own: MLflow pins
# gunicorn below the version Baton serves with, so it cannot share Baton's .venv.
MLFLOW_VERSION ?= 3.17.2
MLFLOW_VENV    := .venv-mlflow
MLFLOW_STAMP   := $(MLFLOW_VENV)/.installed-$(MLFLOW_VERSION)

$(MLFLOW_STAMP):
	$(PYTHON) -m venv $(MLFLOW_VENV)
	$(MLFLOW_VENV)/bin/pip install --quiet --disable-pip-version-check 'mlflow==$(MLFLOW_VERSION)'
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

test: lint $(MLFLOW_STAMP)
	$(BIN)/pytest

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Latency, digest, delivery and memory numbers on this machine (not part of `make test`).
bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(MLFLOW_VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info
