"""The FPGA estimate: hls4ml 1.3's templates counted layer by layer, per device family and HLS tool,
with calibrated ranges and a verdict that uses them."""

import json
import math

import pytest

from bench import fpga_calibration
from conftest import error_line, run_cli
from edgeaccel.boards import load_board
from edgeaccel.errors import ConfigError, UnsupportedError
from edgeaccel.estimate.fpga import (boundary_register_bits, calibration, design_cost, estimate_fpga, layers_from_hls_records,
                                     pipeline_style, render_fpga_estimate)
from edgeaccel.estimate.fpga.devices import device_for
from edgeaccel.estimate.fpga.templates import (SATURATING_ADD_LEVELS, STEP_CHAINS, bram18_for, fifo_work, kind_of, layer_work,
                                                 multiplier_rounds, resource_mux_inputs)


def dense(n_in=16, n_out=8, digits=(0, 0, 0, 128), bits=None, reuse=1, strategy="latency", input_bits=16, weight="fixed<16,6>"):
    """A Dense record as `hls4ml_adapter.layer_records` writes it, with a given histogram of the
    weights' canonical-signed-digit counts (index 0: zeros, 1: powers of two, ...)."""
    digits = list(digits)
    bits = list(bits) if bits is not None else [digits[0], digits[1]] + [0] * 6 + [sum(digits[2:])]
    return {"name": "fc", "class": "Dense", "result": "fixed<16,6>", "result_bits": 16, "outputs": n_out, "shape": [n_out],
            "weight_type": weight, "accum": "fixed<16,6>", "n_in": n_in, "n_out": n_out, "reuse_factor": reuse,
            "strategy": strategy, "weights": n_in * n_out, "nonzero_weights": n_in * n_out - digits[0],
            "weight_digits": digits, "weight_significant_bits": bits, "input_bits": input_bits}


@pytest.mark.parametrize("part, family, dsp, a_bits", [
    ("xc7z020clg400-1", "7-series", "DSP48E1", 25), ("xczu3eg-sbva484-1-e", "UltraScale+", "DSP48E2", 27),
    ("xcku115-flvb2104-2-i", "UltraScale", "DSP48E2", 27), ("xcu250-figd2104-2L-e", "UltraScale+", "DSP48E2", 27),
    ("xck26-sfvc784-2LV-c", "UltraScale+", "DSP48E2", 27)])
def test_device_families(part, family, dsp, a_bits):
    device = device_for(part)
    assert (device.family, device.dsp, device.dsp_a_bits, device.dsp_b_bits) == (family, dsp, a_bits, 18)


def test_a_26x18_product_takes_two_dsp48e1_and_one_dsp48e2():
    assert device_for("xc7z020clg400-1").dsps_per_product(26, 18) == 2
    assert device_for("xczu9eg-ffvb1156-2-e").dsps_per_product(26, 18) == 1
    assert device_for("xczu9eg-ffvb1156-2-e").dsps_per_product(28, 18) == 2
    with pytest.raises(UnsupportedError, match="expected an AMD/Xilinx 7-series, UltraScale or UltraScale\\+ part"):
        device_for("10AX115N2F40E2LG")


def test_weights_decide_dsps_zeros_and_powers_of_two_take_none():
    """128 weights: 16 zeros, 16 powers of two, 32 of two signed digits, 64 of three or more."""
    device = device_for("xczu9eg-ffvb1156-2-e")
    record = dense(digits=(16, 16, 32, 40, 24), bits=(16, 16, 8, 8, 16, 32, 32))
    vivado = layer_work(record, "io_parallel", "vivado", device)
    vitis = layer_work(record, "io_parallel", "vitis", device)
    assert vivado.dsp == 64 + 32 - 8 - 8, "Vivado HLS: every product of more than three significant bits"
    assert vitis.dsp == 64, "Vitis HLS decomposes two-digit constants into a shift and an add"
    assert vivado.multiplications == vitis.multiplications == 128
    narrow = layer_work(record | {"input_bits": 6}, "io_parallel", "vivado", device)
    assert narrow.dsp == 0 and narrow.lut["lut_product_bits"] > vivado.lut["lut_product_bits"]


def test_reuse_factor_caps_the_multipliers_and_sets_the_interval():
    device = device_for("xczu9eg-ffvb1156-2-e")
    for reuse in (1, 2, 4, 8, 32):
        work = layer_work(dense(reuse=reuse), "io_parallel", "vivado", device)
        assert work.dsp == min(128, math.ceil(128 / reuse)) and work.loop_ii == reuse


