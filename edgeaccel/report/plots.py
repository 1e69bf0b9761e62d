"""The report's figures, as PNG bytes. matplotlib's object API only: no pyplot, no global state."""

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

OK, OVER, NEUTRAL, RANGE = "#2b7bba", "#d1495b", "#8c8c8c", "#f2c14e"


def png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def accuracy_bars(backends: dict, titles: dict, quality: str = "accuracy", agreement: str = "argmax_agreement") -> bytes:
    """Per backend, the task's quality metric and its agreement with QKeras (accuracy and argmax agreement for a classifier)."""
    names = list(backends)
    figure = Figure(figsize=(7, 0.5 + 0.45 * len(names)))
    axes = figure.add_subplot()
    y = np.arange(len(names))
    axes.barh(y + 0.2, [backends[n][quality] for n in names], height=0.38, color=OK, label=quality.replace("_", " "))
    axes.barh(y - 0.2, [backends[n][agreement] for n in names], height=0.38, color=NEUTRAL, label=agreement.replace("_", " ") + " (QKeras)")
    axes.set_yticks(y, [titles.get(n, n) for n in names])
    if quality == "accuracy":
        low = min(min(b[quality], b[agreement]) for b in backends.values())
        axes.set_xlim(max(0.0, low - 0.05), 1.0)
    axes.invert_yaxis()
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8, frameon=False)
    axes.set_title(f"{quality.replace('_', ' ').capitalize()} and agreement per backend")
    return png(figure)


def distributions(rows: list[dict], title: str) -> bytes:
    """Small multiples: each layer's histogram with the quantizer's range shaded and its limits marked."""
    columns = min(3, len(rows))
    lines = int(np.ceil(len(rows) / columns))
    figure = Figure(figsize=(4.2 * columns, 2.8 * lines))
    for index, row in enumerate(rows):
        axes = figure.add_subplot(lines, columns, index + 1)
        values = row["values"]
        span = max(abs(row["low"]), abs(row["high"]), float(np.abs(values).max()) if values.size else 1.0)
        axes.axvspan(row["low"], row["high"], color=RANGE, alpha=0.25, label="quantizer range")
        axes.hist(values, bins=80, range=(-1.05 * span, 1.05 * span), color=OK, log=True)
        for edge in (row["low"], row["high"]):
            axes.axvline(edge, color=OVER, linewidth=1)
        step = f"step {row['step']:.3g}" if row["step"] else ""
        zeros = f", {100 * row['zero_fraction']:.0f}% zero" if row["kind"] == "weights" and row["zero_fraction"] >= 0.01 else ""
        axes.set_title(f"{row['layer']}: {step}, {100 * row['clipped_fraction']:.1f}% clipped{zeros}", fontsize=9)
        axes.tick_params(labelsize=7)
    figure.suptitle(title)
    figure.tight_layout()
    return png(figure)


def resource_bars(resources: dict, title: str) -> bytes:
    names = [n for n, r in resources.items() if r["available"]]
    percents = [min(resources[n]["percent"], 250.0) for n in names]
    figure = Figure(figsize=(7, 0.6 + 0.45 * len(names)))
    axes = figure.add_subplot()
    axes.barh(names, percents, color=[OVER if p > 100 else OK for p in percents])
    if all("percent_low" in resources[n] for n in names):
        low = [max(p - min(resources[n]["percent_low"], 250.0), 0) for n, p in zip(names, percents)]
        high = [max(min(resources[n]["percent_high"], 250.0) - p, 0) for n, p in zip(names, percents)]
        axes.errorbar(percents, names, xerr=[low, high], fmt="none", ecolor="black", capsize=3, linewidth=1)
    axes.axvline(100, color="black", linewidth=1)
    for y, name in enumerate(names):
        used = resources[name]
        axes.text(min(percents[y], 250) + 2, y, f"{used['used']:,} / {used['available']:,}", va="center", fontsize=8)
    highest = max((min(resources[n].get("percent_high", 0), 250.0) for n in names), default=0)
    axes.set_xlim(0, max(120, max(percents, default=0) + 60, highest + 20))
    axes.set_xlabel("% of the board's budget")
    axes.invert_yaxis()
    axes.set_title(title)
    return png(figure)


def accuracy_vs_bits(sweep: list[dict], float_accuracy: float | None) -> bytes:
    figure = Figure(figsize=(6, 3.2))
    axes = figure.add_subplot()
    bits = [row["bits"] for row in sweep]
    axes.plot(bits, [row["accuracy"] for row in sweep], marker="o", color=OK, label="QKeras (QAT)")
    if float_accuracy is not None:
        axes.axhline(float_accuracy, color=NEUTRAL, linestyle="--", label="float baseline")
    axes.set_xlabel("bits (weights, biases, activations)")
    axes.set_ylabel("test accuracy")
    axes.set_xticks(bits)
    axes.invert_xaxis()
    axes.legend(fontsize=8)
    axes.set_title("Accuracy against bit width")
    return png(figure)


def pareto(points: list[dict], title: str, cost_label: str) -> bytes:
    """Accuracy against cost for every finished trial of one board; the front joined as a step line,
    the default configuration ringed. Each point: cost, accuracy, on_front, default."""
    figure = Figure(figsize=(7, 4.2))
    axes = figure.add_subplot()
    others = [p for p in points if not p["on_front"]]
    front = sorted((p for p in points if p["on_front"]), key=lambda p: p["cost"])
    axes.scatter([p["cost"] for p in others], [p["accuracy"] for p in others], color=NEUTRAL, s=22, label="trial")
    axes.step([p["cost"] for p in front], [p["accuracy"] for p in front], where="post", color=OK, linewidth=1)
    axes.scatter([p["cost"] for p in front], [p["accuracy"] for p in front], color=OK, s=30, label="Pareto front", zorder=3)
    for p in points:
        if p["default"]:
            axes.scatter([p["cost"]], [p["accuracy"]], facecolors="none", edgecolors=OVER, s=140, linewidths=1.5,
                         label="project's configuration", zorder=4)
    axes.axvline(100, color="black", linewidth=1, linestyle=":", label="the board's budget")
    axes.set_xlabel(cost_label)
    axes.set_ylabel("accuracy on the simulated hardware")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="lower right")
    axes.set_title(title)
    return png(figure)
