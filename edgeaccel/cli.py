"""The `edgeaccel` command line. Each verb calls one library function; heavy imports happen inside
the verbs, so `edgeaccel --help` and `edgeaccel boards` never import TensorFlow.

Exit codes: 0 success; 1 outputs disagree (e.g. a board against the simulation); 2 bad input
(file, option, data, model); 3 environment or external tool problem; 4 remote/deploy failure;
70 internal error (a bug: please report it with the --debug traceback); 130 interrupted.
"""

import argparse
import json
import logging
import sys
from pathlib import Path

from edgeaccel import __version__, interrupts
from edgeaccel.errors import EdgeAccelError
from edgeaccel.targets import backend_names, targets

log = logging.getLogger("edgeaccel")


def main(argv: list[str] | None = None) -> int:
    """Run one CLI verb; the return value is the exit code (the same with --debug, which adds the traceback)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.quiet)
    interrupts.install()
    try:
        return args.handler(args) or 0
    except EdgeAccelError as e:
        _traceback_if(args.debug)
        print(f"edgeaccel: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return _interrupted(args.debug)
    except Exception as e:
        if _interrupt_in_chain(e):
            return _interrupted(args.debug)
        _traceback_if(args.debug)
        print(f"edgeaccel: internal error: {type(e).__name__}: {e} (run with --debug for the traceback)", file=sys.stderr)
        return 70


def _traceback_if(debug: bool) -> None:
    if debug:
        import traceback

        traceback.print_exc()


def _interrupted(debug: bool) -> int:
    _traceback_if(debug)
    print("edgeaccel: interrupted; earlier outputs are unchanged", file=sys.stderr)
    return 130


def _interrupt_in_chain(error: BaseException) -> bool:
    """True when a Ctrl-C surfaced wrapped in another exception (TensorFlow's C++ side raises
    SystemError with the KeyboardInterrupt as its cause or context)."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


class _OneLineParser(argparse.ArgumentParser):
    """argparse with one line for a usage mistake (what was expected, what was received), exit 2."""

    def error(self, message: str):
        self.exit(2, f"edgeaccel: error: {message} (see `{self.prog} --help`)\n")


