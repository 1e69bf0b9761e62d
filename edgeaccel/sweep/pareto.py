"""The Pareto front of a sweep, its distance from the project's own configuration, and picking the
best configuration under limits. Pure analyses of the sweep's rows.

A trial's cost is what it takes of its board: on an FPGA the scarcest resource (the highest
percentage among LUT, FF, DSP and BRAM18), on an MCU its flash and its RAM percentages. A trial is
on the front when no other trial on the same board is at least as accurate at no higher cost in
every respect, and strictly better in one. Accuracy is measured on the simulated hardware (csim or
TFLite Micro) on the held-out split.
"""

from edgeaccel.errors import ConfigError

FPGA_RESOURCES = ("lut", "ff", "dsp", "bram18")
MCU_RESOURCES = ("flash", "ram")
LIMITS = {"lut": "lut", "ff": "ff", "dsp": "dsp", "bram": "bram18", "flash": "flash", "ram": "ram"}


def costs(row: dict) -> dict[str, float]:
    """The percentages of the board a finished trial uses, by resource."""
    resources = FPGA_RESOURCES if row["target"] == "hls" else MCU_RESOURCES
    return {name: float(row[f"{name}_percent"]) for name in resources}


def scarcest(row: dict) -> tuple[str, float]:
    """The resource the trial uses the largest share of, and that share in percent."""
    used = costs(row)
    name = max(used, key=used.get)
    return name, used[name]


def objectives(row: dict) -> tuple[float, ...]:
    """The costs the front minimises: the scarcest resource on an FPGA, flash and RAM on an MCU."""
    return (scarcest(row)[1],) if row["target"] == "hls" else tuple(costs(row).values())


def pareto_front(rows: list[dict]) -> dict[str, list[str]]:
    """The trials on the front, per board, most accurate first."""
    finished = [row for row in rows if row.get("status") == "ok"]
    front: dict[str, list[str]] = {}
    for board in sorted({row["parameters"]["board"] for row in finished}):
        group = [row for row in finished if row["parameters"]["board"] == board]
        kept = [row for row in group if not any(_dominates(other, row) for other in group if other is not row)]
        kept.sort(key=lambda row: (-row["accuracy"], objectives(row), row["trial"]))
        front[board] = _distinct(kept)
    return front


def _dominates(a: dict, b: dict) -> bool:
    better_or_equal = a["accuracy"] >= b["accuracy"] and all(x <= y for x, y in zip(objectives(a), objectives(b)))
    strictly = a["accuracy"] > b["accuracy"] or any(x < y for x, y in zip(objectives(a), objectives(b)))
    return better_or_equal and strictly


def _distinct(rows: list[dict]) -> list[str]:
    """Trials with equal accuracy and costs are one point of the front: the first stands for them."""
    seen, kept = set(), []
    for row in rows:
        point = (row["accuracy"], objectives(row))
        if point not in seen:
            seen.add(point)
            kept.append(row["trial"])
    return kept


def against_default(rows: list[dict], tolerance: float = 0.01) -> dict:
    """How far the front sits from the project's own configuration on its board: for every front
    trial, the accuracy change and the resource ratios against the default; and the front's cheapest
    trial within `tolerance` of the default's accuracy. Says why when there is nothing to compare."""
    default = next((row for row in rows if row.get("default")), None)
    if default is None:
        return {"compared": False, "reason": "the sweep has no trial of the project's own configuration"}
    if default.get("status") != "ok":
        return {"compared": False, "reason": f"the default configuration's trial failed: {default.get('error')}"}
    board = default["parameters"]["board"]
    by_id = {row["trial"]: row for row in rows}
    points = []
    for trial in pareto_front(rows).get(board, []):
        row = by_id[trial]
        point = {"trial": trial, "accuracy_change": row["accuracy"] - default["accuracy"],
                 "scarcest_ratio": _ratio(objectives(row)[0], objectives(default)[0])}
        point |= {f"{name}_ratio": _ratio(row[_used(name)], default[_used(name)]) for name in costs(row)}
        points.append(point)
    within = [point for point in points if point["accuracy_change"] >= -tolerance - 1e-12]
    key = "lut_ratio" if default["target"] == "hls" else "scarcest_ratio"
    cheapest = min(within, key=lambda point: (point[key], -point["accuracy_change"]), default=None)
    return {"compared": True, "default": default["trial"], "board": board, "default_accuracy": default["accuracy"],
            "tolerance": tolerance, "front": points, "cheapest_within_tolerance": cheapest, "measure": key}


def _used(name: str) -> str:
    return f"{name}_bytes" if name in MCU_RESOURCES else name


def _ratio(value: float, reference: float) -> float | None:
    return None if not reference else value / reference


def pick_best(rows: list[dict], limits: dict[str, float], min_accuracy: float | None = None) -> dict:
    """The most accurate finished trial within `limits` (fractions of the board, e.g. {"lut": 0.8}),
    ties to the smaller scarcest resource. A trial lacking a limited resource (an MCU trial under
    --max-lut) is not eligible. Raises ConfigError naming the closest trial when none qualifies."""
    for name, limit in limits.items():
        if name not in LIMITS:
            raise ConfigError(f"limit {name!r}: expected one of {', '.join(LIMITS)}")
        if not 0 < limit <= 1:
            hint = f" (did you mean {limit / 100:g}?)" if 1 < limit <= 100 else ""
            raise ConfigError(f"--max-{name}: expected a fraction of the board in (0, 1], received {limit:g}{hint}")
    finished = [row for row in rows if row.get("status") == "ok"]
    if not finished:
        raise ConfigError("--best: expected a sweep with at least one finished trial, received none")

    def within(row):
        used = costs(row)
        return all(LIMITS[name] in used and used[LIMITS[name]] <= 100 * limit for name, limit in limits.items()) and \
            (min_accuracy is None or row["accuracy"] >= min_accuracy)

    eligible = [row for row in finished if within(row)]
    if not eligible:
        asked = ", ".join(f"--max-{name} {limit:g}" for name, limit in limits.items())
        asked += f"{', ' if asked else ''}--min-accuracy {min_accuracy:g}" if min_accuracy is not None else ""
        closest = min(finished, key=lambda row: scarcest(row)[1])
        name, percent = scarcest(closest)
        raise ConfigError(f"--best: expected a finished trial within {asked}, received none among {len(finished)}; the "
                          f"smallest is {closest['trial']} ({name.upper()} {percent:g}%, accuracy {closest['accuracy']:.4f})")
    return min(eligible, key=lambda row: (-row["accuracy"], scarcest(row)[1], row["trial"]))
