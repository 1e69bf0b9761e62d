"""The FPGA estimate of an hls4ml design: per layer and in total, LUT, FF, DSP, BRAM18, latency and
initiation interval as the HLS C-synthesis report (csynth) will give them, each with a range,
against the board's budget. Pure functions; no vendor tool.

How: `templates.py` counts what hls4ml 1.3's templates instantiate for each layer record of the
hls artifact (DSPs and BRAM18 structurally, weight by weight; the quantities LUT and FF scale
with); `calibration.py` turns those into figures with per-tool coefficients fitted on published
reports (`data/fpga_reports.csv`). The HLS tool is a parameter: Vivado HLS 2019.2/2020.1
(`vivado`, the default for Vivado and VivadoAccelerator boards) or Vitis HLS 2023+ (`vitis`, the
default for Vitis boards); the same design differs by up to 2x between them.

Ranges and verdict: every figure comes with the range the calibration residuals give (see
`calibration.py`); layers whose template no fitted published report covers (recurrent layers,
...) are named, and their share of each figure, latency included, gets a range twice as wide on
each side. The verdict is "fits" when every upper bound is within the
board's budget, "does not fit" when some lower bound exceeds it, "may not fit" otherwise, and
"unchecked" when a layer the estimate does not model (it cannot see its cost) could tip the balance.
"""

import math

from edgeaccel.boards import Board
from edgeaccel.errors import ConfigError
from edgeaccel.estimate.fpga import calibration as calibrations
from edgeaccel.estimate.fpga.devices import device_for
from edgeaccel.estimate.fpga.templates import NOT_MODELLED, TOOLS, channel_work, fifo_work, kind_of, layer_work

RESOURCES = ("lut", "ff", "bram18", "dsp", "uram")
STREAM_HANDSHAKE_CYCLES = 1
CALL_CYCLES = 1  # a function called from a state machine (not a pipeline): its latency plus this
ROM_READ_CYCLES = 1  # a table lookup's registered ROM read
TOOL_FOR_BACKEND = {"Vitis": "vitis", "Vivado": "vivado", "VivadoAccelerator": "vivado"}


def default_tool(board: Board) -> str:
    return TOOL_FOR_BACKEND[board.fpga.backend]


def estimate_fpga(records: list[dict], board: Board, io_type: str, tool: str | None = None) -> dict:
    """Per-layer and total figures of an hls artifact's layer records against the board's budget."""
    if board.kind != "fpga":
        raise ConfigError(f"--board: expected an FPGA board for an hls artifact, received {board.name!r} (kind {board.kind})")
    tool = tool or default_tool(board)
    calibration = calibrations.shipped()
    clock_ns = 1000.0 / board.fpga.clock_mhz
    design = design_cost(records, io_type, tool, board.fpga.part, clock_ns, calibration)
    budget = board.fpga.resources.model_dump()
    totals = design["totals"]
    usage = {}
    for name in RESOURCES:
        used, (low, high) = totals.get(name, 0), design["ranges"].get(name, (0, 0))
        available = budget[name]
        usage[name] = {"used": used, "low": low, "high": high, "available": available,
                       "percent": _percent(used, available), "percent_low": _percent(low, available),
                       "percent_high": _percent(high, available)}
    over = [n for n in RESOURCES if usage[n]["low"] > usage[n]["available"]]
    maybe = [n for n in RESOURCES if n not in over and usage[n]["high"] > usage[n]["available"]]
    unseen = [u["layer"] for u in design["uncalibrated"] if u["reason"].endswith(NOT_MODELLED)]
    verdict = "does not fit" if over else "unchecked" if unseen else "may not fit" if maybe else "fits"
    reasons = ([f"layer {name} is not modelled" for name in unseen] if verdict == "unchecked" else
               [_reason(n, usage[n]) for n in over + maybe])
    latency, ii = totals["latency_cycles"], totals["ii_cycles"]
    lat_low, lat_high = design["ranges"]["latency_cycles"]
    clock = board.fpga.clock_mhz
    return {
        "kind": "fpga",
        "board": board.name,
        "part": board.fpga.part,
        "device": design["device"],
        "clock_mhz": clock,
        "io_type": io_type,
        "tool": tool,
        "tool_title": TOOLS[tool]["title"],
        "figures": "HLS C-synthesis report (csynth) estimates",
        "layers": design["layers"],
        "multiplications": totals["multiplications"],
        "resources": usage,
        "latency_cycles": latency,
        "latency_range": [lat_low, lat_high],
        "ii_cycles": ii,
        "latency_us": round(latency / clock, 3),
        "latency_us_range": [round(lat_low / clock, 3), round(lat_high / clock, 3)],
        "throughput_per_s": round(clock * 1e6 / ii, 1),
        "fits": verdict == "fits",
        "over_budget": over,
        "may_exceed": maybe,
        "verdict": verdict if verdict == "fits" else verdict + ": " + ", ".join(reasons),
        "uncalibrated": design["uncalibrated"],
        "calibration": calibration.summary,
    }


