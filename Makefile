# Everyday commands. `make test` is what CI runs; `make run` is the local paper-trading session.
SHELL := /bin/bash
VENV = $(shell scripts/venv.sh)
PY = $(VENV)/bin/python

.PHONY: run test unit integration kube lint format typecheck bench chaos chaos-short infra-up infra-down \
        cluster-up cluster-down cluster-test dev

run:            ## a local paper-trading session against the Kite simulator (ARGS="--duration 0")
	@eval "$$(scripts/infra.sh up | sed 's/^/export /')" && $(PY) -m local_run $(ARGS)

test: lint typecheck unit integration kube   ## everything CI runs

unit:           ## fast tests: pure code, no servers
	$(PY) -m pytest tests/unit -q

integration: infra-up   ## real Kafka, PostgreSQL, Redis and the Kite simulator
	$(PY) -m pytest tests/integration -q -m "not kube"

kube:           ## the operator against a real kube-apiserver (1.20.2; ALPHA_PANDA_KUBE_VERSION=1.34.4 uses the cluster build's)
	$(PY) -m pytest tests -q -m kube

lint:
	$(VENV)/bin/ruff check services operator devtools tests
	$(VENV)/bin/ruff format --check services operator devtools tests

format:
	$(VENV)/bin/ruff format services operator devtools tests
	$(VENV)/bin/ruff check --fix services operator devtools tests

typecheck:      ## mypy strict over the product, the operator and the devtools
	$(VENV)/bin/mypy services operator devtools

bench:          ## benchmarks print figures; see tests/benchmarks/RESULTS.md for all of them
	$(PY) tests/benchmarks/bench_stream_processor.py
	$(PY) tests/benchmarks/bench_pipeline.py
	$(PY) tests/benchmarks/bench_backtest.py

chaos:          ## the fault suite, long form: 10 minutes of kills and outages on private servers
	$(PY) -m chaos --duration 600 --seed 1 $(ARGS)

chaos-short:    ## the fault suite's short form alone (part of make integration; ~3 minutes)
	$(PY) -m pytest tests/integration/chaos -q -m chaos

infra-up:
	scripts/infra.sh up

infra-down:
	scripts/infra.sh down

cluster-up:     ## a kind cluster with a real kubelet (builds and caches what it needs; see docs/cluster.md)
	scripts/cluster.sh up

cluster-down:
	scripts/cluster.sh down

dev:            ## skaffold's loop without skaffold: build, kind load, helm upgrade --install, watch
	scripts/dev.sh

cluster-test:   ## the chart on the kind cluster, every pod Ready through its real probes
	scripts/cluster.sh up >/dev/null
	$(PY) -m pytest tests/cluster -q -m cluster