def _configure_logging(quiet: bool) -> None:
    """edgeaccel's own messages at INFO (WARNING with --quiet); other libraries' loggers untouched."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.WARNING if quiet else logging.INFO)
    log.propagate = False
    if quiet:
        from edgeaccel.progress import silence_progress

        silence_progress()


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="edgeaccel", parents=[_global_flags(False)],
                                     description="QKeras models to TFLite, TFLite Micro, Edge TPU and FPGAs (hls4ml).",
                                     epilog="Exit codes: 0 ok, 1 outputs disagree, 2 bad input, 3 environment or tool "
                                            "problem, 4 remote failure, 70 internal error, 130 interrupted.")
    parser.add_argument("--version", action="version", version=f"edgeaccel {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB", parser_class=_OneLineParser)
    common = _global_flags(argparse.SUPPRESS)

    run = verbs.add_parser("run", parents=[common], help="the whole pipeline for a project file")
    run.add_argument("project", type=Path, metavar="PROJECT.yaml")
    run.add_argument("--out", type=Path, help="build directory (default build/<name>)")
    run.add_argument("--json", action="store_true", help="print the task's metrics and agreement per backend as JSON")
    run.set_defaults(handler=_run)

    train = verbs.add_parser("train", parents=[common], help="QAT only: DIR/model.h5")
    train.add_argument("project", type=Path, metavar="PROJECT.yaml")
    train.add_argument("--out", type=Path, help="build directory (default build/<name>)")
    train.set_defaults(handler=_train)

    convert = verbs.add_parser("convert", parents=[common], help="export a model to a target",
                               formatter_class=argparse.RawDescriptionHelpFormatter,
                               description="Export a QKeras or Keras model to a target:\n" +
                                           "\n".join(f"  {t.name:<8} {t.summary}" for t in targets().values()))
    convert.add_argument("model", type=Path, metavar="MODEL.h5")
    convert.add_argument("--target", required=True, help=", ".join(targets()))
    convert.add_argument("--board", help="board name (see `edgeaccel boards`)")
    convert.add_argument("--calib", type=Path, metavar="DATA.npz", help="calibration data for int8, tflm and edgetpu (default: calib.npz beside the model)")
    _add_target_options(convert)
    convert.add_argument("-o", "--out", type=Path, required=True, metavar="DIR")
    convert.set_defaults(handler=_convert)

    sim = verbs.add_parser("sim", parents=[common], help="run an artifact on a simulation backend")
    sim.add_argument("artifact", type=Path, metavar="ARTIFACT")
    sim.add_argument("--backend", required=True, help=", ".join(backend_names()))
    sim.add_argument("--data", type=Path, required=True, metavar="DATA.npz")
    sim.add_argument("--out", type=Path, metavar="PRED.npy", help="write the raw outputs here")
    sim.add_argument("--json", action="store_true", help="print the summary as JSON")
    sim.set_defaults(handler=_sim)

    estimate = verbs.add_parser("estimate", parents=[common], help="FPGA resources, MCU flash/RAM or Edge TPU op mapping against a board")
    estimate.add_argument("artifact", type=Path, metavar="ARTIFACT")
    estimate.add_argument("--board", help="board name (default: the board the artifact was converted for)")
    estimate.add_argument("--hls-tool", choices=["vivado", "vitis"],
                          help="HLS tool of an hls artifact's estimate: Vivado HLS 2019.2/2020.1 or Vitis HLS 2023+ "
                               "(default: the board backend's)")
    estimate.add_argument("--json", action="store_true", help="print as JSON")
    estimate.set_defaults(handler=_estimate)

    bitstream = verbs.add_parser("bitstream", parents=[common], help="run the vendor HLS/bitstream flow of an hls artifact")
    bitstream.add_argument("artifact", type=Path, metavar="ARTIFACT")
    bitstream.set_defaults(handler=_bitstream)

    testbench = verbs.add_parser("testbench", parents=[common], help="build and run hls4ml's C++ testbench of an hls artifact")
    testbench.add_argument("artifact", type=Path, metavar="ARTIFACT")
    testbench.add_argument("--json", action="store_true", help="print the summary as JSON")
    testbench.set_defaults(handler=_testbench)

    boards = verbs.add_parser("boards", parents=[common], help="list boards, or show one")
    boards.add_argument("name", nargs="?", metavar="NAME")
    boards.add_argument("--json", action="store_true", help="print as JSON")
    boards.set_defaults(handler=_boards)

    deploy = verbs.add_parser("deploy", parents=[common], help="deploy an artifact to a board over SSH, run it there and check it",
                              description="Upload a bundle (model, golden inputs, standalone runner) into <workdir>/releases/<id>, "
                                          "verify every sha256 on the board, run it there, compare its outputs with the "
                                          "simulation, then switch <workdir>/current. Board defaults come from the board file.")
    deploy.add_argument("artifact", type=Path, nargs="?", metavar="ARTIFACT",
                        help="artifact directory, or a build directory (the artifact for the board's kind is picked)")
    deploy.add_argument("--board", required=True, help="board name (see `edgeaccel boards`)")
    deploy.add_argument("--host", required=True, help="the board's host name or address")
    deploy.add_argument("--user", help="SSH user (default: the board file's)")
    deploy.add_argument("--key", type=Path, metavar="FILE", help="private key file (default: ssh-agent, then ~/.ssh/id_*); "
                        "an encrypted one takes its passphrase from EDGEACCEL_KEY_PASSPHRASE or asks on a terminal")
    deploy.add_argument("--port", type=_positive_int, help="SSH port (default: the board file's)")
    deploy.add_argument("--workdir", help="directory on the board holding releases/ and current (default: the board file's)")
    deploy.add_argument("--remote-python", metavar="CMD", help="the board's Python, e.g. /usr/bin/python3 or "
                                                               "'sudo -n /usr/local/share/pynq-venv/bin/python3'")
    deploy.add_argument("--known-hosts", type=Path, metavar="FILE", help="host keys to check against (default ~/.ssh/known_hosts)")
    deploy.add_argument("--trust-new-host", action="store_true", help="accept an unknown host's key and record it")
    deploy.add_argument("--keep", type=_positive_int, default=5, metavar="N", help="releases to keep on the board (default 5)")
    deploy.add_argument("--rollback", action="store_true", help="switch current back to the previous release")
    deploy.add_argument("--bitstream", type=Path, metavar="FILE.bit", help="pynq: the bitstream (its .hwh beside it)")
    deploy.add_argument("--bundle", help="tflite, edgetpu, pynq or csim (default: from the artifact and the board)")
    deploy.add_argument("--data", type=Path, metavar="DATA.npz", help="golden inputs (default: test.npz beside the artifact)")
    deploy.add_argument("--samples", type=_positive_int, metavar="N", help="use the first N golden samples")
    deploy.add_argument("--connect-timeout", type=float, metavar="S", help="seconds per connection attempt (default 10)")
    deploy.add_argument("--lock-timeout", type=float, default=60.0, metavar="S",
                        help="seconds to wait while another deploy holds the board's workdir (default 60)")
    deploy.add_argument("--json", action="store_true", help="print the summary as JSON")
    deploy.set_defaults(handler=_deploy)

    sweep = verbs.add_parser("sweep", parents=[common], help="explore a project's design space on Ray: QAT, export, fidelity "
                                                            "and estimate per trial, and the Pareto front",
                             description="Run a trial per configuration of SPACE.yaml (bits, sparsity, layer widths, reuse "
                                         "factor, strategy, io_type, board) on Ray, each one QAT, export, csim or TFLite Micro "
                                         "and the estimate; write sweep.csv, sweep.json and sweep.html (the Pareto front). "
                                         "With --best, pick the most accurate trial within limits and write its project file.")
    sweep.add_argument("project", type=Path, nargs="?", metavar="PROJECT.yaml")
    sweep.add_argument("--space", type=Path, metavar="SPACE.yaml", help="the values each parameter takes")
    sweep.add_argument("--out", type=Path, metavar="DIR", help="the sweep directory (default build/<name>-sweep)")
    sweep.add_argument("--search", choices=("grid", "optuna"), default="grid", help="grid (every combination, default) "
                                                                                    "or optuna (TPE)")
    sweep.add_argument("--trials", type=_positive_int, metavar="N", help="optuna: how many trials (default 16)")
    sweep.add_argument("--address", metavar="auto|HOST:PORT", help="a running Ray cluster (default: a local Ray)")
    sweep.add_argument("--resume", action="store_true", help="continue the interrupted sweep in --out")
    sweep.add_argument("--cpus-per-trial", type=_positive_int, default=1, metavar="N", help="cores per trial (default 1)")
    sweep.add_argument("--max-concurrent", type=_positive_int, metavar="N", help="at most N trials at once")
    sweep.add_argument("--best", action="store_true", help="pick from the finished sweep in --out (or PROJECT's) instead")
    for name in ("lut", "ff", "dsp", "bram", "flash", "ram"):
        sweep.add_argument(f"--max-{name}", type=float, metavar="F", help=f"--best: at most this fraction of the board's {name.upper()}")
    sweep.add_argument("--min-accuracy", type=float, metavar="A", help="--best: at least this accuracy")
    sweep.add_argument("-o", "--output", type=Path, metavar="BEST.yaml", help="--best: where to write the project (default DIR/best.yaml)")
    sweep.add_argument("--json", action="store_true", help="print the summary (or the picked row) as JSON")
    sweep.set_defaults(handler=_sweep)

    report = verbs.add_parser("report", parents=[common], help="write report.html and report.md for a build directory")
    report.add_argument("directory", type=Path, metavar="DIR")
    report.set_defaults(handler=_report)
    return parser


def _target_option_fields() -> dict[str, list[tuple[str, object]]]:
    """Every option field of every target, with the targets that take it."""
    fields: dict[str, list[tuple[str, object]]] = {}
    for name, record in targets().items():
        for field, info in record.Options.model_fields.items():
            fields.setdefault(field, []).append((name, info))
    return fields


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    """One flag per target option field (`io_type` -> `--io-type`); the help names the targets that take it.
    Values are checked by the target's Options model, so a wrong one gives one line naming the flag."""
    for field, uses in _target_option_fields().items():
        descriptions = {info.description for _, info in uses}
        names = ", ".join(name for name, _ in uses)
        text = (f"{names}: {descriptions.pop()}" if len(descriptions) == 1
                else "; ".join(f"{name}: {info.description}" for name, info in uses))
        parser.add_argument("--" + field.replace("_", "-"), dest=f"option_{field}", default=None,
                            metavar=_metavar(uses[0][1].annotation, field), help=text)


