# edgeaccel front door. A fresh clone needs only `make demo` and `make test`.
# The virtual environment (.venv) is created once and reused; it is rebuilt when pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROJECT ?= examples/digits.yaml
BUILD  ?= build/digits
board  ?= pynq-z2
MODE   ?= int8
HLS    := $(BUILD)/hls-$(board)
HLS_OPTIONS ?= --reuse-factor 8

# make board=B deploy HOST=... [USER=... KEY=... PORT=... ARTIFACT=... BITSTREAM=... BUNDLE=... DEPLOY_OPTIONS=...]
# ARTIFACT defaults to the build directory: the artifact for the board's kind is picked. USER is
# passed on only when given on the command line (not the environment's $USER).
ARTIFACT ?= $(BUILD)
quote = '$(subst ','\'',$(1))'
given = $(filter command line,$(origin $(1)))
DEPLOY_FLAGS = --board $(call quote,$(board)) --host $(call quote,$(HOST)) \
	$(if $(call given,USER),--user $(call quote,$(USER))) $(if $(KEY),--key $(call quote,$(KEY))) \
	$(if $(PORT),--port $(call quote,$(PORT))) $(if $(BITSTREAM),--bitstream $(call quote,$(BITSTREAM))) \
	$(if $(BUNDLE),--bundle $(call quote,$(BUNDLE))) $(DEPLOY_OPTIONS)

.PHONY: install demo test test-zoo test-tools docs wheel-check bench convert sim csim estimate bitstream deploy rollback report boards sweep clean distclean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: install            ## train, export and simulate the bundled digits project
	$(BIN)/edgeaccel run $(PROJECT)

test: install test-tools ## the test suite
	$(BIN)/python -m pytest -q

docs: install             ## the API reference (build/site), from the docstrings; fails on any warning
	$(BIN)/mkdocs build --strict --quiet

test-zoo: install test-tools ## published models (hls4ml, QKeras, MLPerf Tiny) end to end: the slow cases
	$(BIN)/python -m pytest -q -m zoo

# What the tests use besides Python: an OpenSSH server (the loopback board) and Chromium (the report).
TEST_PACKAGES := $(if $(wildcard /usr/sbin/sshd),,openssh-server) $(if $(wildcard /usr/bin/chromium),,chromium fonts-liberation)
test-tools:
	@if [ -n "$(strip $(TEST_PACKAGES))" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEST_PACKAGES); \
	  else echo "make: missing $(strip $(TEST_PACKAGES)) (apt-get install them); the tests that need them are skipped" >&2; fi; fi
	@test -d /run/sshd || mkdir -p /run/sshd 2>/dev/null || true

wheel-check:              ## the built wheel, installed in a fresh venv, used from an empty directory
	PYTHON=$(PYTHON) .ci/wheel-check

convert: install         ## make convert MODE=float16 (int8 by default) from $(BUILD)/model.h5
	$(BIN)/edgeaccel convert $(BUILD)/model.h5 --target tflite --mode $(MODE) -o $(BUILD)/tflite-$(MODE)

sim: install             ## the int8 TFLite model on LiteRT against the held-out split
	$(BIN)/edgeaccel sim $(BUILD)/tflite --backend tflite --data $(BUILD)/test.npz --out $(BUILD)/tflite-pred.npy

$(HLS)/artifact.json: $(BUILD)/model.h5 | install
	$(BIN)/edgeaccel convert $(BUILD)/model.h5 --target hls --board $(board) $(HLS_OPTIONS) -o $(HLS)

$(BUILD)/model.h5: | install
	$(BIN)/edgeaccel run $(PROJECT)

csim: $(HLS)/artifact.json   ## hls4ml's C++ testbench built with g++ and run against QKeras (make board=zcu102 csim)
	$(BIN)/edgeaccel testbench $(HLS)
	$(BIN)/edgeaccel sim $(HLS) --backend csim --data $(BUILD)/test.npz --out $(HLS)/csim-pred.npy

estimate: $(HLS)/artifact.json
	$(BIN)/edgeaccel estimate $(HLS) --board $(board)

bitstream: $(HLS)/artifact.json   ## the vendor flow (needs vivado_hls/vivado or vitis_hls on PATH)
	$(BIN)/edgeaccel bitstream $(HLS)

deploy: install          ## make board=rpi4 deploy HOST=pi4.local [USER=pi KEY=~/.ssh/id_ed25519]: deploy, run and check
	@test -n $(call quote,$(HOST)) || { echo "make deploy: expected HOST=<the board's address>, received none" >&2; exit 2; }
	$(BIN)/edgeaccel deploy $(call quote,$(ARTIFACT)) $(DEPLOY_FLAGS)

rollback: install        ## make board=rpi4 rollback HOST=pi4.local: current back to the previous release
	@test -n $(call quote,$(HOST)) || { echo "make rollback: expected HOST=<the board's address>, received none" >&2; exit 2; }
	$(BIN)/edgeaccel deploy --rollback $(DEPLOY_FLAGS)

bench: install           ## side-by-side benchmarks; writes BENCHMARKS.md (installs the bench extra: rule4ml, torch)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.run

report: install
	$(BIN)/edgeaccel report $(BUILD)

SPACE ?= examples/digits-sweep.yaml
sweep: install           ## make sweep [PROJECT=... SPACE=... SWEEP_OPTIONS='--search optuna --trials 20']: the design space on Ray
	$(BIN)/edgeaccel sweep $(PROJECT) --space $(SPACE) $(SWEEP_OPTIONS)

boards: install
	$(BIN)/edgeaccel boards

clean:
	rm -rf build .pytest_cache

distclean: clean
	rm -rf $(VENV)
