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

test: lint
	$(BIN)/pytest

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Latency, digest, delivery and memory numbers on this machine (not part of `make test`).
bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info