def _metavar(annotation, field: str) -> str:
    import typing

    if typing.get_origin(annotation) is typing.Literal:
        return "{" + ",".join(map(str, typing.get_args(annotation))) + "}"
    if annotation is int or "Int" in getattr(annotation, "__name__", ""):
        return "N"
    return field.upper()


def _given_target_options(args, target: str) -> dict:
    """The target options given on the command line; one for another target is refused by name."""
    from edgeaccel.errors import ConfigError

    given = {field: getattr(args, f"option_{field}") for field in _target_option_fields()
             if getattr(args, f"option_{field}") is not None}
    accepted = targets()[target].Options.model_fields if target in targets() else given
    for field in given:
        if field not in accepted:
            takers = ", ".join(name for name, _ in _target_option_fields()[field])
            raise ConfigError(f"--{field.replace('_', '-')}: expected with --target {takers}, received with --target {target}")
    return given


def _global_flags(default) -> argparse.ArgumentParser:
    """--debug and --quiet, accepted before or after the verb (the verb's copy must not reset them)."""
    flags = argparse.ArgumentParser(add_help=False)
    flags.add_argument("--debug", action="store_true", default=default, help="show tracebacks")
    flags.add_argument("--quiet", action="store_true", default=default, help="only warnings and errors on stderr")
    return flags


