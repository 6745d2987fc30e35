# PolicyQA — every entry point a developer or CI needs.
# `make run` and `make test` set everything up on a fresh machine; nothing here touches a model hub.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TORCH  ?= torch==2.13.0
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export GRADIO_ANALYTICS_ENABLED=False
export ANONYMIZED_TELEMETRY=False

.PHONY: setup run ingest vectors test eval bench load clean

setup: $(STAMP)

# CPU torch goes in first: an unpinned torch would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

run: setup
	$(PY) app.py

ingest: setup
	$(PY) -m ingest

# Re-embed data/ and rewrite the shipped vector cache (data/.vectors.npz) after a parser, corpus or model change.
vectors: setup
	$(PY) -m ingest vectors

test: setup
	$(PY) -m pytest -q

eval: setup
	$(PY) -m eval run --golden eval/golden/dev.jsonl --out eval/reports/latest --history eval/reports/history --baselines

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) .cache

load: setup
	$(PY) -m bench.load --seconds 60