def test_resource_strategy_keeps_weights_in_a_rom_of_reuse_factor_words():
    device = device_for("xczu9eg-ffvb1156-2-e")
    work = layer_work(dense(n_in=64, n_out=32, digits=(0, 0, 0, 2048), reuse=64, strategy="resource"), "io_parallel",
                      "vivado", device)
    assert work.dsp == 32, "ceil(2048 / 64) generic multipliers"
    assert work.bram18 == bram18_for(64, 32 * 16) == 15, "a 64-deep ROM, 32 x 16 bits wide"
    assert work.resource_kernel and work.loop_ii == 64 and work.uncalibrated is None


def test_resource_strategy_at_reuse_factor_1_sees_the_constants():
    """With one cycle per weight the ROM index is a constant: zero and power-of-two weights cost no DSP."""
    device = device_for("xczu9eg-ffvb1156-2-e")
    record = dense(digits=(16, 16, 32, 40, 24), bits=(16, 16, 8, 8, 16, 32, 32))
    latency = layer_work(record, "io_parallel", "vivado", device)
    resource = layer_work(record | {"strategy": "resource"}, "io_parallel", "vivado", device)
    assert resource.dsp == latency.dsp == 80 and resource.bram18 == 0 and not resource.resource_kernel


def test_dsp_products_slower_than_the_clock_register_in_fabric_on_7_series_only():
    """A DSP48E1 product of a -1 Zynq-7020 does not fit the 4.375 ns Vivado HLS leaves of a 5 ns clock: HLS builds
    two-cycle `mul` instances (67 FF each in the published reports); a -2 UltraScale+ part, or a 10 ns clock, needs one."""
    shipped = calibration.shipped()
    terms = {(part, clock): design_cost([dense()], "io_parallel", "vivado", part, clock, shipped)["terms"]["ff"]
             for part, clock in (("xc7z020clg400-1", 5.0), ("xc7z020clg400-1", 10.0), ("xczu9eg-ffvb1156-2-e", 5.0))}
    assert terms["xc7z020clg400-1", 5.0]["multiplier_register_bits"] == 128 * 2 * (16 + 16)
    assert terms["xc7z020clg400-1", 10.0]["multiplier_register_bits"] == terms["xczu9eg-ffvb1156-2-e", 5.0]["multiplier_register_bits"] == 0


def test_cycle_boundaries_register_the_products_then_what_is_left_of_their_sums():
    """Where a boundary falls before the products are done, every product crosses it (freaksie/ML-on-Chip's 8x4
    dense, Vivado HLS 2018.3: 28 products of 16 bits registered at its one boundary); after l adder levels, a tree
    has halved them l times and a chain has consumed l of its links."""
    bits = 32 * 16
    assert boundary_register_bits(bits, 1, 4.0, 5.0, 2.0) == (0.0, 0.0)
    assert boundary_register_bits(bits, 2, 4.0, 5.0, 2.0) == (bits, 0.0)
    # boundaries at 4, 8 and 12 ns of a 5 ns product and 2 ns adds: before it, after 1 level, after 3
    assert boundary_register_bits(bits, 4, 4.0, 5.0, 2.0) == (bits, bits / 2 + bits / 8)
    assert boundary_register_bits(bits, 4, 4.0, 5.0, 2.0, chain_levels=8) == (bits, bits * 7 / 8 + bits * 5 / 8)
    # no multiplier left (constants all shifts): the first boundary is already inside the sums
    assert boundary_register_bits(bits, 2, 4.0, 0.0, 2.0) == (0.0, bits / 4)


def test_resource_strategy_multiplexers_are_shared_by_multipliers_reading_the_same_inputs():
    """dense_resource: in iteration ir a multiplier reads data[ir + k R], so the multiplexers take about n_in inputs
    however many multipliers share them: PYNQ_IA's 400-input dense at R 40 (100 multipliers) and PokerML's 784-input
    ones at R 784 (13) and R 392 (8) reported 2.3 to 2.5 multiplexer LUT per input bit alike."""
    device = device_for("xc7z020clg400-1")
    for reuse in (8, 64):
        work = layer_work(dense(n_in=64, n_out=32, digits=(0, 0, 0, 2048), reuse=reuse, strategy="resource"), "io_parallel",
                          "vivado", device)
        assert work.multipliers == 2048 // reuse and work.lut["resource_mux_bits"] == 64 * 16
    assert resource_mux_inputs(400, 40) == resource_mux_inputs(784, 784) - 384 == resource_mux_inputs(784, 392) - 384 == 400
    assert resource_mux_inputs(100, 30) == 4 * 30, "the last offset's multiplexer is as wide as the others"


