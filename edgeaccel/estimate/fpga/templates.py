"""What hls4ml 1.3's templates (Vivado and Vitis backends, `nnet_utils`) instantiate for one layer,
counted from the per-layer records the hls target writes. Pure functions; no coefficients.

A layer becomes a `LayerWork`: its DSP slices and BRAM18 counted structurally, and the quantities
the calibrated LUT, FF and latency figures scale with (`calibration.py` turns them into figures):

- Dense, and the kernel of a Conv (`dense_latency`, also inside `compute_output_buffer_*` of
  io_stream convolutions): with the Latency strategy the weights are constants, so HLS drops a
  product by zero, turns a power of two into a shift and a two-digit constant (2^a +- 2^b) into
  a shift and an add. Vitis HLS 2023+ decomposes constants of up to two canonical signed digits;
  Vivado HLS only powers of two, and it builds products whose constant has at most three
  significant bits in LUTs. A remaining product uses one DSP (DSP48E1 25x18 on 7-series,
  DSP48E2 27x18 on UltraScale/+) when its data operand is wider than 9 bits, else LUTs. With a
  reuse factor R > 1 the `ALLOCATION` pragma caps the multiplications at ceil(products / R)
  instances: shared between constants, each is a generic data x weight multiplier (a DSP when both
  are wide enough) with an R:1 input multiplexer. An adder tree of accumulator width sums each
  output, unshared; the interval is the number of rounds the allowed multipliers need for the
  products left as `mul` operations (`multiplier_rounds`), R when no weight is zero or decomposed.
- An accumulator type with a rounding or saturation mode (`fixed<28,16,RND_ZERO,SAT>`) rounds each
  product cast to it (an adder) and saturates it and each partial sum (a compare and a select of its
  width); saturating sums cannot be reassociated, so an output's sum is a chain, not a tree.
- The Resource strategy (`dense_resource`) with R > 1 keeps ceil(products / R) generic multipliers,
  fed by R:1 multiplexers that the multipliers reading the same offsets share (`resource_mux_inputs`:
  about n_in inputs, 15.5k LUT for 400 at R = 40 in a published Zynq-7020 report), and the weights
  in a ROM of that many words times the weight width, R deep; with R = 1 the ROM index is constant and the weights are constants, as in the Latency strategy.
- A DSP product slower than the clock period (7-series at 5 ns, `Device.dsp_multiply_ns`) is a
  multi-cycle `mul` instance that registers its operands and product in fabric.
- io_stream convolutions and pooling keep (filter height - 1) lines of the input in shift registers
  (`ap_shift_reg`, registers in the published reports), the window in registers, and read one pixel
  per interval where the tool pipelines the pixel loop (`TOOLS`), else one per kernel latency.
- Tables (sigmoid, tanh, softmax's exp and 1/x) are ROMs of `table_size` words; every two
  lookups per cycle take one copy (dual-port BRAM18), and the function runs with II = its reuse factor.
- An io_parallel convolution computes out_pixels / n_partitions pixels per iteration of its partition
  loop, unrolled, sharing the kernel's ALLOCATION limit of multipliers (`conv_2d_latency_cl`).
- An io_parallel top is a DATAFLOW region when a convolution has more than one partition or a layer
  uses the Resource strategy (`pipeline_style`): every element of an array between two layers is then
  a two-deep FIFO (`channel_work`).
- LSTM and GRU run their time steps one after another (each needs the previous state): per step both
  kernels, then a chain of gate tables and products of two variables; II = the layer's latency.
- Every io_stream layer output is a FIFO `depth` deep (the pixels, hls4ml's stream pragma):
  in BRAM18 when deeper than the tool's SRL limit, else in LUT shift registers.
"""

import math
from dataclasses import dataclass, field

from edgeaccel.quantize.fixed import parse_precision

