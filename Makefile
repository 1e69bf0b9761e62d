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

.PHONY: install demo test bench convert sim csim estimate bitstream report boards clean distclean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: install            ## train, export and simulate the bundled digits project
	$(BIN)/edgeaccel run $(PROJECT)

test: install            ## the test suite
	$(BIN)/python -m pytest -q

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

bench: install           ## side-by-side benchmarks; writes BENCHMARKS.md
	$(BIN)/python -m bench.run

report: install
	$(BIN)/edgeaccel report $(BUILD)

boards: install
	$(BIN)/edgeaccel boards

clean:
	rm -rf build .pytest_cache

distclean: clean
	rm -rf $(VENV)
