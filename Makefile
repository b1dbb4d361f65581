# Two commands on a fresh machine: `make run` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)

.DEFAULT_GOAL := help
.PHONY: help setup run test test-quick lint format typecheck proto web bench crash-test fuzz clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: ## Install uv (if missing) and the locked dependencies into .venv
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --quiet

run: setup ## Start the server on the embedded default (SQLite under ./data, port 3000)
	@echo "Sign in to the board: $$($(UV) run pm-server token --tenant local --user dev --link)"
	$(UV) run pm-server

test: setup lint typecheck ## Lint, type-check and run the whole test suite
	$(UV) run pytest -n 2 --dist loadgroup

test-quick: setup ## Run the tests without lint, type check or slow tests
	$(UV) run pytest -n 2 --dist loadgroup -m "not slow"

lint: setup ## ruff (lint + format check), the import-layer contracts, hadolint (Dockerfile)
	$(UV) run ruff check src tests bench
	$(UV) run ruff format --check src tests bench
	$(UV) run lint-imports
	$(UV) run hadolint Dockerfile

format: setup ## Apply ruff's formatting and safe fixes
	$(UV) run ruff check --fix src tests bench
	$(UV) run ruff format src tests bench

typecheck: setup ## mypy --strict on src/pm
	$(UV) run mypy

proto: setup ## Regenerate src/pm/proto/messages_pb2.py(i) from proto/messages.proto
	$(UV) run --frozen python -m grpc_tools.protoc -Iproto --python_out=src/pm/proto --mypy_out=quiet:src/pm/proto proto/messages.proto

web: ## Rebuild the web board (web/ → src/pm/server/web/, committed) from the npm lock
	cd web && npm ci --no-audit --no-fund && npm run generate && npm run build

bench: setup ## Benchmarks on loopback (<5 min): table + bench/results/latest.json; ARGS=--quick ~1 min
	$(UV) run python -m bench.run $(ARGS)

crash-test: setup ## Kill -9 the server mid-write 200 times; check nothing acknowledged is lost
	CRASH_ROUNDS=200 $(UV) run pytest tests/crash/test_crash.py -q -s -p no:cacheprovider

fuzz: setup ## Fuzz (schemathesis, WebSocket frames) and property tests, longer (a few minutes)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} FUZZ_STEPS=$${FUZZ_STEPS:-50} \
		$(UV) run pytest tests/fuzz tests/property -n 2 -q -p no:cacheprovider --timeout 1800

clean: ## Remove caches and the local data directory
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache data