BRAM18_PORT_WIDTHS = ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1))
DSP_MIN_DATA_BITS = 10
# The adder levels one link of a saturating sum's chain takes: the add, then the overflow compare and select
# (Berk-Bilgin/ML-fpga's encoder at 10 ns on a VU13P: 41-term sums 8 cycles deep, 65-term sums about 15).
SATURATING_ADD_LEVELS = 2
# Per tool: the constants HLS decomposes into shifts and adds, the widths it multiplies in LUTs, and
# where a FIFO goes: Vitis HLS keeps it in SRLs up to depth 2 and 1024 bits (config_storage's
# defaults, UG1399); Vivado HLS did so up to depth 16 (a 16-deep FIFO in SRLs, a 36-deep one in a
# BRAM18 in the hls4ml-tutorial's committed pruned_cnn report).
# `pipelines_pixel_loop`: hls4ml's io_stream convolutions (`conv_1d/2d_buffer_cl`, 0.7 to 1.3) put
# `#pragma HLS PIPELINE II=reuse_factor` inside `if (strategy == latency)`, in the loop body. Vivado
# HLS applies it to the pixel loop (the published MNIST CNN: 1 cycle per pixel at reuse factor 1);
# Vitis HLS does not, and each pixel then takes the kernel's latency plus one cycle (the smart-pixel
# CNN: 2 and 3 cycles per pixel; the HAR Conv1D: 3).
# `channels_in_registers`, `rewinds_dataflow_loops`: an io_parallel DATAFLOW top (`channel_work`) under Vitis
# HLS keeps its two-deep channels in registers and runs a convolution's partition loop to its end before
# the next call (hftsoi/sparse: interval = latency + 1 at every parallelization factor); Vivado HLS keeps
# them in shift registers and overlaps calls (hftsoi/sparse's DeepSets: interval 16 for 16 partitions).
TOOLS = {
    "vivado": {"title": "Vivado HLS 2019.2 / 2020.1", "decomposed_digits": 1, "lut_constant_bits": 3,
               "fifo_srl_max_depth": 16, "fifo_srl_max_bits": None, "packed_streams": False, "clock_uncertainty": 0.125,
               "pipelines_pixel_loop": True, "channels_in_registers": False, "rewinds_dataflow_loops": True},
    "vitis": {"title": "Vitis HLS 2023.1 and later", "decomposed_digits": 2, "lut_constant_bits": 3,
              "fifo_srl_max_depth": 2, "fifo_srl_max_bits": 1024, "packed_streams": True, "clock_uncertainty": 0.27,
              "pipelines_pixel_loop": False, "channels_in_registers": True, "rewinds_dataflow_loops": False},
}
NOT_MODELLED = "not modelled: the estimate cannot see what it costs"
NOT_FITTED = "no published report among the rows the calibration was fitted on"
# The layer kinds some fitted published design has (tests/estimate/test_fpga_published.py checks it), except
# those a fitted design showed estimated far outside any calibrated range (`MISESTIMATED_KINDS`): the estimate
# cannot see what they cost, so a design with one is "unchecked".
CALIBRATED_KINDS = {"dense", "conv", "batchnorm", "relu", "softmax", "sigmoid", "pool", "global_pool", "padding",
                    "reshape", "linear", "merge", "clone", "resize"}
MISESTIMATED_KINDS = {"separable": "the one published design (calwilee/hls4ml-automated-testing: ParallelizationFactor 4, "
                                   "35- and 53-bit results, Vivado HLS 2020.1) built its products in 700k LUT, 19x the estimate"}


@dataclass
class LayerWork:
    name: str
    kind: str
    multiplications: int = 0
    multipliers: int = 0  # instances (DSP or LUT) left after zeros are dropped and shifts take constants' place
    mul_operations: int = 0  # the products left as `mul` operations, which hls4ml's ALLOCATION pragma limits
    dsp: int = 0
    bram18: int = 0
    lut: dict = field(default_factory=dict)
    ff: dict = field(default_factory=dict)
    iterations: int = 1
    loop_ii: int = 1
    adder_levels: int = 0
    multiplier: bool = False
    table_lookups: int = 0
    comparisons: int = 0
    pipelined: bool = True
    pixel_loop_pipelined: bool = True
    resource_kernel: bool = False
    step_stages: list = field(default_factory=list)  # a recurrent layer's chain per time step (`Stage`s)
    step_rounds: int = 1
    chained_adds: bool = False  # the sums are chains (saturating adds), not trees
    uncalibrated: str | None = None


def bram18_for(words: int, width: int) -> int:
    """BRAM18 blocks for a memory of `words` x `width` bits (the port width shrinks as the depth grows)."""
    if words <= 0 or width <= 0:
        return 0
    for depth, port in BRAM18_PORT_WIDTHS:
        if words <= depth:
            return math.ceil(width / port)
    return math.ceil(width / 1) * math.ceil(words / BRAM18_PORT_WIDTHS[-1][0])


def bits_of(type_text: str | None, default: int = 16) -> int:
    """The width of an hls4ml type text such as `fixed<16,6>`, `ufixed<6,0,RND,SAT>` or `int<8>`."""
    return parse_precision(type_text).width if type_text and "<" in type_text else default


def integer_bits_of(type_text: str | None, default: int = 6) -> int:
    """The integer bits (sign included) of an hls4ml type text: 6 of `fixed<16,6>`, all 8 of `int<8>`."""
    return parse_precision(type_text).integer if type_text and "<" in type_text else default


def layer_work(record: dict, io_type: str, tool: str, device) -> LayerWork:
    """The structural cost of one hls4ml layer record (see the module docstring)."""
    kind = kind_of(record)
    builder = _BUILDERS.get(kind)
    if builder is None:
        return LayerWork(record["name"], kind, uncalibrated=f"{record['class']}: {NOT_MODELLED}")
    work = builder(record, io_type, TOOLS[tool], device)
    if kind in MISESTIMATED_KINDS:
        work.uncalibrated = f"{record['class']}: {MISESTIMATED_KINDS[kind]}; {NOT_MODELLED}"
    if kind not in CALIBRATED_KINDS and work.uncalibrated is None:
        work.uncalibrated = f"{record['class']}: {NOT_FITTED}"
    return work