def test_an_io_stream_dense_layer_holds_its_whole_input_in_registers():
    device = device_for("xczu9eg-ffvb1156-2-e")
    work = layer_work(dense(n_in=64, n_out=32, digits=(0, 0, 0, 2048)) | {"input_channels": 8}, "io_stream", "vitis", device)
    assert work.ff["window_bits"] == 64 * 16 and work.iterations == 8


def test_two_digit_constants_are_an_adder_level_in_vitis_and_a_multiplier_in_vivado():
    device = device_for("xczu9eg-ffvb1156-2-e")
    record = dense(digits=(0, 64, 64))
    vitis, vivado = (layer_work(record, "io_parallel", tool, device) for tool in ("vitis", "vivado"))
    assert not vitis.multiplier and vitis.dsp == 0 and vitis.adder_levels == math.ceil(math.log2(128 / 8 + 1)) + 1
    assert vivado.multiplier and vivado.dsp == 64 and vivado.adder_levels == math.ceil(math.log2(128 / 8 + 1))


def test_multiplier_rounds_give_the_published_intervals():
    """hls4ml 0.4's jet tagger (fc1, 1024 weights of which 40 zero) at reuse factors 64, 128, 256
    reported II 62, 123, 246; an MNIST convolution kernel (36 weights) at reuse factor 16, 12 rounds."""
    assert [multiplier_rounds(984, 1024, 984, rf) for rf in (64, 128, 256)] == [62, 123, 246]
    assert multiplier_rounds(1024, 1024, 1024, 64) == 64 and multiplier_rounds(36, 36, 36, 16) == 12
    assert multiplier_rounds(0, 128, 0, 4) == 1, "an all-zero layer still takes a cycle"


def test_constants_decomposed_into_shifts_take_no_multiplier_rounds():
    """MuhammadAshraful/CNN-in-FPGA-hls4ml's 6-bit 3x3 convolution (18 weights: 4 zero, 7 powers of two,
    7 of two signed digits) at reuse factor 128, 676 partitions: ALLOCATION allows one `mul`, but Vitis
    HLS 2024.1 turned every constant into shifts and adds and ran 2 cycles per partition, not 14 rounds.
    Vivado HLS keeps the 7 two-digit constants as `mul`s: 7 rounds on the one multiplier."""
    record = {"name": "conv2d", "class": "Conv2D", "filt_height": 3, "filt_width": 3, "n_chan": 1, "n_filt": 2,
              "in_height": 28, "in_width": 28, "out_height": 26, "out_width": 26, "n_partitions": 676,
              "reuse_factor": 128, "strategy": "latency", "input_bits": 6, "result_bits": 6, "accum": "fixed<6,2>",
              "weight_type": "fixed<6,2>", "weight_digits": [4, 7, 7], "weights": 18, "outputs": 1352}
    device = device_for("xcku5p-ffvb676-2-e")
    vitis = layer_work(record, "io_parallel", "vitis", device)
    vivado = layer_work(record, "io_parallel", "vivado", device)
    assert (vitis.mul_operations, vitis.loop_ii, vitis.iterations) == (0, 1, 676)
    assert (vivado.mul_operations, vivado.loop_ii) == (7, 7)


def test_batchnorm_multipliers_are_limited_by_the_reuse_factor():
    device = device_for("xcvu13p-flga2577-2-e")
    record = {"name": "bn", "class": "BatchNormalization", "result_bits": 16, "outputs": 24, "shape": [24],
              "input_bits": 16, "scale_type": "fixed<16,6>", "scale_digits": [0, 0, 0, 24],
              "scale_significant_bits": [0] * 8 + [24], "reuse_factor": 1}
    assert layer_work(record, "io_parallel", "vitis", device).dsp == 24
    assert layer_work(record | {"reuse_factor": 10000}, "io_parallel", "vitis", device).dsp == 1


