# The README's two set-up commands are `make run` and `make test`; each creates .venv when missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8765
BASE_URL ?= http://127.0.0.1:8765
ARGS ?=
WORKERS ?= 2
REDIS_PORT ?= 6390

.PHONY: help venv run run-cluster test lint contract conform bench bench-peers clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' Makefile | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP):
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[fast,contract,test,lint,bench]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)  ## create .venv and install the project with its test and lint tools

run: $(STAMP)  ## serve the emulator on 127.0.0.1:8765 (HOST, PORT, ARGS to change)
	$(BIN)/nemo-mock serve --host $(HOST) --port $(PORT) $(ARGS)

run-cluster: $(STAMP)  ## redis-server + WORKERS (2) workers sharing one world on HOST:PORT
	@command -v redis-server >/dev/null || { echo "run-cluster needs redis-server (Debian package redis-server)"; exit 2; }
	@dir=$$(mktemp -d); \
	redis-server --port $(REDIS_PORT) --bind 127.0.0.1 --dir $$dir --appendonly yes --save '' >$$dir/redis.log 2>&1 & rpid=$$!; \
	trap 'kill $$rpid 2>/dev/null; wait $$rpid 2>/dev/null' EXIT INT TERM; \
	for i in 1 2 3 4 5 6 7 8 9 10; do redis-cli -p $(REDIS_PORT) ping >/dev/null 2>&1 && break; sleep 0.2; done; \
	echo "redis-server pid $$rpid on 127.0.0.1:$(REDIS_PORT), data in $$dir"; \
	$(BIN)/nemo-mock serve --host $(HOST) --port $(PORT) --store redis://127.0.0.1:$(REDIS_PORT)/0 --workers $(WORKERS) $(ARGS)

test: $(STAMP)  ## run the test suite
	$(BIN)/python -m pytest -n auto $(ARGS)

lint: $(STAMP)  ## ruff, mypy strict, import-linter (over build/lint, the package as installed)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	rm -rf build/lint && mkdir -p build/lint/nemo_mock
	cp -r nemo_mock/. build/lint/nemo_mock/
	for pair in server:mock_server client:client contracts:contracts scenarios:scenarios; do \
		cp -r $${pair#*:} build/lint/nemo_mock/$${pair%%:*}; done
	find build/lint -name __pycache__ -prune -exec rm -rf {} +
	cd build/lint && ../../$(BIN)/mypy --config-file ../../pyproject.toml -p nemo_mock
	cd build/lint && ../../$(BIN)/lint-imports --config ../../pyproject.toml

contract: $(STAMP)  ## check any server against the contract: make contract BASE_URL=http://...
	$(BIN)/nemo-mock contract --base-url $(BASE_URL) $(ARGS)

conform: $(STAMP)  ## verify a client: make conform CLIENT="reference" (or a command)
	$(BIN)/nemo-mock scenarios run --client "$(or $(CLIENT),reference)" --variant all $(ARGS)

bench: $(STAMP)  ## benchmarks (not part of make test)
	$(BIN)/python -m bench $(ARGS)

bench-peers: $(STAMP)  ## peers side by side (installs them on demand into bench/peers/)
	$(BIN)/python -m bench.peers $(ARGS)

clean:  ## remove the venv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .hypothesis build *.egg-info
