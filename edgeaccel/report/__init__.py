"""Reports for a build directory, rendered from its metrics.json with Jinja2 templates."""

import json
from pathlib import Path

import jinja2

from edgeaccel.errors import DataError

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("edgeaccel.report", "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)

BACKEND_TITLES = {"float": "float baseline (Keras)", "qkeras": "QKeras (reference)", "tflite": "TFLite (LiteRT)",
                  "csim": "HLS csim (hls4ml, g++)"}


def write_report(directory: Path | str) -> Path:
    directory = Path(directory)
    metrics_path = directory / "metrics.json"
    if not metrics_path.is_file():
        raise DataError(f"{directory}: expected a build directory with metrics.json, received none")
    try:
        metrics = json.loads(metrics_path.read_text())
    except json.JSONDecodeError as e:
        raise DataError(f"{metrics_path}: expected JSON, received a malformed file ({e})") from e
    text = _TEMPLATES.get_template("report.md.j2").render(m=metrics, titles=BACKEND_TITLES)
    path = directory / "report.md"
    tmp = path.with_name("report.md.partial")
    tmp.write_text(text)
    tmp.replace(path)
    return path