def design_cost(records: list[dict], io_type: str, tool: str, part: str, clock_ns: float, calibration) -> dict:
    """Per-layer and total figures of a design (no budget): the pure core the calibration also fits."""
    device = device_for(part)
    tool_calibration = calibration.tool(tool)
    period = clock_ns * (1 - TOOLS[tool]["clock_uncertainty"])
    layers, uncalibrated, terms = [], [], {"lut": {}, "ff": {}}
    records = [r for r in records if r["class"] not in ("Input", "InputLayer")]
    style = pipeline_style(records, io_type)
    parallel_dataflow = io_type == "io_parallel" and style == "dataflow"
    drains = parallel_dataflow and not TOOLS[tool]["rewinds_dataflow_loops"]
    for index, record in enumerate(records):
        if index and io_type == "io_stream":
            record = record | {"input_channels": _stream_channels(records[:index])}
        work = layer_work(record, io_type, tool, device)
        if index == 0 and io_type == "io_parallel":
            work.ff["io_register_bits"] = _input_values(record) * int(record.get("input_bits", record["result_bits"]))
        streams_on = io_type == "io_stream" and index < len(records) - 1 and work.kind != "reshape"
        fifo = fifo_work(record, tool) if streams_on else None
        if parallel_dataflow and index < len(records) - 1 and work.kind != "reshape":
            fifo = channel_work(record, tool)
        cost, layer_terms = _layer_cost(work, fifo, io_type, tool_calibration, device, period, drains)
        layers.append(cost)
        for figure in ("lut", "ff"):
            for name, value in layer_terms[figure].items():
                terms[figure][name] = terms[figure].get(name, 0.0) + value
        if work.uncalibrated:
            uncalibrated.append({"layer": record["name"], "reason": work.uncalibrated})
    totals = {name: sum(layer[name] for layer in layers) for name in ("lut", "ff", "dsp", "bram18", "multiplications")}
    totals["uram"] = 0
    totals["latency_cycles"], totals["ii_cycles"] = _schedule(layers, io_type, tool_calibration.timing,
                                                              period if style == "pipeline" else 0.0)
    if style == "pipeline" and any(layer["sequential"] for layer in layers):
        # a top-level PIPELINE cannot overlap inferences around a layer whose steps run one after another
        totals["ii_cycles"] = totals["latency_cycles"]
    uncalibrated_names = {u["layer"] for u in uncalibrated}
    ranges = {}
    for name in calibrations.FIGURES:
        rest = min(totals[name], sum(l[name] for l in layers if l["name"] in uncalibrated_names))
        low, high = calibration.range_of(name, totals[name] - rest)
        rest_low, rest_high = calibration.range_of(name, rest, calibrations.UNCALIBRATED_SPREAD) if rest else (0, 0)
        low, high = low + rest_low, high + rest_high
        ranges[name] = (low, high)
    ranges["uram"] = (0, 0)
    for layer in layers:
        spread = calibrations.UNCALIBRATED_SPREAD if layer["name"] in uncalibrated_names else 1.0
        layer["ranges"] = {name: list(calibration.range_of(name, layer[name], spread))
                           for name in ("lut", "ff", "dsp", "bram18", "latency_cycles")}
    return {"device": device.family + f" ({device.dsp})", "layers": layers, "totals": totals, "ranges": ranges,
            "uncalibrated": uncalibrated, "terms": terms}