def _run(args) -> int:
    from edgeaccel.pipeline import run_project

    result = run_project(args.project, args.out, progress=not args.quiet)
    backends = result.metrics["backends"]
    if args.json:
        print(json.dumps({"directory": str(result.directory), "backends": backends, "fidelity": result.metrics.get("fidelity", {})}))
    from edgeaccel.metrics import PRIMARY

    task = result.metrics["task"]["name"]
    quality, agreement = PRIMARY[task]
    log.info("task: %s (%s)", task, result.metrics["task"]["reason"])
    for name, b in backends.items():
        log.info("%-8s %s %.4f  %s %.4f", name, quality, b[quality], agreement.replace("_", " ") + " (QKeras)", b[agreement])
    log.info("build directory: %s (report.md, metrics.json)", result.directory)
    tflm = result.metrics.get("fidelity", {}).get("tflm")
    if tflm:
        log.info("%s", tflm["verdict"])
        if not tflm["ok"]:
            from edgeaccel.errors import ValidationMismatch

            raise ValidationMismatch(tflm["verdict"])
    csim = result.metrics.get("fidelity", {}).get("csim")
    if csim:
        log.info("%s", csim["verdict"])
        if not csim["ok"]:
            from edgeaccel.errors import ValidationMismatch

            raise ValidationMismatch(csim["verdict"])
    return 0


def _train(args) -> int:
    from edgeaccel.pipeline import train_project

    result = train_project(args.project, args.out, progress=not args.quiet)
    log.info("wrote %s", result.directory / "model.h5")
    return 0