def test_pointwise_convolutions_are_convolutions():
    assert kind_of({"class": "PointwiseConv1D"}) == kind_of({"class": "Conv2D"}) == "conv"


def test_bram18_port_widths():
    assert bram18_for(512, 36) == 1 and bram18_for(1024, 18) == 1 and bram18_for(1024, 36) == 2
    assert bram18_for(4096, 18) == 5 and bram18_for(0, 16) == 0


@pytest.mark.parametrize("tool, srl_depth, fifo_bram", [("vivado", 16, 16), ("vitis", 1, 8)])
def test_io_stream_fifos_per_tool(tool, srl_depth, fifo_bram):
    """A 16-channel 16-bit stream, 169 pixels deep: Vivado HLS splits it into one FIFO per channel (a
    BRAM18 each), Vitis HLS packs it into one 256-bit FIFO (8 BRAM18). Shallow FIFOs go to SRLs."""
    record = {"name": "conv", "result_bits": 16, "outputs": 169 * 16, "shape": [13, 13, 16]}
    assert fifo_work(record, tool).bram18 == fifo_bram
    shallow = fifo_work(record | {"shape": [srl_depth, 16], "outputs": 16 * srl_depth}, tool)
    assert shallow.bram18 == 0 and shallow.lut["fifo_srl_bits"] > 0


def _stream_conv(**changes) -> dict:
    return {"name": "conv", "class": "Conv2D", "result_bits": 16, "outputs": 30 * 30 * 16, "shape": [30, 30, 16],
            "weight_type": "fixed<16,6>", "accum": "fixed<16,6>", "n_chan": 3, "n_filt": 16, "filt_height": 3, "filt_width": 3,
            "in_height": 32, "in_width": 32, "out_height": 30, "out_width": 30, "reuse_factor": 1, "strategy": "latency",
            "weights": 432, "nonzero_weights": 432, "weight_digits": [0, 0, 0, 432], "weight_significant_bits": [0] * 8 + [432],
            "input_bits": 16} | changes


def test_io_stream_convolution_reads_one_pixel_per_reuse_factor_and_buffers_lines():
    device = device_for("xcu250-figd2104-2L-e")
    work = layer_work(_stream_conv(), "io_stream", "vivado", device)
    assert work.iterations == 32 * 32 and work.dsp == 432 and work.pixel_loop_pipelined
    assert work.ff["line_buffer_bits"] == 2 * 3 * 32 * 16, "two lines of 32 pixels x 3 channels x 16 bits"
    design = design_cost([_stream_conv()], "io_stream", "vivado", "xcu250-figd2104-2L-e", 5.0, calibration.shipped())
    assert design["totals"]["ii_cycles"] == design["totals"]["latency_cycles"] + 1 > 1024


def test_vitis_does_not_pipeline_the_stream_convolution_pixel_loop():
    """hls4ml's `#pragma HLS PIPELINE` sits inside `if (strategy == latency)`: Vivado HLS applies it, Vitis
    HLS does not, and each pixel then waits for the kernel (the smart-pixel CNN: 2 to 3 cycles a pixel)."""
    shipped = calibration.shipped()
    vivado = design_cost([_stream_conv()], "io_stream", "vivado", "xcu250-figd2104-2L-e", 5.0, shipped)["totals"]
    vitis = design_cost([_stream_conv()], "io_stream", "vitis", "xcu250-figd2104-2L-e", 5.0, shipped)["totals"]
    assert vivado["latency_cycles"] < 1.1 * 1024 and vitis["latency_cycles"] >= 2 * 1024
    resource = design_cost([_stream_conv(strategy="resource", reuse_factor=9)], "io_stream", "vivado", "xcu250-figd2104-2L-e",
                           5.0, shipped)["totals"]
    assert resource["latency_cycles"] >= 1024 * (9 + 1), "a Resource kernel is never pipelined at the pixel loop"