def _layer_cost(work, fifo, io_type: str, coefficients, device, period: float, drains: bool = False) -> tuple[dict, dict]:
    """A layer's figures, and the template quantities its LUT and FF were computed from. `drains`: the
    layer is a DATAFLOW process whose loop the tool does not rewind, so the next call waits for it to end."""
    timing = coefficients.timing
    path = _path_ns(work.multiplier, work.adder_levels + work.comparisons, work.table_lookups, timing, device)
    logic = work.multiplier or work.adder_levels or work.comparisons or work.table_lookups
    depth = max(1, math.ceil(path / period)) if logic else int(work.pipelined)
    ff_terms = dict(work.ff)
    # the registers between the kernel's cycles, and those inside multipliers that take more than one
    ff_terms["product_register_bits"], ff_terms["pipeline_bits"] = boundary_register_bits(
        ff_terms.pop("adder_bits", 0.0) / work.loop_ii, depth, period, device.logic_delay * timing.multiply_ns * work.multiplier,
        device.logic_delay * timing.add_ns, work.adder_levels if work.chained_adds else 0)
    ff_terms["multiplier_register_bits"] = ff_terms.pop("dsp_product_bits", 0.0) * (math.ceil(device.dsp_multiply_ns / period) - 1)
    lut_terms, bram = dict(work.lut), work.bram18
    if fifo is not None:
        lut_terms = _summed(lut_terms, fifo.lut)
        ff_terms = _summed(ff_terms, fifo.ff)
        bram += fifo.bram18
    lut = calibrations.apply(lut_terms, coefficients.lut)
    ff = calibrations.apply(ff_terms, coefficients.ff)
    if work.step_stages:
        # a recurrent layer: its time steps one after another, each a call of the chain of its stages
        step = sum(_stage_cycles(stage, timing, device, period) for stage in work.step_stages) + work.step_rounds - 1 + CALL_CYCLES
        latency = ii = work.iterations * step + (STREAM_HANDSHAKE_CYCLES if io_type == "io_stream" else 0)
        depth = step
    elif io_type == "io_stream" and not work.pixel_loop_pipelined:
        # the worst case of a loop that is not pipelined: every pixel calls the kernel, which takes its
        # rounds (or, for the Resource strategy, its reuse-factor loop and weight ROM reads) and pipeline depth
        kernel = work.loop_ii + depth + (timing.resource_cycles if work.resource_kernel else 0)
        latency = ii = work.iterations * kernel + STREAM_HANDSHAKE_CYCLES
    elif io_type == "io_stream":
        latency = work.iterations * work.loop_ii + depth + STREAM_HANDSHAKE_CYCLES if work.pipelined else 0
        ii = latency
    else:
        latency = (work.iterations * work.loop_ii - 1) + depth if logic else 0
        ii = latency + 1 if drains and work.iterations > 1 else work.iterations * work.loop_ii
    cost = {"name": work.name, "kind": work.kind, "multiplications": work.multiplications, "multipliers": work.multipliers, "dsp": work.dsp,
            "lut": round(lut), "ff": round(ff), "bram18": bram, "latency_cycles": latency, "ii_cycles": ii, "depth": depth,
            "path_ns": round(path, 3) if logic else 0.0,
            "sequential": bool(work.step_stages)}
    return cost, {"lut": lut_terms, "ff": ff_terms}


def _stage_cycles(stage, timing, device, period: float) -> int:
    """Cycles one link of a recurrent step's chain takes: its pipeline depth, a registered ROM read per
    table lookup, and the call of a function of its own."""
    depth = max(1, math.ceil(_path_ns(stage.multiplier, stage.adder_levels, stage.table_lookups, timing, device) / period))
    return depth + stage.table_lookups * ROM_READ_CYCLES + stage.called * CALL_CYCLES


def _path_ns(multiplier: bool, adder_levels: int, table_lookups: int, timing, device) -> float:
    """The logic delay of a pipeline's critical path: a product, adder or comparator levels, table lookups
    (an address computation and a ROM read, two adder delays)."""
    return device.logic_delay * (timing.multiply_ns * multiplier + timing.add_ns * (adder_levels + 2 * table_lookups))


