"""The sweep's report page: sweep.md (figures in sweep_files/) and sweep.html (self-contained),
rendered from the summary `edgeaccel sweep` writes to sweep.json: the Pareto front per board as a
plot and a table, its distance from the project's own configuration, and every trial's row."""

import base64
from pathlib import Path

import markdown

from edgeaccel.report import _TEMPLATES
from edgeaccel.staging import write_text_atomically

FIGURES_DIR = "sweep_files"


def write_sweep_report(directory: Path | str, summary: dict) -> Path:
    """Write sweep.md and sweep.html into `directory`; return the path of sweep.html."""
    directory = Path(directory)
    figures = {board: _front_figure(board, summary) for board in summary["front"]}
    template = _TEMPLATES.get_template("sweep.md.j2")
    context = {"s": summary, "rows": {row["trial"]: row for row in summary["rows"]}}
    text = template.render(**context, figures={board: f"{FIGURES_DIR}/pareto_{board}.png" for board in figures})
    embedded = {board: "data:image/png;base64," + base64.b64encode(data).decode() for board, data in figures.items()}
    body = markdown.markdown(template.render(**context, figures=embedded), extensions=["tables", "toc"])
    html = _TEMPLATES.get_template("report.html.j2").render(title=f"sweep of {summary['project']}", body=body)
    (directory / FIGURES_DIR).mkdir(exist_ok=True)
    for board, data in figures.items():
        (directory / FIGURES_DIR / f"pareto_{board}.png").write_bytes(data)
    write_text_atomically(directory / "sweep.md", text)
    write_text_atomically(directory / "sweep.html", html)
    return directory / "sweep.html"


def _front_figure(board: str, summary: dict) -> bytes:
    from edgeaccel.report.plots import pareto

    rows = [row for row in summary["rows"] if row["status"] == "ok" and row["parameters"]["board"] == board]
    fpga = rows[0]["target"] == "hls"
    points = [{"cost": row["scarcest_percent"], "accuracy": row["accuracy"], "on_front": row["on_front"],
               "default": row["default"]} for row in rows]
    label = "scarcest FPGA resource (% of the board)" if fpga else "larger of flash and RAM (% of the board)"
    return pareto(points, f"{board}: accuracy against resources", label)