@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_a_pointwise_convolution_is_costed_as_the_1x1_convolution_it_is(io_type):
    """hls4ml 1.3 makes a 1x1 convolution, and the second half of a separable one, a PointwiseConv1D/2D
    layer: a convolution record (n_chan, n_filt, widths), not a Dense one."""
    device = device_for("xc7z020clg400-1")
    conv = {"name": "sep_pointwise", "class": "Conv1D", "result_bits": 30, "outputs": 55, "shape": [11, 5],
            "weight_type": "fixed<8,4>", "accum": "fixed<30,15>", "n_chan": 20, "n_filt": 5, "filt_height": 1,
            "filt_width": 1, "in_height": 1, "in_width": 11, "out_width": 11, "reuse_factor": 1, "strategy": "latency",
            "n_partitions": 11, "weights": 100, "nonzero_weights": 100, "weight_digits": [0, 0, 100],
            "weight_significant_bits": [0, 0, 0, 100], "input_bits": 18}
    pointwise = layer_work(conv | {"class": "PointwiseConv1D"}, io_type, "vivado", device)
    assert pointwise.kind == "conv" and pointwise.multiplications == 20 * 5 * 11
    assert pointwise == layer_work(conv, io_type, "vivado", device)


def test_a_faster_clock_pipelines_deeper_and_keeps_the_interval(digits_build):
    records = _records(digits_build)
    shipped = calibration.shipped()
    slow = design_cost(records, "io_parallel", "vivado", "xc7z020clg400-1", 10.0, shipped)["totals"]
    fast = design_cost(records, "io_parallel", "vivado", "xc7z020clg400-1", 2.5, shipped)["totals"]
    assert fast["latency_cycles"] > slow["latency_cycles"] and fast["ii_cycles"] == slow["ii_cycles"]
    assert fast["ff"] > slow["ff"], "more pipeline stages, more registers"


def test_one_pipelined_top_function_chains_its_layers_logic_across_their_boundaries():
    """Kenny-Jia/ToyVAE's 57-32-16-3 encoder at 25 ns took 1 cycle (Vitis HLS 2023.1 and Vivado HLS 2019.2) and
    the 5 ns jet tagger 9 (Vivado HLS 2019.2), fewer than each dense layer taking its own cycles would give: the
    paths are put end to end. A Resource-strategy design is a dataflow of layers, which keeps the sum."""
    shipped = calibration.shipped()
    records = [dense(57, 32) | {"name": "fc1"}, dense(32, 16) | {"name": "fc2"}, dense(16, 3) | {"name": "fc3"}]
    design = design_cost(records, "io_parallel", "vitis", "xcvu9p-flga2104-2L-e", 25.0, shipped)
    assert design["totals"]["latency_cycles"] <= 2 < 3 <= sum(layer["latency_cycles"] for layer in design["layers"])
    resource = [record | {"strategy": "resource", "reuse_factor": 2} for record in records]
    design = design_cost(resource, "io_parallel", "vitis", "xcvu9p-flga2104-2L-e", 25.0, shipped)
    summed = sum(layer["latency_cycles"] for layer in design["layers"]) + shipped.tool("vitis").timing.top_cycles
    assert design["totals"]["latency_cycles"] == summed


def test_the_tool_is_a_parameter(digits_build):
    records = _records(digits_build)
    board = load_board("zcu102")
    vivado = estimate_fpga(records, board, "io_parallel", "vivado")
    vitis = estimate_fpga(records, board, "io_parallel", "vitis")
    assert vivado["tool"] == "vivado" and vitis["tool"] == "vitis" and "Vitis HLS" in vitis["tool_title"]
    assert vivado["resources"]["ff"]["used"] != vitis["resources"]["ff"]["used"]
    assert estimate_fpga(records, load_board("kv260"), "io_parallel")["tool"] == "vitis", "Vitis boards default to Vitis HLS"
    with pytest.raises(ConfigError, match="--hls-tool: expected one of vitis, vivado, received 'catapult'"):
        estimate_fpga(records, board, "io_parallel", "catapult")


def test_every_figure_has_a_range_that_contains_it(digits_build):
    estimate = estimate_fpga(_records(digits_build), load_board("zcu102"), "io_parallel")
    for name in ("lut", "ff", "dsp", "bram18"):
        usage = estimate["resources"][name]
        assert usage["low"] <= usage["used"] <= usage["high"], (name, usage)
    low, high = estimate["latency_range"]
    assert low <= estimate["latency_cycles"] <= high
    for layer in estimate["layers"]:
        for name in ("lut", "ff", "dsp", "bram18"):
            assert layer["ranges"][name][0] <= layer[name] <= layer["ranges"][name][1]
    assert sum(layer["dsp"] for layer in estimate["layers"]) == estimate["resources"]["dsp"]["used"]


