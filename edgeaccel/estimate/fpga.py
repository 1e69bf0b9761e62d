"""An analytical FPGA resource and latency estimate for an hls4ml design, per layer and in total.

It reads the per-layer records the hls target writes into `artifact.json` (operand widths,
multiplications, weights, reuse factor, strategy) and needs no vendor tool. Its assumptions,
which follow how Vivado/Vitis HLS implement hls4ml's templates:

- Multipliers: a Dense or Conv layer instantiates ceil(products per output position / reuse
  factor) multipliers. With the Latency strategy the weights are constants, so products by a zero
  weight are removed and only non-zero weights count.
- DSP or LUT: a product maps to LUTs when its narrower operand has fewer than 10 bits (HLS builds
  narrow products from LUTs); otherwise it takes ceil(a/25) x ceil(b/18) DSP slices (one DSP48 for
  up to 25x18 bits). A LUT product by a constant weight (Latency strategy) is a shift-and-add of
  about b/3 non-zero digits: a x ceil(b/3) LUTs; by a weight read from memory, ceil(a*b/2) LUTs.
- Every multiplier feeds the adder tree at the accumulator width: half a LUT per bit (carry chains
  pack two bits per LUT) and one FF per bit for the tree's pipeline registers.
- Weights: with the Resource strategy they live in BRAM18 (36 bits wide, 512 deep): width =
  ceil(weights / reuse factor) x weight bits, depth = reuse factor. With the Latency strategy they
  are constants in the logic and take no BRAM.
- io_stream: a KxK convolution keeps K-1 input lines; a line buffer above 1 kbit takes BRAM18.
- Activations: ReLU and clipping cost one LUT per output bit; tanh, sigmoid and softmax lookup
  tables take one BRAM18 per table per two parallel lookups, capped at one table per output.
- Latency: a Dense layer takes reuse factor + ceil(log2(inputs)) + 2 cycles; an io_parallel Conv
  repeats that per output position; io_stream layers take one pass per input pixel. Layers run one
  after another (latency is the sum); the design initiation interval (II) is the slowest layer's.

The figures are planning estimates, typically within a factor of about 1.5 of post-synthesis
reports; the vendor flow (`make bitstream`) has the final word.
"""

import math
from dataclasses import asdict, dataclass

from edgeaccel.boards import Board
from edgeaccel.errors import ConfigError

DSP_THRESHOLD_BITS = 10
BRAM18_WIDTH, BRAM18_DEPTH, BRAM18_BITS = 36, 512, 18 * 1024
RESOURCES = ("lut", "ff", "bram18", "dsp", "uram")


@dataclass(frozen=True)
class LayerCost:
    name: str
    kind: str
    multiplications: int
    multipliers: int
    dsp: int
    lut: int
    ff: int
    bram18: int
    latency_cycles: int
    ii_cycles: int


def estimate_fpga(layers: list[dict], board: Board, io_type: str) -> dict:
    """Per-layer and total resources and latency, against the board's budget."""
    if board.kind != "fpga":
        raise ConfigError(f"--board: expected an FPGA board for an hls artifact, received {board.name!r} (kind {board.kind})")
    costs = [_layer_cost(layer, io_type) for layer in layers]
    totals = {r: sum(getattr(c, r) for c in costs) for r in ("lut", "ff", "bram18", "dsp")}
    totals["uram"] = 0
    budget = board.fpga.resources.model_dump()
    usage = {r: {"used": totals[r], "available": budget[r],
                 "percent": round(100.0 * totals[r] / budget[r], 1) if budget[r] else (0.0 if totals[r] == 0 else math.inf)}
             for r in RESOURCES}
    over = [r for r in RESOURCES if totals[r] > budget[r]]
    latency = sum(c.latency_cycles for c in costs)
    ii = max((c.ii_cycles for c in costs), default=1)
    clock = board.fpga.clock_mhz
    return {
        "board": board.name,
        "part": board.fpga.part,
        "clock_mhz": clock,
        "io_type": io_type,
        "layers": [asdict(c) for c in costs],
        "multiplications": sum(c.multiplications for c in costs),
        "resources": usage,
        "latency_cycles": latency,
        "ii_cycles": ii,
        "latency_us": round(latency / clock, 3),
        "throughput_per_s": round(clock * 1e6 / ii, 1),
        "fits": not over,
        "over_budget": over,
        "verdict": "fits" if not over else "does not fit: " + ", ".join(f"{r.upper()} {usage[r]['percent']}%" for r in over),
    }