def boundary_register_bits(product_bits: float, depth: int, period: float, multiply_ns: float, add_ns: float,
                           chain_levels: int = 0) -> tuple[float, float]:
    """The bits a kernel registers at its cycle boundaries (`product_bits`: one round's products), split
    into those where the products (or their operands) cross, and those inside the sums: each adder level
    completed halves a tree's live values, and takes one link's worth off a chain of `chain_levels`.
    freaksie/ML-on-Chip's 8x4 dense (Vivado HLS 2018.3, xc7vx485t-2, 5 ns, 2 cycles) registers its 28 DSP
    products, cast to the 16-bit accumulator, at its one boundary: 799 FF with its input and output registers."""
    products = sums = 0.0
    for boundary in range(1, depth):
        levels = max(0, math.floor((boundary * period - multiply_ns) / add_ns)) if add_ns > 0 else 0
        if not levels:
            products += product_bits
        elif chain_levels:
            sums += product_bits * max(0.0, 1 - levels / chain_levels)
        else:
            sums += product_bits / 2 ** levels
    return products, sums


def _input_values(record: dict) -> int:
    """Values the first layer reads: the design's input port, registered by the io_parallel top function."""
    if "n_in" in record:
        return int(record["n_in"])
    if "in_width" in record:
        return int(record.get("in_height", 1)) * int(record["in_width"]) * int(record.get("n_chan", 1))
    return int(record["outputs"])


def _stream_channels(previous: list[dict]) -> int:
    """Values per element of the stream a layer reads: the last non-reshape layer's channels (an
    io_stream Flatten/Reshape passes its input stream on as it is)."""
    source = next((r for r in reversed(previous) if r["class"] not in ("Reshape", "Transpose")), previous[-1])
    return (source.get("shape") or [source["outputs"]])[-1]


def _summed(a: dict, b: dict) -> dict:
    return {key: a.get(key, 0.0) + b.get(key, 0.0) for key in a.keys() | b.keys()}


def pipeline_style(records: list[dict], io_type: str) -> str:
    """The top function's style as hls4ml 1.3's SetPipelineStyle picks it by default: "dataflow" for io_stream,
    a convolution computed in more than one partition or a Resource-strategy layer, else "pipeline"."""
    partitioned = any(kind_of(r) == "conv" and int(r.get("n_partitions", 1)) != 1 for r in records)
    resource = any(str(r.get("strategy", "latency")).lower() == "resource" for r in records)
    return "dataflow" if io_type == "io_stream" or partitioned or resource else "pipeline"


def _schedule(layers: list[dict], io_type: str, timing, chained_period: float = 0.0) -> tuple[int, int]:
    """Design latency and initiation interval: io_parallel layers run one after another; io_stream
    layers form a dataflow pipeline, whose latency is its slowest layer's plus the pipeline depths
    of the layers after it, and whose II is one more than the slowest layer's latency. In one pipelined
    top function (`chained_period`, the clock period it is scheduled at), the layers' logic chains
    across their boundaries: its depth is that of their paths put end to end, not the sum of theirs."""
    if not layers:
        return 0, 1
    if io_type == "io_stream":
        slowest = max(range(len(layers)), key=lambda i: layers[i]["latency_cycles"])
        tail = sum(layer["depth"] for layer in layers[slowest + 1:])
        return layers[slowest]["latency_cycles"] + tail + timing.top_cycles, layers[slowest]["latency_cycles"] + 1
    ii = max(layer["ii_cycles"] for layer in layers)
    if chained_period:
        # a recurrent layer's time steps stay one after another: it counts whole, outside the chain
        chained = [layer for layer in layers if layer["latency_cycles"] and not layer["sequential"]]
        rounds = sum(layer["latency_cycles"] - layer["depth"] for layer in chained)
        depth = max(1, math.ceil(sum(layer["path_ns"] for layer in chained) / chained_period)) if chained else 0
        whole = sum(layer["latency_cycles"] for layer in layers if layer["sequential"])
        return whole + rounds + depth + timing.top_cycles, ii
    return sum(layer["latency_cycles"] for layer in layers) + timing.top_cycles, ii


