# Every target sets up what it needs: `make test` works as the first command on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.installed-docs
SOURCES := aioamqp codegen tests bench examples
# make fuzz FUZZ_ARGS='--seconds 600 --seed 42 --jobs 4'
FUZZ_ARGS ?=
# aiormq (and, for bench-report, matplotlib) from the bench extra, in a venv of their own.
BENCH_VENV := .bench-venvs/aiormq
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.installed
BENCH_REPORT_STAMP := $(BENCH_VENV)/.installed-report
# aioamqp 0.15 (pyproject's [tool.aioamqp-bench] baselines) in another venv: its import name is
# aioamqp too.
BENCH015_VENV := .bench-venvs/aioamqp015
BENCH015_PY := $(BENCH015_VENV)/bin/python
BENCH015_STAMP := $(BENCH015_VENV)/.installed
# make bench BENCH_ARGS='--quick' (python -m bench --help)
BENCH_ARGS ?=
# make bench-report BENCH_REPORT_ARGS='--results bench/results/X-quick.jsonl --out /tmp/b.md'
BENCH_REPORT_ARGS ?=

.PHONY: generate check-generated fmt lint test test-unit test-cluster demo broker bench-codec bench bench-report fuzz soak docs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q -e '.[dev,otel]'
	touch $@

generate: $(STAMP)
	$(PY) -m codegen --out aioamqp/_generated

check-generated: $(STAMP)
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	$(PY) -m codegen --out $$tmp >/dev/null && \
	diff -r -x __pycache__ aioamqp/_generated $$tmp && echo "generated code is fresh"

fmt: $(STAMP)
	$(VENV)/bin/black -q $(SOURCES)

lint: $(STAMP)
	$(VENV)/bin/black --check -q $(SOURCES)
	$(VENV)/bin/mypy --strict aioamqp

broker:
	@if [ -z "$$AMQP_URL" ]; then scripts/broker.sh start; fi

test: $(STAMP) broker
	$(PY) -m pytest -q

test-unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

# tests/cluster against the three-node RabbitMQ cluster of scripts/cluster.sh (loopback ports
# 5682-5684): started if it is not running, left running (scripts/cluster.sh stop stops it).
test-cluster: $(STAMP)
	AIOAMQP_CLUSTER=1 $(PY) -m pytest -q tests/cluster

demo: $(STAMP) broker
	$(PY) examples/hello_world.py

bench-codec: $(STAMP)
	$(PY) bench/codec.py

$(BENCH_STAMP): pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install -q -U pip
	$(BENCH_PY) -m pip install -q $$($(BENCH_PY) bench/deps.py aiormq)
	touch $@

$(BENCH_REPORT_STAMP): $(BENCH_STAMP)
	$(BENCH_PY) -m pip install -q $$($(BENCH_PY) bench/deps.py matplotlib)
	touch $@

$(BENCH015_STAMP): pyproject.toml
	$(PYTHON) -m venv $(BENCH015_VENV)
	$(BENCH015_PY) -m pip install -q -U pip
	$(BENCH015_PY) -m pip install -q $$($(BENCH015_PY) bench/deps.py aioamqp)
	touch $@

# This client, aioamqp 0.15, aiormq and the wire ceiling against the local broker;
# bench/results/*.jsonl.
bench: $(STAMP) $(BENCH_STAMP) $(BENCH015_STAMP) broker
	$(PY) -m bench --aiormq-python $(BENCH_PY) --aioamqp015-python $(BENCH015_PY) $(BENCH_ARGS)

# docs/benchmarks.md and its charts (docs/benchmarks*.png) from the newest full run in
# bench/results/.
bench-report: $(STAMP) $(BENCH_REPORT_STAMP)
	$(BENCH_PY) -m bench.report $(BENCH_REPORT_ARGS)

$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install -q -e '.[dev,otel,docs]'
	touch $@

docs: $(STAMP) $(DOCS_STAMP)
	$(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

# Outside CI: 1,000,000 generated inputs through every decoder (tests/fuzz_run.py --help).
fuzz: $(STAMP)
	$(PY) tests/fuzz_run.py $(FUZZ_ARGS)

# Outside CI: the soak test with 1,000,000 messages (CI runs it with 100,000);
# SOAK_MESSAGES and SOAK_DEADLINE (seconds) override.
soak: $(STAMP) broker
	SOAK_MESSAGES=$${SOAK_MESSAGES:-1000000} SOAK_DEADLINE=$${SOAK_DEADLINE:-1800} \
	$(PY) -m pytest -q -s tests/integration/test_soak.py
