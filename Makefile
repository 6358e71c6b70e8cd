# Thin wrappers; the README names them. Every target sets itself up on a fresh machine.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= ap-southeast-1

.PHONY: dev run test check fmt invoke build deploy bench soak reliability clean

$(STAMP): requirements-dev.txt layers/common/pyproject.toml clients/python/pyproject.toml scripts/bootstrap.sh
	VENV=$(VENV) scripts/bootstrap.sh

dev: $(STAMP)

NODE_STAMP := devstack/node_modules/.package-lock.json
.PHONY: node
node: $(NODE_STAMP)  ## dynalite for the local stack and tests (skipped without npm: moto stands in)

$(NODE_STAMP): devstack/package.json devstack/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix devstack --ignore-scripts --no-audit --no-fund; \
	else echo "node: npm not found; DynamoDB falls back to moto (no serialised conditional writes)"; fi

run: dev node  ## the local stack on 127.0.0.1:$${PORT:-3000}
	$(BIN)/python -m devstack

test: dev node  ## every suite of tests/README.md (unit, integration, contract, local_stack, proofs) + clients/python, coverage floor 90 %
	$(BIN)/pytest --cov --cov-report=term

check: dev  ## read-only quality gates
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	cd clients/python && $(abspath $(BIN))/mypy  # the SDK and its tests on its oldest Python (3.10)
	$(BIN)/cfn-lint template.yaml
	$(BIN)/python -m openapi.generate --check
	$(BIN)/pytest -q -p no:cacheprovider --no-cov tests/contract/test_layering.py

fmt: dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

invoke: dev  ## make invoke FUNCTION=PushApiFunction EVENT=events/push_api_post_all.json
	$(BIN)/python -m devstack.invoke $(FUNCTION) $(EVENT)

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache

SAM_VENV ?= .venv-sam
# make deploy PARAMS="TimSecretArn=arn:aws:secretsmanager:... TimRegion=singapore"
PARAMS ?=

build: dev  ## docker-free `sam build` (arm64 layer, precompiled .pyc and dataclass code) into .aws-sam/build
	scripts/build.sh

deploy: build  ## sam deploy of the built template (needs AWS credentials; see samconfig.toml)
	$(SAM_VENV)/bin/sam deploy $(if $(PARAMS),--parameter-overrides '$(PARAMS)')

# make bench BENCH_ARGS="--write bench/RESULTS.md"   (options: python -m bench.run --help)
BENCH_ARGS ?=
bench: dev node  ## warm latency, cold start, size, calls per push as ratios (docs/architecture.md §10); ~3-5 min
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Longer, bounded, loopback-only runs: the load test at full size and the fuzz suite with more
# examples, e.g. make soak SOAK_CLIENTS=50 SOAK_SECONDS=120 FUZZ_EXAMPLES=500
SOAK_CLIENTS ?= 50
SOAK_SECONDS ?= 60
FUZZ_EXAMPLES ?= 300
SOAK_TIMEOUT ?= 1800
AT_MOST_ONCE_EXAMPLES ?= 300
soak: dev node  ## load (50 clients x 60 s), fuzz and at-most-once answer sequences, with figures; bounded
	LOAD_CLIENTS=$(SOAK_CLIENTS) LOAD_SECONDS=$(SOAK_SECONDS) FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
	AT_MOST_ONCE_EXAMPLES=$(AT_MOST_ONCE_EXAMPLES) \
	timeout --kill-after=30 $(SOAK_TIMEOUT) $(BIN)/pytest -s -q -p no:cacheprovider \
		--timeout=$(SOAK_TIMEOUT) --allow-hosts=127.0.0.1,::1,localhost \
		tests/proofs/load $(wildcard tests/proofs/fuzz) \
		tests/proofs/faults/test_at_most_once_sequences.py

reliability: dev node  ## one command: the suites of tests/proofs/ (reliability, faults, fuzz, load, hygiene, authz) + report
	VENV=$(VENV) scripts/reliability_report.sh
