# Every target sets up what it needs: `make test` works as the first command on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SOURCES := aioamqp codegen tests bench examples

.PHONY: generate check-generated fmt lint test test-unit demo broker bench-codec

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q -e '.[dev]'
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

broker:
	@if [ -z "$$AMQP_URL" ]; then scripts/broker.sh start; fi

test: $(STAMP) broker
	$(PY) -m pytest -q

test-unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

demo: $(STAMP) broker
	$(PY) examples/hello_world.py

bench-codec: $(STAMP)
	$(PY) bench/codec.py