def layers_from_hls_records(records: list[dict], options: dict) -> list[dict]:
    """The records of an hls artifact with the artifact-wide reuse factor and strategy filled in
    where a record lacks them (records written before the estimate read them per layer)."""
    defaults = {"reuse_factor": int(options.get("reuse_factor", 1)), "strategy": str(options.get("strategy", "latency")).lower()}
    return [defaults | record for record in records]


def _percent(used: float, available: float) -> float:
    return round(100.0 * used / available, 1) if available else (0.0 if used == 0 else math.inf)


def _reason(name: str, usage: dict) -> str:
    return (f"{name.upper()} {usage['percent']}% ({usage['percent_low']}-{usage['percent_high']}%) "
            f"of {usage['available']}")


def render_fpga_estimate(estimate: dict) -> str:
    """The estimate as aligned text: per layer (with ranges), then totals against the board's budget."""
    lines = [f"{estimate['board']} ({estimate['part']}, {estimate['device']}, {estimate['clock_mhz']:g} MHz, {estimate['io_type']}), "
             f"{estimate['tool_title']}: {estimate['figures']}", "",
             f"{'layer':<22} {'kind':<11} {'DSP':>13} {'LUT':>21} {'FF':>21} {'BRAM18':>11} {'cycles':>7} {'II':>6}"]
    for layer in estimate["layers"]:
        r = layer["ranges"]
        lines.append(f"{layer['name']:<22} {layer['kind']:<11} {_ranged(layer['dsp'], r['dsp']):>13} {_ranged(layer['lut'], r['lut']):>21} "
                     f"{_ranged(layer['ff'], r['ff']):>21} {_ranged(layer['bram18'], r['bram18']):>11} {layer['latency_cycles']:>7} {layer['ii_cycles']:>6}")
    lines += ["", f"{'resource':<9} {'estimate':>9} {'range':>19} {'available':>10} {'percent (range)':>22}"]
    for name, usage in estimate["resources"].items():
        flag = "  <-- over budget" if name in estimate["over_budget"] else "  <-- may exceed" if name in estimate["may_exceed"] else ""
        lines.append(f"{name.upper():<9} {usage['used']:>9} {usage['low']:>9}-{usage['high']:<9} {usage['available']:>10} "
                     f"{usage['percent']:>7}% ({usage['percent_low']}-{usage['percent_high']}%){flag}")
    low, high = estimate["latency_range"]
    lines += ["", f"latency {estimate['latency_cycles']} cycles ({low}-{high}), {estimate['latency_us']} us; II {estimate['ii_cycles']} "
                  f"cycles ({estimate['throughput_per_s']:g} inferences/s)"]
    for item in estimate["uncalibrated"]:
        doubled = "" if item["reason"].endswith(NOT_MODELLED) else " (its share of each range is doubled)"
        lines.append(f"uncalibrated: {item['layer']}: {item['reason']}{doubled}")
    summary = estimate["calibration"]
    if summary:
        lines.append(f"calibration: {summary.get('fit_rows')} published reports fitted, {summary.get('heldout_rows')} held out; "
                     f"median error on the held-out ones: " + ", ".join(f"{k} {v}%" for k, v in summary.get("heldout_median_error_percent", {}).items()))
        blind = summary.get("heldout_blind_median_error_percent")
        if blind and summary.get("heldout_blind_rows") != summary.get("heldout_rows"):
            lines.append(f"calibration: on the {summary['heldout_blind_rows']} held-out reports no change of the estimate was written "
                         "knowing: " + ", ".join(f"{k} {v}%" for k, v in blind.items()))
        left_out = summary.get("fit_left_out_family_median_error_percent")
        if left_out:
            lines.append("calibration: on the fitted reports, each model family left out of the fit in turn: "
                         + ", ".join(f"{k} {v}%" for k, v in left_out.items()))
    synthesis = summary.get("vivado_synthesis_over_hls_report")
    if synthesis:
        lines.append(f"after Vivado synthesis, {synthesis['rows']} published designs had a median {synthesis['lut']}x these LUTs, "
                     f"{synthesis['ff']}x the FFs and {synthesis['dsp']}x the DSPs (the verdict is on the HLS report's figures)")
    lines.append(f"verdict: {estimate['verdict']}")
    return "\n".join(lines)


def _ranged(value: int, bounds: list[int]) -> str:
    return f"{value} ({bounds[0]}-{bounds[1]})"
