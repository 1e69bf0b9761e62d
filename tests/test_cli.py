import json
import subprocess
import sys

from conftest import REPO, run_cli


def _modules_after(argv: list[str]) -> set:
    code = ("import sys, contextlib, io\nfrom edgeaccel.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try: main(%r)\n    except SystemExit: pass\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow','tf_keras','qkeras','hls4ml'))))" % argv)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return set(filter(None, out.strip().split(",")))


def test_help_and_boards_do_not_import_tensorflow():
    assert _modules_after(["--help"]) == set()
    assert _modules_after(["boards"]) == set()
    assert _modules_after(["boards", "pynq-z2"]) == set()


def test_boards_lists_and_shows():
    listing = run_cli("boards", check=True).stdout
    assert "pynq-z2" in listing and "nano33ble" in listing
    shown = json.loads(run_cli("boards", "zcu102", "--json", check=True).stdout)
    assert shown["fpga"]["resources"]["dsp"] == 2520


def test_tensorflow_imported_with_keras3_is_refused():
    code = "import tensorflow\nfrom edgeaccel.cli import main\nraise SystemExit(main(['train', 'examples/digits.yaml']))"
    env = {k: v for k, v in __import__("os").environ.items() if k != "TF_USE_LEGACY_KERAS"}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, env=env)
    assert result.returncode == 3
    assert "expected tf.keras to be tf_keras (Keras 2), received keras 3" in result.stderr.splitlines()[-1]