def _layer_cost(layer: dict, io_type: str) -> LayerCost:
    kind = layer["kind"]
    rf = int(layer.get("reuse_factor", 1))
    outputs = int(layer.get("outputs", 0))
    result_bits = int(layer.get("result_bits", 16))
    if kind in ("dense", "conv1d", "conv2d", "batchnorm"):
        return _multiplying_layer(layer, io_type, rf)
    positions = int(layer.get("positions", 1))
    if kind in ("tanh", "sigmoid", "softmax"):
        tables = 2 if kind == "softmax" else 1
        parallel = outputs if io_type == "io_parallel" else max(1, outputs // max(positions, 1))
        bram = tables * min(math.ceil(parallel / 2), outputs)
        cycles = 3 if io_type == "io_parallel" else positions
        return LayerCost(layer["name"], kind, 0, 0, 0, parallel * result_bits, parallel * result_bits, bram, cycles + 2, max(1, cycles if io_type == "io_stream" else 1))
    if kind in ("relu", "linear", "add", "pool", "flatten", "quantizer"):
        window = int(layer.get("pool_size", 1))
        lut = outputs * result_bits * max(1, window - 1) if kind in ("pool", "add") else outputs * result_bits
        lut = 0 if kind in ("flatten", "linear") else lut
        cycles = 1 if io_type == "io_parallel" else positions
        return LayerCost(layer["name"], kind, 0, 0, 0, lut, outputs * result_bits if lut else 0, 0, cycles, max(1, cycles if io_type == "io_stream" else 1))
    return LayerCost(layer["name"], kind, 0, 0, 0, 0, 0, 0, 1, 1)


def _multiplying_layer(layer: dict, io_type: str, rf: int) -> LayerCost:
    per_position = int(layer["products_per_position"])
    positions = int(layer.get("positions", 1))
    strategy = layer.get("strategy", "latency").lower()
    nonzero_fraction = layer.get("nonzero_weights", layer.get("weights", 1)) / max(layer.get("weights", 1), 1)
    active = per_position * (nonzero_fraction if strategy == "latency" else 1.0)
    multipliers = math.ceil(active / rf)
    a, b = int(layer["input_bits"]), int(layer["weight_bits"])
    accum = int(layer.get("accum_bits", a + b + math.ceil(math.log2(max(per_position, 2)))))
    if min(a, b) < DSP_THRESHOLD_BITS:
        dsp, lut_mult = 0, (a * math.ceil(b / 3) if strategy == "latency" else math.ceil(a * b / 2))
    else:
        dsp, lut_mult = math.ceil(a / 25) * math.ceil(b / 18), 0
    lut = multipliers * (lut_mult + math.ceil(accum / 2))
    ff = multipliers * accum + int(layer.get("outputs", 0)) * int(layer.get("result_bits", 16)) // max(positions, 1)
    bram = 0
    if strategy == "resource" and layer.get("weights"):
        width = math.ceil(layer["weights"] / rf) * b
        bram = math.ceil(width / BRAM18_WIDTH) * math.ceil(rf / BRAM18_DEPTH)
    if io_type == "io_stream" and layer["kind"] in ("conv1d", "conv2d"):
        line_bits = int(layer.get("line_buffer_bits", 0))
        bram += math.ceil(line_bits / BRAM18_BITS) if line_bits > 1024 else 0
    depth = math.ceil(math.log2(max(per_position, 2))) + 2
    passes = positions if (io_type == "io_stream" or layer["kind"] != "dense") else 1
    if io_type == "io_stream" and layer["kind"] in ("conv1d", "conv2d"):
        passes = int(layer.get("input_positions", positions))
    cycles = passes * rf + depth
    return LayerCost(layer["name"], layer["kind"], per_position * positions, multipliers, dsp * multipliers, lut, ff, bram, cycles, passes * rf)


def layers_from_hls_records(records: list[dict], options: dict) -> list[dict]:
    """The estimate's layer descriptions from the per-layer records of an hls artifact."""
    layers = []
    for record in records:
        cls = record["class"]
        base = {"name": record["name"], "outputs": record["outputs"], "result_bits": record["result_bits"],
                "reuse_factor": int(record.get("reuse_factor", options.get("reuse_factor", 1))),
                "strategy": str(record.get("strategy", options.get("strategy", "latency"))).lower()}
        if cls in ("Dense", "Conv1D", "Conv2D") and "weight_type" in record:
            base |= {"input_bits": record.get("input_bits", 16), "weight_bits": _bits(record["weight_type"]),
                     "accum_bits": _bits(record.get("accum", "fixed<32,16>")),
                     "weights": record.get("weights", 0), "nonzero_weights": record.get("nonzero_weights", 0)}
            if cls == "Dense":
                base |= {"kind": "dense", "products_per_position": record["n_in"] * record["n_out"], "positions": 1}
            else:
                height, out_height, in_height = (record.get("filt_height", 1), record.get("out_height", 1),
                                                 record.get("in_height", 1)) if cls == "Conv2D" else (1, 1, 1)
                per_position = height * record["filt_width"] * record["n_chan"] * record["n_filt"]
                base |= {"kind": cls.lower(), "products_per_position": per_position,
                         "positions": out_height * record["out_width"],
                         "input_positions": in_height * record["in_width"],
                         "line_buffer_bits": max(height - 1, 0) * record["in_width"] * record["n_chan"] * record.get("input_bits", 16)}
        elif cls == "BatchNormalization":
            base |= {"kind": "batchnorm", "products_per_position": record["outputs"], "positions": 1,
                     "input_bits": record.get("input_bits", 16), "weight_bits": _bits(record.get("scale_type", "fixed<16,6>")),
                     "weights": record["outputs"], "nonzero_weights": record["outputs"]}
        elif cls == "Softmax":
            base["kind"] = "softmax"
        elif cls in ("Activation", "ParametrizedActivation", "HardActivation", "TernaryTanh"):
            activation = str(record.get("activation", "linear")).lower()
            base["kind"] = "tanh" if "tanh" in activation else "sigmoid" if "sigmoid" in activation else \
                "softmax" if activation == "softmax" else "linear" if activation == "linear" else "relu"
        elif cls.startswith("Pooling") or cls.startswith("GlobalPooling"):
            base |= {"kind": "pool", "pool_size": record.get("pool_height", 1) * record.get("pool_width", 1)}
        elif cls == "Merge":
            base["kind"] = "add"
        elif cls in ("Input", "InputLayer"):
            base["kind"] = "input"
        else:
            base["kind"] = "flatten"
        layers.append(base)
    return [layer for layer in layers if layer["kind"] != "input"]


def _bits(type_text: str) -> int:
    inside = type_text[type_text.index("<") + 1:type_text.index(">")]
    return int(inside.split(",")[0])


def render_fpga_estimate(estimate: dict) -> str:
    """The estimate as an aligned text table: per layer, then totals against the board's budget."""
    lines = [f"{estimate['board']} ({estimate['part']}, {estimate['clock_mhz']:g} MHz, {estimate['io_type']})", "",
             f"{'layer':<18} {'kind':<9} {'mults':>9} {'DSP':>6} {'LUT':>9} {'FF':>9} {'BRAM18':>7} {'cycles':>8}"]
    for layer in estimate["layers"]:
        lines.append(f"{layer['name']:<18} {layer['kind']:<9} {layer['multiplications']:>9} {layer['dsp']:>6} "
                     f"{layer['lut']:>9} {layer['ff']:>9} {layer['bram18']:>7} {layer['latency_cycles']:>8}")
    lines += ["", f"{'resource':<9} {'used':>9} {'available':>10} {'percent':>8}"]
    for name, usage in estimate["resources"].items():
        flag = "  <-- over budget" if name in estimate["over_budget"] else ""
        lines.append(f"{name.upper():<9} {usage['used']:>9} {usage['available']:>10} {usage['percent']:>7}%{flag}")
    lines += ["", f"latency {estimate['latency_cycles']} cycles ({estimate['latency_us']} us), II {estimate['ii_cycles']} "
                  f"cycles ({estimate['throughput_per_s']:g} inferences/s)", f"verdict: {estimate['verdict']}"]
    return "\n".join(lines)