def kind_of(record: dict) -> str:
    cls = record["class"]
    if cls == "Dense":
        return "dense"
    if cls in ("Conv1D", "Conv2D", "Conv2DBatchnorm", "PointwiseConv1D", "PointwiseConv2D"):
        return "conv"
    if cls in ("DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"):
        return "separable"
    if cls in ("BatchNormalization", "ApplyAlpha"):
        return "batchnorm"
    if cls == "Softmax":
        return "softmax"
    if cls in ("Activation", "ParametrizedActivation", "HardActivation", "TernaryTanh", "PReLU"):
        activation = str(record.get("activation", "linear")).lower()
        if activation == "softmax":
            return "softmax"
        if activation in ("linear",):
            return "linear"
        if activation in ("relu", "leaky_relu", "thresholded_relu", "relu6", "hard_sigmoid", "hard_tanh", "binary_tanh", "ternary_tanh"):
            return "relu"
        return "sigmoid"
    if cls.startswith("GlobalPooling"):
        return "global_pool"
    if cls.startswith("Pooling"):
        return "pool"
    if cls.startswith("ZeroPadding"):
        return "padding"
    if cls in ("Reshape", "Transpose", "Repack"):
        return "reshape"
    if cls == "Clone":
        return "clone"
    if cls in ("Merge", "Concatenate", "Dot"):
        return "merge"
    if cls in ("LSTM", "GRU", "SimpleRNN"):
        return "recurrent"
    if cls in ("Input", "InputLayer"):
        return "input"
    if cls == "Resize":
        return "resize"
    return cls.lower()


def stream_positions(record: dict) -> int:
    """Pixels per inference of a layer's output stream (its FIFO depth in hls4ml's stream pragma)."""
    shape = record.get("shape") or [record["outputs"]]
    return max(1, math.prod(shape[:-1])) if len(shape) > 1 else 1


def fifo_work(record: dict, tool: str) -> LayerWork:
    """The FIFO carrying a layer's io_stream output to the next layer."""
    settings = TOOLS[tool]
    shape = record.get("shape") or [record["outputs"]]
    depth, channels, bits = stream_positions(record), shape[-1], record["result_bits"]
    fifos, width = (1, channels * bits) if settings["packed_streams"] else (channels, bits)
    in_srl = depth <= settings["fifo_srl_max_depth"] and (settings["fifo_srl_max_bits"] is None or depth * width <= settings["fifo_srl_max_bits"])
    work = LayerWork(f"{record['name']} FIFO", "fifo")
    work.lut = {"fifo_srl_bits": fifos * width * math.ceil(depth / 32) if in_srl else 0.0, "fifo_control": fifos}
    work.ff = {"fifo_control": fifos, "output_bits": fifos * width if in_srl else 0.0}
    work.bram18 = 0 if in_srl else fifos * bram18_for(depth, width)
    return work


def channel_work(record: dict, tool: str) -> LayerWork:
    """The channels an io_parallel DATAFLOW top (`pipeline_style`) puts between two layers: the output
    array is completely partitioned, so every element is a FIFO of its own, two deep: in registers
    under Vitis HLS (2 x bits + 4 FF each), in shift registers under Vivado HLS (a LUT per bit, 5 FF),
    as the published hftsoi/sparse reports show (1,584 such FIFOs in a 20x20x3 convolutional network
    under Vitis HLS, 3,685 in a DeepSets network under Vivado HLS). Each element also costs the
    processes on both sides their port logic: a ReLU process took 51 to 68 LUT per element there."""
    work = LayerWork(f"{record['name']} channels", "channels")
    elements, bits = int(record["outputs"]), record["result_bits"]
    registers = TOOLS[tool]["channels_in_registers"]
    work.lut = {"channel_count": elements, "channel_bits": 0.0 if registers else elements * bits}
    work.ff = {"channel_count": elements, "channel_bits": 2.0 * elements * bits if registers else 0.0}
    return work


# --- constant multiplications ------------------------------------------------------------------


def _histogram(record: dict, name: str) -> list[int]:
    return list(record.get(f"{name}_digits") or [])


def _constants(record: dict, name: str, data_bits: int, settings: dict) -> dict:
    """How a layer's constant operands map when each has its own multiplier (reuse factor 1).
    Constants of at most `decomposed_digits` signed digits become shifts and adds; the others stay
    multiplications (`mul` operations), on a DSP when the data operand and the constant are wide
    enough, else in LUTs (about one adder per extra signed digit)."""
    digits = _histogram(record, name)
    widths = list(record.get(f"{name}_significant_bits") or [])
    bits = bits_of(record.get(f"{name}_type"), 16)
    if not digits:
        count = int(record.get("weights", 0))
        nonzero = int(record.get("nonzero_weights", count))
        digits = [count - nonzero, 0, 0, nonzero]
    if not widths:
        widths = [digits[0]] + [0] * max(bits - 2, 0) + [sum(digits[1:])]
    at_least = lambda hist, k: sum(hist[k:])
    decomposed = settings["decomposed_digits"]
    nonzero = at_least(digits, 1)
    mean_width = sum(k * n for k, n in enumerate(widths)) / nonzero if nonzero else 0.0
    multiplications = at_least(digits, decomposed + 1)
    on_dsp = min(multiplications, at_least(widths, settings["lut_constant_bits"] + 1)) if data_bits >= DSP_MIN_DATA_BITS else 0
    adds_per_multiplication = sum((k - 1) * n for k, n in enumerate(digits) if k > decomposed) / max(multiplications, 1)
    decomposed_adds = sum((k - 1) * n for k, n in enumerate(digits) if 2 <= k <= decomposed)
    return {"count": sum(digits), "nonzero": nonzero, "multiplications": multiplications, "on_dsp": on_dsp,
            "mean_width": mean_width, "decomposed_bits": decomposed_adds * (data_bits + mean_width),
            "lut_product_bits": (decomposed_adds + (multiplications - on_dsp) * adds_per_multiplication) * (data_bits + mean_width),
            "constant_multipliers": at_least(digits, 2)}