def test_the_verdict_uses_the_range(digits_build):
    records = _records(digits_build)
    estimate = estimate_fpga(records, load_board("zcu102"), "io_parallel")
    lut = estimate["resources"]["lut"]
    assert lut["low"] < lut["used"] < lut["high"]

    def verdict_with(available: int) -> dict:
        """zcu102 with `available` LUTs and room for every other resource's upper bound."""
        board = load_board("zcu102")
        room = {name: 10 * estimate["resources"][name]["high"] + 1 for name in ("ff", "dsp", "bram18")}
        resources = board.fpga.resources.model_copy(update={"lut": available} | room)
        return estimate_fpga(records, board.model_copy(update={"fpga": board.fpga.model_copy(update={"resources": resources})}),
                             "io_parallel")

    assert verdict_with(lut["high"] + 1)["verdict"] == "fits"
    maybe = verdict_with((lut["low"] + lut["high"]) // 2)
    assert maybe["verdict"].startswith("may not fit: LUT") and maybe["may_exceed"] == ["lut"] and not maybe["fits"]
    over = verdict_with(lut["low"] - 1)
    assert over["verdict"].startswith("does not fit: LUT") and over["over_budget"] == ["lut"]


def recurrent(kind="GRU", state=20, n_in=6, steps=20, accum="fixed<16,6>", result="fixed<16,6>"):
    """A GRU or LSTM record as `hls4ml_adapter.layer_records` writes it (the top-tagging network's first layer)."""
    gates = 4 if kind == "LSTM" else 3
    return {"name": "rnn", "class": kind, "result": result, "result_bits": 16, "outputs": state, "shape": [state],
            "accum": accum, "n_in": n_in, "n_out": state, "n_timesteps": steps, "reuse_factor": 1, "strategy": "latency",
            "weight_type": "fixed<16,6>", "recurrent_weight_type": "fixed<16,6>", "weights": n_in * gates * state,
            "nonzero_weights": n_in * gates * state, "input_bits": 16, "table": "fixed<18,8>", "table_size": 1024,
            "weight_digits": [0, 0, 0, n_in * gates * state], "recurrent_weight_digits": [0, 0, 0, state * gates * state]}


def test_a_recurrent_layer_runs_its_time_steps_one_after_another():
    """nnet_recurrent.h's gru_stack/lstm_stack: a step needs the previous step's state, so the layer takes
    steps x one step's chain, and the next inference waits for the last step (II = latency)."""
    board = load_board("zcu102")
    for kind in ("GRU", "LSTM"):
        estimate = {steps: estimate_fpga([recurrent(kind, steps=steps)], board, "io_parallel") for steps in (10, 20)}
        layer = {steps: e["layers"][0] for steps, e in estimate.items()}
        step = layer[10]["latency_cycles"] // 10
        assert step >= 1 + len(STEP_CHAINS[kind.lower()]), "the kernels, then each link of the chain"
        assert layer[10]["latency_cycles"] == layer[10]["ii_cycles"] == 10 * step
        assert layer[20]["latency_cycles"] == layer[20]["ii_cycles"] == 20 * step
        assert estimate[20]["ii_cycles"] == 20 * step
    head = dense(n_in=20, n_out=8, digits=(0, 0, 0, 160))
    pipelined = estimate_fpga([recurrent("GRU"), head], board, "io_parallel")
    assert pipelined["ii_cycles"] == pipelined["latency_cycles"] > pipelined["layers"][0]["ii_cycles"], \
        "hls4ml's top-level PIPELINE (Latency strategy) cannot overlap inferences around the time-step loop"
    dataflow = estimate_fpga([recurrent("GRU"), head | {"strategy": "resource"}], board, "io_parallel")
    assert dataflow["ii_cycles"] == dataflow["layers"][0]["ii_cycles"] < dataflow["latency_cycles"], \
        "a Resource-strategy layer makes the top a DATAFLOW region: the next inference enters the GRU when it is free"
    assert pipeline_style([head], "io_parallel") == "pipeline" and pipeline_style([head], "io_stream") == "dataflow"
    published = design_cost([recurrent("GRU")], "io_parallel", "vivado", "xc7vx690t-ffg1761-2", 5.0, calibration.shipped())
    assert published["layers"][0]["latency_cycles"] == pytest.approx(339, rel=0.15), \
        "uw-acme/HLS4ML_VS_MANUAL's GRU(20) over 20 steps, Vivado HLS 2019.1: gru_stack 339 cycles, a step every 17"


def test_a_recurrent_layer_has_its_gate_tables_and_gate_products():
    """The published top-tagging GRU(20) and LSTM(20) used 30 and 40 BRAM18 for the gate activations
    (uw-acme/HLS4ML_VS_MANUAL's csynth reports, 31 and 41 with the output sigmoid): a table copy per two
    values looked up at once; the LSTM's two tanh calls share a table when state and result types agree."""
    device = device_for("xc7vx690t-ffg1761-2")
    gru, lstm = (layer_work(recurrent(kind), "io_parallel", "vivado", device) for kind in ("GRU", "LSTM"))
    assert gru.bram18 == 20 + 10 and lstm.bram18 == 30 + 10
    assert layer_work(recurrent("LSTM", accum="fixed<18,8>"), "io_parallel", "vivado", device).bram18 == 30 + 10 + 10
    assert layer_work(recurrent("GRU", state=5), "io_parallel", "vivado", device).bram18 == 5 + 3
    kernels = layer_work(dense(n_in=6, n_out=60, digits=(0, 0, 0, 360)), "io_parallel", "vivado", device).dsp + \
        layer_work(dense(n_in=20, n_out=60, digits=(0, 0, 0, 1200)), "io_parallel", "vivado", device).dsp
    assert gru.dsp == kernels + 3 * 20, "r * h, (1 - z) * h~ and z * h: three products of two variables per state"


def test_uncalibrated_layers_are_named_and_widen_the_range(digits_build):
    """The published GRU of the top-tagging network (a held-out family: no fitted report has a recurrent layer)."""
    records = _records(digits_build)
    gru = next(r for r in fpga_calibration.read_records()["toptag_gru20_rf1_vx690t_vivado2019.1"] if r["class"] == "GRU")
    plain = estimate_fpga(records, load_board("zcu102"), "io_parallel")
    with_gru = estimate_fpga(records[:1] + [gru | {"name": "gru"}] + records[1:], load_board("zcu102"), "io_parallel")
    assert plain["uncalibrated"] == []
    assert with_gru["uncalibrated"] == [{"layer": "gru", "reason": "GRU: no published report among the rows the calibration was fitted on"}]
    layer = next(layer for layer in with_gru["layers"] if layer["name"] == "gru")
    assert layer["ranges"]["lut"] == list(calibration.shipped().range_of("lut", layer["lut"], calibration.UNCALIBRATED_SPREAD))
    assert "uncalibrated: gru" in render_fpga_estimate(with_gru)
    unwidened = calibration.shipped().range_of("latency_cycles", with_gru["latency_cycles"])
    assert with_gru["latency_range"][1] > unwidened[1] and with_gru["latency_range"][0] < unwidened[0], \
        "the GRU's share of the latency gets the wider range too"


def test_a_layer_the_estimate_cannot_see_makes_the_verdict_unchecked(digits_build):
    records = _records(digits_build)
    garnet = {"name": "garnet", "class": "GarNet", "result_bits": 16, "outputs": 10, "shape": [10]}
    estimate = estimate_fpga(records[:-1] + [garnet, records[-1]], load_board("alveo-u50"), "io_parallel")
    assert estimate["verdict"] == "unchecked: layer garnet is not modelled" and not estimate["fits"]
    assert {"layer": "garnet", "reason": "GarNet: not modelled: the estimate cannot see what it costs"} in estimate["uncalibrated"]


def test_a_layer_kind_a_published_design_showed_misestimated_makes_the_verdict_unchecked(digits_build):
    records = _records(digits_build)
    separable = {"name": "sep", "class": "SeparableConv2D", "result_bits": 16, "outputs": 32, "shape": [4, 4, 2], "n_chan": 2,
                 "n_filt": 2, "filt_height": 3, "filt_width": 3, "in_height": 6, "in_width": 6, "weights": 22, "input_bits": 16}
    estimate = estimate_fpga([separable] + records[1:], load_board("alveo-u50"), "io_parallel")
    assert estimate["verdict"] == "unchecked: layer sep is not modelled" and not estimate["fits"]
    reason = next(item["reason"] for item in estimate["uncalibrated"] if item["layer"] == "sep")
    assert "19x the estimate" in reason and reason.endswith("not modelled: the estimate cannot see what it costs")


def test_the_digits_mlp_on_pynq_z2(digits_build):
    """examples/digits.yaml: 64-64-32-10, 8-bit weights and inputs, reuse factor 8 on the PYNQ-Z2."""
    estimate = json.loads((digits_build / "hls" / "artifact.json").read_text())["estimate"]
    assert estimate["multiplications"] == 64 * 64 + 64 * 32 + 32 * 10
    assert estimate["tool"] == "vivado" and estimate["device"] == "7-series (DSP48E1)"
    dsp = {layer["kind"]: 0 for layer in estimate["layers"]}
    for layer in estimate["layers"]:
        dsp[layer["kind"]] += layer["dsp"]
    assert dsp["dense"] == 0, "8-bit data and 8-bit constants: the products are LUTs"
    assert dsp["softmax"] == 10, "one exp x 1/sum product per class"
    assert estimate["resources"]["dsp"]["used"] == 10 and estimate["ii_cycles"] == 8, "II = the reuse factor"


def test_estimate_cli_prints_the_layers_the_ranges_and_the_verdict(digits_build):
    text = run_cli("estimate", digits_build / "hls", check=True).stdout
    assert "pynq-z2" in text and "Vivado HLS 2019.2 / 2020.1" in text and "verdict: " in text
    assert "dense0" in text and "LUT" in text and f"calibration: {calibration.shipped().summary['fit_rows']} published reports fitted, {calibration.shipped().summary['heldout_rows']} held out" in text
    vitis = json.loads(run_cli("estimate", digits_build / "hls", "--board", "kv260", "--hls-tool", "vitis", "--json",
                               check=True).stdout)
    assert vitis["board"] == "kv260" and vitis["tool"] == "vitis" and vitis["resources"]["uram"]["available"] == 64
    line = error_line(run_cli("estimate", digits_build / "tflite", "--board", "rpi-pico", "--hls-tool", "vitis"))
    assert "--hls-tool: expected an hls artifact, received a tflite artifact" in line


def test_estimate_needs_an_fpga_board():
    with pytest.raises(ConfigError, match="expected an FPGA board"):
        estimate_fpga([], load_board("rpi-pico"), "io_parallel")


def _records(digits_build) -> list[dict]:
    details = json.loads((digits_build / "hls" / "artifact.json").read_text())["hls"]
    return layers_from_hls_records(details["layers"], details)


def test_a_saturating_rounding_accumulator_costs_its_logic_and_chains_its_sums():
    """Berk-Bilgin/ML-fpga's encoder (Vivado HLS 2020.1, 10 ns): fixed<28,16,RND_ZERO,SAT> accumulators made a
    40-product Conv1D kernel round each product and saturate it and each partial sum (71k of its 120k LUT), and
    its sums chains 8 cycles deep: the estimate counts both, and nothing for the default TRN,WRAP modes."""
    record = {"name": "conv", "class": "Conv1D", "filt_width": 5, "n_chan": 8, "n_filt": 8, "in_width": 68, "out_width": 64,
              "n_partitions": 64, "reuse_factor": 1, "strategy": "latency", "input": "fixed<28,16>", "input_bits": 28,
              "result_bits": 28, "accum": "fixed<28,16>", "weight_type": "fixed<12,1>", "weights": 320, "nonzero_weights": 320,
              "outputs": 512}
    device = device_for("xcvu13p-flga2577-2-e")
    plain = layer_work(record, "io_stream", "vivado", device)
    saturating = layer_work(record | {"accum_modes": "RND_ZERO,SAT"}, "io_stream", "vivado", device)
    assert (plain.lut["rounding_bits"], plain.lut["saturation_bits"]) == (0, 0)
    # 320 products of 28 bits: one rounding each, two saturations each (the product has 17 integer bits, the sum 16)
    assert (saturating.lut["rounding_bits"], saturating.lut["saturation_bits"]) == (320 * 28, 2 * 320 * 28)
    assert plain.adder_levels == math.ceil(math.log2(41)) and saturating.adder_levels == 41 * SATURATING_ADD_LEVELS + 1
    wrapping = layer_work(record | {"accum_modes": "RND,WRAP", "accum": "fixed<40,17>"}, "io_stream", "vivado", device)
    assert wrapping.lut["rounding_bits"] == 0 and wrapping.adder_levels == plain.adder_levels, "a wide enough accumulator neither rounds nor saturates"