def _convert(args) -> int:
    from edgeaccel.convert import ConvertRequest
    from edgeaccel.targets import convert, target

    request = ConvertRequest(args.model, args.out, board=args.board, calib_path=args.calib,
                             options=_given_target_options(args, target(args.target).name))
    artifact = convert(request, args.target)
    log.info("wrote %s: %s artifact, %d files", artifact.directory, artifact.target, len(artifact.files))
    if artifact.estimate is not None:
        from edgeaccel.estimate import render_estimate

        if artifact.target == "edgetpu" and not args.quiet:
            print(render_estimate(artifact.estimate))
        elif "verdict" in artifact.estimate:
            log.info("estimate on %s: %s (edgeaccel estimate %s)", artifact.board, artifact.estimate["verdict"], artifact.directory)
    return 0


def _sim(args) -> int:
    import numpy as np

    from edgeaccel.artifact import write_json
    from edgeaccel.data import read_npz
    from edgeaccel.errors import DataError, ValidationMismatch
    from edgeaccel.targets import open_backend

    backend = open_backend(args.backend, args.artifact)
    x, y = read_npz(args.data)
    outputs = backend.predict(x)
    summary = {"backend": args.backend, "samples": len(x), "output_shape": list(outputs.shape)}
    if y is not None and y.ndim == 1 and y.dtype.kind in "iu" and outputs.ndim == 2:
        summary["accuracy"] = float(np.mean(outputs.argmax(axis=-1) == y))
    elif y is not None and y.shape == outputs.shape:
        summary["mse"] = float(np.mean((outputs - y) ** 2))
    fidelity = None
    if args.backend == "csim":
        from edgeaccel.sim.fidelity import csim_fidelity

        fidelity = csim_fidelity(backend, None, x)
        summary |= {"bit_exact_fraction": fidelity["bit_exact_fraction"],
                    "argmax_agreement": (fidelity["softmax"] or {}).get("argmax_agreement"), "verdict": fidelity["verdict"]}
    if args.out:
        from edgeaccel.staging import replaced_atomically

        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            with replaced_atomically(args.out) as tmp, open(tmp, "wb") as f:
                np.save(f, outputs)
            if fidelity is not None:
                write_json(args.out.with_suffix(".json"), summary | {"fidelity": fidelity})
        except OSError as e:
            raise DataError(f"--out: expected a writable .npy path, received {str(args.out)!r} ({e.strerror or e})") from e
    if args.json:
        print(json.dumps(summary))
    elif not args.quiet:
        print(" ".join(f"{k}={v}" for k, v in summary.items() if k != "verdict"))
        if fidelity is not None:
            print(fidelity["verdict"])
    if fidelity is not None and not fidelity["ok"]:
        raise ValidationMismatch(fidelity["verdict"])
    return 0


def _estimate(args) -> int:
    from edgeaccel.estimate import estimate_artifact, render_estimate

    estimate = estimate_artifact(args.artifact, args.board, args.hls_tool)
    print(json.dumps(estimate, indent=2) if args.json else render_estimate(estimate))
    return 0


def _bitstream(args) -> int:
    from edgeaccel.bitstream import build_bitstream

    build_bitstream(args.artifact)
    return 0


def _testbench(args) -> int:
    from edgeaccel.errors import ValidationMismatch
    from edgeaccel.sim.testbench import run_testbench

    result = run_testbench(args.artifact)
    print(json.dumps(result.summary()) if args.json else result.verdict)
    if not result.ok:
        raise ValidationMismatch(result.verdict)
    return 0


def _deploy(args) -> int:
    from edgeaccel.deploy import DeployRequest, deploy

    request = DeployRequest(
        board=args.board, host=args.host, artifact=args.artifact, user=args.user, port=args.port, key=args.key,
        workdir=args.workdir, remote_python=args.remote_python, known_hosts=args.known_hosts,
        trust_new_host=args.trust_new_host, keep=args.keep, rollback=args.rollback, bitstream=args.bitstream,
        bundle=args.bundle, data=args.data, samples=args.samples, connect_timeout_s=args.connect_timeout,
        lock_timeout_s=args.lock_timeout, progress=not args.quiet,
        ask_passphrase=_ask_passphrase if sys.stdin.isatty() else None,
    )
    result = deploy(request)
    if args.json:
        print(json.dumps(result.summary()))
    elif not args.quiet:
        print(result.describe())
    return 0


