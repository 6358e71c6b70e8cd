# Thin wrappers; the README names them. Every target sets itself up on a fresh machine.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= ap-southeast-1

.PHONY: dev run test check fmt invoke build deploy bench soak reliability clean

$(STAMP): requirements-dev.txt layers/common/pyproject.toml scripts/bootstrap.sh
	VENV=$(VENV) scripts/bootstrap.sh

dev: $(STAMP)

run: dev  ## the local stack on 127.0.0.1:$${PORT:-3000}
	$(BIN)/python -m devstack

test: dev  ## unit + integration + contract
	$(BIN)/pytest

check: dev  ## read-only quality gates
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml

fmt: dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

invoke: dev  ## make invoke FUNCTION=PushApiFunction EVENT=events/push_api_post_all.json
	$(BIN)/python -m devstack.invoke $(FUNCTION) $(EVENT)

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
