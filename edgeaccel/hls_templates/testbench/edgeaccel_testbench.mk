# Builds and runs hls4ml's generated C++ testbench (myproject_test.cpp with tb_data/) with plain g++:
# the C simulation without Vivado or Vitis. Copied into every hls project by `edgeaccel convert`.
#
#   make -f edgeaccel_testbench.mk run     # writes tb_data/csim_results.log
#
# It runs on a board too: the csim deploy bundle builds it there with the board's own g++.
CXX ?= g++
CXXFLAGS ?= -O2 -std=c++17
SOURCES := myproject_test.cpp $(wildcard firmware/*.cpp)
# The file the testbench reads its inputs from. hls4ml 1.3's VivadoAccelerator testbench opens
# tb_data/tb_input_inputs.dat while its writer writes tb_data/tb_input_features.dat; link the two.
TB_INPUT := $(shell sed -n 's/.*ifstream fin("\(.*\)");.*/\1/p' myproject_test.cpp)

csim_tb: $(SOURCES) $(wildcard firmware/*.h firmware/weights/*)
	$(CXX) $(CXXFLAGS) -Ifirmware -Ifirmware/ap_types -DWEIGHTS_DIR='"firmware/weights"' $(SOURCES) -o $@

run: csim_tb
	rm -f tb_data/csim_results.log tb_data/*_output.log
	test -e $(TB_INPUT) || ln -s tb_input_features.dat $(TB_INPUT)
	./csim_tb

clean:
	rm -f csim_tb tb_data/csim_results.log tb_data/*_output.log

.PHONY: run clean