def _ask_passphrase(key: Path) -> str:
    import getpass

    return getpass.getpass(f"Enter passphrase for key '{key}': ")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {value}")
    return value


def _boards(args) -> int:
    from edgeaccel.boards import load_all_boards, load_board

    if args.name:
        board = load_board(args.name)
        print(json.dumps(board.model_dump(exclude_none=True), indent=2) if args.json else _board_text(board))
        return 0
    boards = load_all_boards()
    if args.json:
        print(json.dumps([b.model_dump(exclude_none=True) for b in boards], indent=2))
        return 0
    print(f"{'NAME':<18} {'KIND':<8} DESCRIPTION")
    for board in boards:
        print(f"{board.name:<18} {board.kind:<8} {board.description}")
    return 0


def _board_text(board) -> str:
    import yaml

    return yaml.safe_dump(board.model_dump(exclude_none=True), sort_keys=False).rstrip()


def _sweep(args) -> int:
    from edgeaccel.errors import ConfigError

    limits = {name: getattr(args, f"max_{name}") for name in ("lut", "ff", "dsp", "bram", "flash", "ram")
              if getattr(args, f"max_{name}") is not None}
    if args.best:
        return _sweep_best(args, limits)
    if limits or args.min_accuracy is not None or args.output:
        raise ConfigError("--max-*/--min-accuracy/-o: expected with --best, received without it")
    if args.project is None or args.space is None:
        raise ConfigError(f"sweep: expected PROJECT.yaml and --space SPACE.yaml, received "
                          f"{'no PROJECT.yaml' if args.project is None else 'no --space'}")
    from edgeaccel.sweep import SweepRequest, run_sweep

    request = SweepRequest(args.project, args.space, out=args.out, search=args.search, trials=args.trials,
                           address=args.address, resume=args.resume, cpus_per_trial=args.cpus_per_trial,
                           max_concurrent=args.max_concurrent, progress=not args.quiet)
    result = run_sweep(request)
    summary = result.summary
    if args.json:
        print(json.dumps(summary))
    for row in summary["rows"]:
        if row["status"] != "ok":
            log.warning("trial %s failed: %s", row["trial"], row["error"])
    log.info("sweep: %d trial(s), %d finished, %d failed, in %.0f s; front: %s", summary["trials"], summary["finished"],
             summary["failed"], summary["seconds"], "; ".join(f"{board} {len(trials)} trial(s)" for board, trials in summary["front"].items()))
    log.info("wrote %s (sweep.csv, sweep.json, sweep.html)", result.directory)
    if result.interrupted:
        log.warning("sweep interrupted: finished trials are kept; continue with the same command and --resume")
        raise KeyboardInterrupt
    return 0


def _sweep_best(args, limits: dict) -> int:
    from edgeaccel.errors import ConfigError
    from edgeaccel.sweep import best, default_sweep_dir

    if args.out is None and args.project is None:
        raise ConfigError("--best: expected --out DIR (the sweep directory) or PROJECT.yaml, received neither")
    if args.out is not None:
        directory = args.out
    else:
        from edgeaccel.project import load_project

        directory = default_sweep_dir(load_project(args.project).name)
    row, path = best(directory, limits, args.min_accuracy, args.output)
    if args.json:
        print(json.dumps(row))
    elif not args.quiet:
        print(f"trial {row['trial']}: accuracy {row['accuracy']:.4f} on {row['parameters']['board']}, "
              f"{row['scarcest'].upper()} {row['scarcest_percent']:g}% of the board; wrote {path}")
    return 0


def _report(args) -> int:
    from edgeaccel.report import write_report

    log.info("wrote %s", write_report(args.directory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
