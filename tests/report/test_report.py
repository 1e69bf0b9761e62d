"""The report, checked in a real browser: headless Chromium loads report.html and renders it."""

import base64
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from conftest import error_line, run_cli

SECTIONS = ["Accuracy and agreement", "csim against QKeras, bit for bit", "FPGA estimate: pynq-z2", "Per-layer precision",
            "Distributions against the quantizers", "Accuracy against bit width", "Sizes"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


@pytest.fixture(scope="module")
def chromium():
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: expected .ci/run / make test to install Debian's chromium")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def _browser(chromium, tmp_path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=120, check=True)


def test_report_loads_in_chromium_with_every_section_and_figure(digits_build, chromium, tmp_path):
    html = digits_build / "report.html"
    dom = _browser(chromium, tmp_path, "--dump-dom", html.as_uri()).stdout
    headings = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", dom, flags=re.S)]
    for section in SECTIONS:
        assert any(h.startswith(section) for h in headings), (section, headings)
    images = re.findall(r'<img[^>]+src="data:image/png;base64,([^"]+)"', dom)
    assert len(images) >= 5
    assert all(base64.b64decode(image)[:8] == b"\x89PNG\r\n\x1a\n" for image in images)

    shot = tmp_path / "report.png"
    _browser(chromium, tmp_path, "--window-size=1200,2400", f"--screenshot={shot}", html.as_uri())
    from matplotlib.image import imread

    pixels = imread(shot)[..., :3]
    not_white = np.mean(np.any(pixels < 0.9, axis=-1))
    assert pixels.std() > 0.05 and not_white > 0.05, "the screenshot is blank"


def test_report_md_links_its_figures(digits_build):
    text = (digits_build / "report.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) >= 5 and all((digits_build / link).is_file() for link in links)


def test_report_numbers_come_from_the_metrics(digits_build):
    import json

    metrics = json.loads((digits_build / "metrics.json").read_text())
    text = (digits_build / "report.md").read_text()
    assert [row["bits"] for row in metrics["bit_sweep"]] == [8, 6, 4, 3, 2]
    for row in metrics["bit_sweep"]:
        assert f"| {row['bits']} | {row['accuracy']:.4f} |" in text
    hls = json.loads((digits_build / "hls" / "artifact.json").read_text())["hls"]["precisions"]
    assert "quantized_relu(8,2)" in text and f"| {hls['dense0']['accum']} |" in text
    assert hls["features"]["result"] == "ufixed<8,0>", "the unsigned 8-bit input quantizer stays unsigned in hardware"
    estimate = metrics["estimates"]["hls"]
    dense0 = next(layer for layer in estimate["layers"] if layer["name"] == "dense0")
    lut = dense0["ranges"]["lut"]
    assert f"| dense0 | dense | {dense0['dsp']} (" in text and f"| {dense0['lut']} ({lut[0]}–{lut[1]}) |" in text, "the per-layer FPGA table"
    assert f"| LUT | {estimate['resources']['lut']['used']} | {estimate['resources']['lut']['low']}–" in text


def test_report_of_a_directory_without_metrics(tmp_path):
    line = error_line(run_cli("report", tmp_path))
    assert "expected a build directory with metrics.json, received none" in line
