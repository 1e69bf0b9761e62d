"""Reports for a build directory: report.md (figures beside it in report_files/) and report.html
(self-contained: the same report with the figures embedded, converted by the `markdown` library
and placed in an HTML page template), both rendered from its metrics.json with Jinja2."""

import base64
import json
import logging
from pathlib import Path
from typing import Any

import jinja2
import markdown
import pydantic

from edgeaccel.artifact import MANIFEST, read_artifact
from edgeaccel.details import HlsDetails
from edgeaccel.errors import DataError
from edgeaccel.metrics import PRIMARY
from edgeaccel.staging import write_text_atomically
from edgeaccel.yamlschema import validate

log = logging.getLogger(__name__)


class BackendRow(pydantic.BaseModel):
    """One backend's metrics (edgeaccel.metrics): every task has these; the rest depend on the task."""

    model_config = pydantic.ConfigDict(extra="allow", strict=True)

    max_abs_diff: float
    bit_exact_fraction: float


class TaskRow(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow", strict=True)

    name: str = "classification"
    reason: str = ""
    anomaly_labels: bool = False
    loss: str = "sparse_categorical_crossentropy"


class MetricsRecord(pydantic.BaseModel):
    """What the report needs of metrics.json, checked before anything is drawn."""

    model_config = pydantic.ConfigDict(extra="allow", strict=True)

    project: str
    data: dict[str, Any]
    quantization: dict[str, Any]
    backends: dict[str, BackendRow]
    task: TaskRow = TaskRow()
    titles: dict[str, str] = {}
    fidelity: dict[str, dict[str, Any]] = {}
    estimates: dict[str, dict[str, Any]] = {}
    mcu_estimates: dict[str, dict[str, Any]] = {}
    edgetpu: dict[str, Any] = {}
    sizes: dict[str, Any] = {}
    bit_sweep: list[dict[str, Any]] = []

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("edgeaccel.report", "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=jinja2.select_autoescape(["html"]),
)

FIGURES_DIR = "report_files"


def write_report(directory: Path | str) -> Path:
    """Write report.html and report.md for a build directory; return the path of report.html.

    metrics.json is checked first; one whose values the report cannot read is refused with one line
    (DataError), and the earlier report files are left as they were."""
    directory = Path(directory)
    metrics = _read_metrics(directory)
    qmodel = _load_qmodel(directory)
    try:
        titles = {name: metrics.get("titles", {}).get(name, name) for name in metrics["backends"]}
        figures, notes = _figures(directory, metrics, qmodel, titles)
        context = {"m": metrics, "titles": titles, "layers": _layer_table(directory, qmodel),
                   "figures": {name: f"{FIGURES_DIR}/{name}.png" for name in figures}, "distribution_notes": notes,
                   "sparsity": _sparsity_notes(directory, metrics)}
        report = _TEMPLATES.get_template("report.md.j2")
        markdown_text = report.render(**context)
        embedded = {name: "data:image/png;base64," + base64.b64encode(data).decode() for name, data in figures.items()}
        body = markdown.markdown(report.render(**(context | {"figures": embedded})), extensions=["tables", "toc"])
        html = _TEMPLATES.get_template("report.html.j2").render(title=metrics["project"], body=body)
    except (KeyError, TypeError, ValueError, AttributeError, jinja2.TemplateError) as e:
        raise DataError(f"{directory / 'metrics.json'}: expected the metrics `edgeaccel run` writes, received values the "
                        f"report cannot read ({type(e).__name__}: {e})") from e
    figures_dir = directory / FIGURES_DIR
    figures_dir.mkdir(exist_ok=True)
    for name, data in figures.items():
        (figures_dir / f"{name}.png").write_bytes(data)
    write_text_atomically(directory / "report.md", markdown_text)
    write_text_atomically(directory / "report.html", html)
    return directory / "report.html"


def _read_metrics(directory: Path) -> dict:
    path = directory / "metrics.json"
    if not path.is_file():
        raise DataError(f"{directory}: expected a build directory with metrics.json, received none")
    try:
        metrics = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: expected JSON, received a malformed file ({e})") from e
    validate(metrics, MetricsRecord, str(path))
    task = metrics.get("task", {}).get("name", "classification")
    if task not in PRIMARY:
        raise DataError(f"{path}: task: expected one of {', '.join(PRIMARY)}, received {task!r}")
    quality, agreement = PRIMARY[task]
    for name, row in metrics["backends"].items():
        for key in (quality, agreement):
            value = row.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                received = "nothing" if key not in row else repr(value)
                raise DataError(f"{path}: backends.{name}.{key}: expected a valid number, received {received} (task {task})")
    return metrics


def _load_qmodel(directory: Path):
    """The build's QKeras model, or None where the directory has none (a report of metrics only)."""
    if not (directory / "model.h5").is_file():
        return None
    from edgeaccel.models.files import load_model

    return load_model(directory / "model.h5")


def _figures(directory: Path, metrics: dict, qmodel, titles: dict) -> tuple[dict, list[dict]]:
    """The PNG figures by name, and the distribution figures' numbers (clipping, unused bits) per layer."""
    from edgeaccel.report import plots

    quality, agreement = PRIMARY[metrics.get("task", {}).get("name", "classification")]
    figures = {"accuracy": plots.accuracy_bars(metrics["backends"], titles, quality, agreement)}
    for target, estimate in metrics.get("estimates", {}).items():
        if "resources" in estimate:
            figures[f"resources_{target}"] = plots.resource_bars(estimate["resources"], f"{target}: {estimate.get('board', '')}")
    for target, estimate in metrics.get("mcu_estimates", {}).items():
        memory = {"flash": estimate["flash"], "ram": estimate["ram"]}
        figures[f"memory_{target}"] = plots.resource_bars(memory, f"{target}: {estimate['board']} ({estimate['chip']})")
    if metrics.get("bit_sweep"):
        baseline = metrics["backends"].get("float", {}).get("accuracy")
        figures["accuracy_vs_bits"] = plots.accuracy_vs_bits(metrics["bit_sweep"], baseline)
    notes = []
    if qmodel is not None and (directory / "test.npz").is_file():
        from edgeaccel.data import read_npz
        from edgeaccel.report.distributions import activation_distributions, weight_distributions

        x, _ = read_npz(directory / "test.npz")
        for kind, rows in (("weights", weight_distributions(qmodel)), ("activations", activation_distributions(qmodel, x))):
            if rows:
                figures[f"{kind}_distribution"] = plots.distributions(rows, f"{kind.capitalize()} per layer against the quantizer")
                notes += [{k: v for k, v in row.items() if k != "values"} for row in rows]
    return figures, notes


def _sparsity_notes(directory: Path, metrics: dict) -> dict[str, str]:
    """What each target of the build does with zero weights, for a model with some (pruned, or rounded to zero)."""
    if (metrics.get("weight_sparsity") or {}).get("total", {}).get("sparsity", 0.0) < 0.05:
        return {}
    notes = {}
    for manifest in sorted(directory.glob(f"*/{MANIFEST}")):
        sparsity = read_artifact(manifest.parent).details.get("sparsity")
        if isinstance(sparsity, dict) and sparsity.get("note"):
            notes[manifest.parent.name] = sparsity["note"]
    return notes


def _layer_table(directory: Path, qmodel) -> list[dict]:
    if qmodel is None:
        return []
    from edgeaccel.report.distributions import layer_precisions

    rows = layer_precisions(qmodel)
    if (directory / "hls" / MANIFEST).is_file():
        precisions = read_artifact(directory / "hls", HlsDetails).details.precisions
        for row in rows:
            row["hls"] = precisions.get(row["name"], {})
    return rows