def multiplier_limit(products: int, nonzero: int, rf: int) -> int:
    """The `mul` instances hls4ml's ALLOCATION pragma allows a kernel: ceil(products / R) - floor(zeros / R), at least one."""
    return max(1, math.ceil(products / rf) - (products - nonzero) // rf)


def multiplier_rounds(operations: int, products: int, nonzero: int, rf: int) -> int:
    """Cycles the `mul` operations of `dense_latency` (the products left after zeros are dropped and
    constants decomposed into shifts and adds) take on the multipliers its ALLOCATION pragma allows,
    ceil(products / R) - floor(zeros / R): ceil(operations / limit), at least one. This, not the
    PIPELINE II = R the template asks for, is the interval the published reports show: hls4ml 0.4's
    jet tagger at reuse factors 64, 128 and 256 reported II 62, 123 and 246 (ceil(984 / 16),
    ceil(984 / 8), ceil(984 / 4) with 40 zero weights), an MNIST CNN at reuse factor 16 took 13
    cycles per pixel (12 rounds), and a 6-bit convolution at reuse factor 128 whose 18 constants all
    became shifts and adds took 2 cycles per partition (Vitis HLS 2024.1), not 14 rounds."""
    return max(1, math.ceil(operations / multiplier_limit(products, nonzero, rf)))


def accumulator_modes(record: dict, constants_name: str, accum_bits: int) -> tuple[bool, int]:
    """What an accumulator type with a rounding or saturation mode (`accum_modes`, as in
    `fixed<28,16,RND_ZERO,SAT>`) adds to each product: whether its cast to the accumulator rounds (an
    adder: the product has more fractional bits), and how many saturations (comparisons and selects)
    it takes: one for its partial sum, one more for the cast where the product has more integer bits.
    Berk-Bilgin/ML-fpga's encoder (Vivado HLS 2020.1) spent 71k of a Conv1D's 120k LUT on 639
    saturations of its 320 products."""
    modes = str(record.get("accum_modes", "TRN,WRAP")).split(",")
    data, weight, accum = record.get("input"), record.get(f"{constants_name}_type"), record.get("accum")
    integer = integer_bits_of(data) + integer_bits_of(weight)
    fraction = bits_of(data) - integer_bits_of(data) + bits_of(weight) - integer_bits_of(weight)
    rounds = modes[0] != "TRN" and fraction > accum_bits - integer_bits_of(accum)
    return rounds, (1 + (integer > integer_bits_of(accum))) if modes[-1] != "WRAP" else 0


def _quantization_bits(operations: int, accum_bits: int, rounds: bool, saturations: int) -> dict:
    return {"rounding_bits": operations * accum_bits if rounds else 0, "saturation_bits": saturations * operations * accum_bits}


def resource_mux_inputs(n_in: int, rf: int) -> int:
    """The inputs of the multiplexers that feed `dense_resource`'s multipliers: in iteration ir a
    multiplier reads data[ir + k R], so the ceil(n_in / R) distinct offsets k each need an R:1
    multiplexer (one n_in:1 when R >= n_in), shared by every multiplier with that offset: about n_in
    inputs, however many multipliers. Published Vivado HLS reports agree at 2.3 to 2.5 LUT per input
    bit: PYNQ_IA's 400-input dense at R 40 (100 multipliers, 15.5k LUT), PokerML's 784-input ones at
    R 784 (13 multipliers, 28.5k LUT) and R 392 (8, 30.7k)."""
    return math.ceil(n_in / rf) * min(rf, n_in)


def _product_kernel(name: str, kind: str, n_in: int, n_out: int, record: dict, constants_name: str,
                    io_type: str, settings: dict, device) -> LayerWork:
    """One evaluation of `dense_latency` / `dense_resource` on n_in x n_out weights."""
    rf = max(1, int(record.get("reuse_factor", 1)))
    strategy = str(record.get("strategy", "latency")).lower()
    data_bits = int(record.get("input_bits", 16))
    weight_bits = bits_of(record.get(f"{constants_name}_type"), 16)
    accum_bits = bits_of(record.get("accum"), record["result_bits"])
    products = n_in * n_out
    constants = _constants(record, constants_name, data_bits, settings)
    nonzero = constants["nonzero"] if constants["count"] else products
    terms_per_output = nonzero / max(n_out, 1) + 1
    operations = constants["multiplications"] if constants["count"] else products
    rounds, saturations = accumulator_modes(record, constants_name, accum_bits)
    tree_levels = math.ceil(math.log2(max(terms_per_output, 2)))
    work = LayerWork(name, kind, multiplications=products, mul_operations=operations,
                     loop_ii=multiplier_rounds(operations, products, nonzero, rf), adder_levels=tree_levels + rounds)
    dsp_per = device.dsps_per_product(data_bits, int(constants["mean_width"]) + 1 if constants["count"] else weight_bits)
    if strategy == "resource" and rf > 1:
        multipliers = math.ceil(products / rf)
        work.multipliers = multipliers
        wide = data_bits >= DSP_MIN_DATA_BITS and weight_bits > settings["lut_constant_bits"] + 1
        work.dsp = multipliers * device.dsps_per_product(data_bits, weight_bits) if wide else 0
        work.bram18 = bram18_for(rf, multipliers * weight_bits) if rf > 1 else 0
        work.lut = {"resource_adder_bits": multipliers * accum_bits,
                    "generic_product_bits": 0 if wide else multipliers * data_bits * weight_bits,
                    "resource_mux_bits": resource_mux_inputs(n_in, rf) * data_bits,
                    **_quantization_bits(multipliers, accum_bits, rounds, saturations)}
        work.ff = {"resource_register_bits": multipliers * (accum_bits + data_bits), "output_bits": n_out * accum_bits,
                   "dsp_product_bits": 2 * (data_bits + weight_bits) * multipliers if wide else 0}
        work.multiplier = True
        work.loop_ii, work.resource_kernel = rf, True
        work.adder_levels += SATURATING_ADD_LEVELS if saturations else 0
        return work
    if saturations:
        # a saturating sum cannot be reassociated into a tree: its terms are a chain of saturating adds
        work.adder_levels = math.ceil(terms_per_output) * SATURATING_ADD_LEVELS + rounds
        work.chained_adds = True
    work.lut = {"adder_bits": nonzero * accum_bits, "mux_bits": products * (data_bits + weight_bits) if rf > 1 else 0,
                **_quantization_bits(nonzero, accum_bits, rounds, saturations)}
    if rf == 1:
        work.multipliers = operations
        work.dsp = constants["on_dsp"] * dsp_per
        work.lut["lut_product_bits"] = constants["lut_product_bits"]
        dsp_products = constants["on_dsp"]
    else:
        shared = min(operations, math.ceil(products / rf))
        work.multipliers = shared
        wide = data_bits >= DSP_MIN_DATA_BITS and weight_bits > settings["lut_constant_bits"] + 1
        work.dsp = shared * device.dsps_per_product(data_bits, weight_bits) if wide else 0
        work.lut["generic_product_bits"] = 0 if wide else shared * data_bits * weight_bits
        work.lut["lut_product_bits"] = constants["decomposed_bits"]
        dsp_products = shared if wide else 0
    # a multiplier's delay only where a `mul` is left; constants decomposed into shifts and adds cost an adder level
    work.multiplier = work.multipliers > 0
    if not work.multiplier and constants["constant_multipliers"]:
        work.adder_levels += 1
    work.ff = {"adder_bits": nonzero * accum_bits, "held_product_bits": products * accum_bits * (1 - 1 / rf),
               "output_bits": n_out * record["result_bits"], "dsp_product_bits": 2 * (data_bits + weight_bits) * dsp_products}
    return work


# --- the layer templates -----------------------------------------------------------------------


def _dense(record, io_type, settings, device):
    work = _product_kernel(record["name"], "dense", int(record["n_in"]), int(record["n_out"]), record, "weight", io_type,
                           settings, device)
    if io_type == "io_stream":
        _streamed(work, math.ceil(int(record["n_in"]) / max(int(record.get("input_channels", record["n_in"])), 1)))
        # nnet_dense_stream.h's `dense` reads the whole input into a completely partitioned array first
        work.ff["window_bits"] = int(record["n_in"]) * int(record.get("input_bits", 16))
    return work


def _conv(record, io_type, settings, device):
    filt_h, filt_w = int(record.get("filt_height", 1)), int(record.get("filt_width", 1))
    chans, filters = int(record["n_chan"]), int(record["n_filt"])
    in_h, in_w = int(record.get("in_height", 1)), int(record["in_width"])
    out_pixels = int(record.get("out_height", 1)) * int(record["out_width"])
    data_bits = int(record.get("input_bits", 16))
    kernel = _product_kernel(record["name"], "conv", filt_h * filt_w * chans, filters, record, "weight", io_type, settings, device)
    window_bits = filt_h * filt_w * chans * data_bits
    if io_type == "io_stream":
        kernel.iterations = in_h * in_w
        kernel.pixel_loop_pipelined = settings["pipelines_pixel_loop"] and not kernel.resource_kernel
        kernel.multiplications *= out_pixels
        kernel.lut |= {"shift_register_bits": (filt_h - 1) * chans * in_w * data_bits / 32, "stream_control": 1}
        kernel.ff |= {"window_bits": window_bits, "stream_control": 1, "line_buffer_bits": (filt_h - 1) * chans * in_w * data_bits}
        return kernel
    # conv_1d/2d_latency_cl: each of the n_partitions iterations computes out_pixels / n_partitions pixels,
    # unrolled, under one ALLOCATION limit of the kernel's multiplier_limit mul instances, which the
    # pixels share: the iteration takes as many rounds as they need (hftsoi/sparse's parallelization-factor
    # sweep: DSPs stop at the limit, 52, and the interval grows past it)
    partitions = int(record.get("n_partitions", out_pixels))
    pixels = max(1, out_pixels // max(partitions, 1))
    products = filt_h * filt_w * chans * filters
    rf = max(1, int(record.get("reuse_factor", 1)))
    limit = multiplier_limit(products, kernel_nonzero(record, products), rf)
    wanted = pixels * max(kernel.multipliers, 1)
    shared = min(1.0, limit / wanted) if kernel.multipliers else 1.0
    for terms in (kernel.lut, kernel.ff):
        for key in terms:
            terms[key] *= pixels * (shared if key in ("lut_product_bits", "generic_product_bits", "dsp_product_bits") else 1)
    kernel.dsp = round(kernel.dsp * pixels * shared)
    kernel.multipliers = min(pixels * kernel.multipliers, limit)
    kernel.loop_ii = max(kernel.loop_ii, math.ceil(pixels * kernel.mul_operations / limit) if kernel.mul_operations else 1)
    kernel.multiplications *= out_pixels
    kernel.iterations = partitions
    kernel.ff["window_bits"] = pixels * window_bits
    return kernel


def kernel_nonzero(record: dict, products: int) -> int:
    """Non-zero weights of a layer's kernel, from its canonical-signed-digit histogram or its weight counts."""
    digits = _histogram(record, "weight")
    return sum(digits[1:]) if digits else int(record.get("nonzero_weights", products))


def _separable(record, io_type, settings, device):
    """Depthwise (one filt_h x filt_w product per channel, no sum across channels) then, for a
    separable convolution, a pointwise 1x1 convolution over the channels."""
    filt = int(record.get("filt_height", 1)) * int(record["filt_width"])
    chans = int(record["n_chan"])
    depthwise = _product_kernel(record["name"], "separable", filt, chans, record | {"n_in": filt},
                                "depthwise" if record.get("depthwise_digits") else "weight", io_type, settings, device)
    depthwise.adder_levels = math.ceil(math.log2(max(filt, 2)))
    if record.get("pointwise_digits"):
        pointwise = _product_kernel(record["name"], "separable", chans, int(record["n_filt"]), record, "pointwise",
                                    io_type, settings, device)
        depthwise.dsp += pointwise.dsp
        depthwise.multipliers += pointwise.multipliers
        depthwise.multiplications += pointwise.multiplications
        depthwise.lut, depthwise.ff = _summed(depthwise.lut, pointwise.lut), _summed(depthwise.ff, pointwise.ff)
        depthwise.adder_levels += pointwise.adder_levels
    positions = int(record.get("in_height", 1)) * int(record.get("in_width", 1))
    depthwise.multiplications *= stream_positions(record)
    if io_type == "io_stream":
        depthwise.iterations = positions
        depthwise.lut["shift_register_bits"] = (int(record.get("filt_height", 1)) - 1) * chans * int(record.get("in_width", 1)) * int(record.get("input_bits", 16)) / 32
        depthwise.lut["stream_control"] = depthwise.ff["stream_control"] = 1
    else:
        depthwise.iterations = int(record.get("n_partitions", 1))
    return depthwise


def _batchnorm(record, io_type, settings, device):
    per_pixel = record["shape"][-1] if io_type == "io_stream" else record["outputs"]
    scale = record | {"n_in": per_pixel, "n_out": per_pixel}
    data_bits = int(record.get("input_bits", 16))
    constants = _constants(scale, "scale", data_bits, settings)
    scale_count = max(constants["count"], 1)
    ratio = per_pixel / scale_count
    work = LayerWork(record["name"], "batchnorm", multiplications=record["outputs"], multiplier=constants["constant_multipliers"] > 0,
                     adder_levels=1)
    multipliers = min(round(constants["on_dsp"] * ratio), math.ceil(per_pixel / max(1, int(record.get("reuse_factor", 1)))))
    work.dsp = multipliers * device.dsps_per_product(data_bits, int(constants["mean_width"]) + 1)
    work.multipliers = round(constants["multiplications"] * ratio)
    result_bits = record["result_bits"]
    work.lut = {"adder_bits": per_pixel * result_bits, "lut_product_bits": constants["lut_product_bits"] * ratio}
    work.ff = {"output_bits": per_pixel * result_bits}
    if io_type == "io_stream":
        _streamed(work, stream_positions(record))
    return work


def _elementwise(kind):
    def build(record, io_type, settings, device):
        per_pixel = record["shape"][-1] if io_type == "io_stream" and record.get("shape") else record["outputs"]
        in_bits = int(record.get("input_bits", record["result_bits"]))
        work = LayerWork(record["name"], kind, comparisons=1 if kind == "relu" else 0, pipelined=io_type == "io_stream")
        work.lut = {"compare_bits": per_pixel * in_bits if kind == "relu" else 0.0}
        if io_type == "io_stream":
            _streamed(work, stream_positions(record))
            work.ff["output_bits"] = per_pixel * record["result_bits"]
        return work
    return build


def _table(record, io_type, settings, device):
    """sigmoid, tanh and the other table activations: one ROM lookup per value."""
    per_pixel = record["shape"][-1] if io_type == "io_stream" and record.get("shape") else record["outputs"]
    table_size = int(record.get("table_size", 1024))
    table_bits = bits_of(record.get("table"), 18)
    work = LayerWork(record["name"], "sigmoid", table_lookups=1)
    work.bram18 = _table_copies(per_pixel, record) * bram18_for(table_size, table_bits)
    work.lut = {"compare_bits": per_pixel * int(record.get("input_bits", 16))}
    work.ff = {"output_bits": per_pixel * record["result_bits"]}
    if io_type == "io_stream":
        _streamed(work, stream_positions(record))
    return work


def _streamed(work: LayerWork, iterations: int) -> None:
    """An io_stream layer: `iterations` passes over its stream, and the stream's handshake logic."""
    work.iterations = iterations
    work.lut["stream_control"] = work.ff["stream_control"] = 1


def _softmax(record, io_type, settings, device):
    """`softmax_stable` (default) and `softmax_latency`: exp of every input by table lookup (a table copy
    per two lookups), their sum, one 1/x lookup, one product per output; `argmax`: a compare tree."""
    n = record["shape"][-1] if record.get("shape") else record["outputs"]
    in_bits = int(record.get("input_bits", 16))
    implementation = str(record.get("implementation", "stable")).lower()
    work = LayerWork(record["name"], "softmax")
    if implementation == "argmax":
        work.lut = {"compare_bits": n * in_bits}
        work.comparisons = math.ceil(math.log2(max(n, 2)))
    else:
        table_size = int(record.get("table_size", 1024))
        exp_bits, inv_bits = bits_of(record.get("exp_table"), 18), bits_of(record.get("inv_table"), 18)
        work.bram18 = _table_copies(n, record) * bram18_for(table_size, exp_bits) + bram18_for(table_size, inv_bits)
        work.dsp = n * device.dsps_per_product(exp_bits, inv_bits)
        work.multiplier = True
        work.table_lookups = 2
        work.adder_levels = math.ceil(math.log2(max(n, 2)))
        work.comparisons = work.adder_levels if implementation == "stable" else 0
        work.lut = {"compare_bits": n * in_bits * (2 if implementation == "stable" else 1), "adder_bits": n * exp_bits}
        work.ff = {"output_bits": n * record["result_bits"], "adder_bits": n * exp_bits}
    if io_type == "io_stream":
        _streamed(work, stream_positions(record))
    return work


def _table_copies(lookups: int, record: dict) -> int:
    """Copies of a lookup table: the function is pipelined with II = its reuse factor, and a
    dual-port BRAM serves two lookups per cycle."""
    return math.ceil(lookups / (2 * max(1, int(record.get("reuse_factor", 1)))))


def _pool(record, io_type, settings, device):
    pool = int(record.get("pool_height", 1)) * int(record.get("pool_width", 1))
    chans = int(record.get("n_filt", record["shape"][-1]))
    bits = int(record.get("input_bits", record["result_bits"]))
    average = "av" in str(record.get("pool_op", "max")).lower()
    work = LayerWork(record["name"], "pool", comparisons=math.ceil(math.log2(max(pool, 2))))
    if io_type == "io_stream":
        in_w = int(record.get("in_width", 1))
        work.iterations = int(record.get("in_height", 1)) * in_w
        work.lut = {"compare_bits": chans * (pool - 1) * bits, "stream_control": 1,
                    "shift_register_bits": (int(record.get("pool_height", 1)) - 1) * chans * in_w * bits / 32}
        work.ff = {"window_bits": chans * pool * bits, "stream_control": 1, "output_bits": chans * record["result_bits"],
                   "line_buffer_bits": (int(record.get("pool_height", 1)) - 1) * chans * in_w * bits}
    else:
        work.lut = {"compare_bits": record["outputs"] * (pool - 1) * bits}
        work.ff = {"output_bits": record["outputs"] * record["result_bits"]}
    if average:
        work.adder_levels, work.comparisons = work.comparisons, 0
    return work


def _global_pool(record, io_type, settings, device):
    chans = record["shape"][-1] if record.get("shape") else record["outputs"]
    bits = int(record.get("input_bits", record["result_bits"]))
    positions = int(record.get("in_height", 1)) * int(record.get("in_width", 1))
    work = LayerWork(record["name"], "global_pool", comparisons=1)
    work.lut = {"compare_bits": chans * bits * (1 if io_type == "io_stream" else max(positions - 1, 1))}
    work.ff = {"output_bits": chans * bits}
    if io_type == "io_stream":
        _streamed(work, positions)
    return work


def _passthrough(kind):
    def build(record, io_type, settings, device):
        work = LayerWork(record["name"], kind, pipelined=io_type == "io_stream" and kind != "reshape")
        if io_type == "io_stream" and kind != "reshape":
            work.iterations = stream_positions(record)
            work.lut = {"stream_control": 1}
            work.ff = {"stream_control": 1}
        return work
    return build


def _merge(record, io_type, settings, device):
    per_pixel = record["shape"][-1] if io_type == "io_stream" and record.get("shape") else record["outputs"]
    work = LayerWork(record["name"], "merge", adder_levels=1)
    work.lut = {"adder_bits": per_pixel * record["result_bits"]}
    work.ff = {"output_bits": per_pixel * record["result_bits"]}
    if io_type == "io_stream":
        _streamed(work, stream_positions(record))
    return work


@dataclass(frozen=True)
class Stage:
    """One link of a recurrent step's dependency chain: what its critical path goes through, and whether
    it is a function of its own (the kernels, the activations), which the step's state machine calls:
    its latency plus one cycle (Vivado HLS reports of the top-tagging GRU: dense 3, sigmoid 2, tanh 2
    cycles inside a 16-cycle step called every 17 cycles)."""
    multiplier: bool = False
    adder_levels: int = 0
    table_lookups: int = 0
    called: bool = False


# After the kernels' sum, per template: GRU: sigmoid(z, r); r * (U_h h) + W_h x; tanh; (1 - z) h~ + z h.
# LSTM: sigmoid(i, f, o) beside tanh(c~); c~ i + c f; tanh(c); o * tanh(c). SimpleRNN: its activation.
_TABLE = Stage(table_lookups=1, called=True)
STEP_CHAINS = {
    "gru": (_TABLE, Stage(multiplier=True, adder_levels=1), _TABLE, Stage(multiplier=True, adder_levels=2)),
    "lstm": (_TABLE, Stage(multiplier=True, adder_levels=1), _TABLE, Stage(multiplier=True)),
    "simple": (_TABLE,),
}
GATE_PRODUCTS = {"gru": 3, "lstm": 3, "simple": 0}


def _recurrent(record, io_type, settings, device):
    """LSTM and GRU (`lstm_stack`/`gru_stack` of nnet_recurrent.h): a loop over the time steps that is
    neither pipelined nor unrolled, since each step needs the previous step's state. A step runs the
    input kernel (n_in x gates * state) and the recurrent kernel (state x gates * state) side by side,
    then a chain (`STEP_CHAINS`) of table activations and element-wise products of two variables (DSPs):
    the layer takes steps x (the chain's depth + the step's call), and the next inference waits for it
    (II = latency).
    Each activation's table gets a copy per two values looked up at once; the LSTM's two tanh calls
    share one table when the state and the result have the same type (one template instantiation)."""
    state = int(record.get("n_out", record["shape"][-1]))
    n_in = int(record.get("n_in", state))
    gates = max(1, int(record.get("weights", n_in * state)) // max(n_in * state, 1))
    kind = "lstm" if record["class"] == "LSTM" else "gru" if record["class"] == "GRU" else "simple"
    work = _product_kernel(record["name"], "recurrent", n_in, gates * state, record, "weight", io_type, settings, device)
    recurrent = _product_kernel(record["name"], "recurrent", state, gates * state, record, "recurrent_weight", io_type,
                                settings, device)
    steps = int(record.get("n_timesteps", 1))
    work.dsp += recurrent.dsp
    work.multipliers += recurrent.multipliers
    work.lut, work.ff = _summed(work.lut, recurrent.lut), _summed(work.ff, recurrent.ff)
    work.multiplications = (work.multiplications + recurrent.multiplications) * steps
    kernel_levels = max(work.adder_levels, recurrent.adder_levels) + 1
    work.step_stages = [Stage(multiplier=True, adder_levels=kernel_levels, called=True)] + list(STEP_CHAINS[kind])
    work.step_rounds = max(work.loop_ii, recurrent.loop_ii)
    work.iterations, work.loop_ii = steps, 1
    accum_bits = bits_of(record.get("accum"), record["result_bits"])
    gate_products = GATE_PRODUCTS[kind] * state
    if accum_bits >= DSP_MIN_DATA_BITS:
        work.dsp += gate_products * device.dsps_per_product(accum_bits, accum_bits)
    else:
        work.lut["generic_product_bits"] = work.lut.get("generic_product_bits", 0.0) + gate_products * accum_bits * accum_bits
    table = bram18_for(int(record.get("table_size", 1024)), bits_of(record.get("table"), 18))
    shared_tanh = record.get("accum") in (None, record.get("result"))
    lookups = {"lstm": (3 * state, state) + (() if shared_tanh else (state,)), "gru": (2 * state, state),
               "simple": (state,)}[kind]
    work.bram18 += sum(_table_copies(n, record) * table for n in lookups)
    work.table_lookups = 1
    return work


def _summed(a: dict, b: dict) -> dict:
    return {key: a.get(key, 0.0) + b.get(key, 0.0) for key in a.keys() | b.keys()}


_BUILDERS = {"dense": _dense, "conv": _conv, "separable": _separable, "batchnorm": _batchnorm,
             "relu": _elementwise("relu"), "linear": _passthrough("linear"), "sigmoid": _table, "softmax": _softmax,
             "pool": _pool, "global_pool": _global_pool, "padding": _passthrough("padding"), "reshape": _passthrough("reshape"),
             "clone": _passthrough("clone"),
             "merge": _merge, "recurrent": _recurrent, "input": _passthrough("input"), "resize": _passthrough("resize")}
