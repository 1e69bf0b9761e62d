"""Analyses that estimate what an artifact costs on a board, with no vendor tools. Pure functions."""

from pathlib import Path

from edgeaccel.errors import ConfigError


ESTIMATED_TARGETS = ("hls", "tflm", "edgetpu")


def can_estimate(artifact) -> bool:
    """Whether `estimate_artifact` has an estimate for this artifact on the board it was built for."""
    return artifact.target in ESTIMATED_TARGETS and artifact.board is not None


def estimate_artifact(directory: Path | str, board_name: str | None = None, hls_tool: str | None = None) -> dict:
    """The estimate of a convert output directory against a board, as `edgeaccel estimate`.

    An hls artifact gets FPGA resources, latency and initiation interval; a tflm artifact flash and
    RAM; an edgetpu artifact (or a tflite artifact on an Edge TPU board) the op mapping. The board
    defaults to the one the artifact was converted for; `hls_tool` ("vivado" or "vitis") picks the
    HLS tool of an hls artifact's estimate (default: the board backend's). Raises ConfigError when no
    board is known, the artifact's target has no estimate, or an HLS tool is given for another target;
    ModelError for a directory that is not an artifact.
    """
    from edgeaccel.artifact import read_artifact
    from edgeaccel.boards import load_board

    artifact = read_artifact(directory)
    name = board_name or artifact.board
    if name is None:
        raise ConfigError(f"--board: expected a board name for {directory} (it was converted without one), received none")
    board = load_board(name)
    if artifact.target == "hls":
        from edgeaccel.estimate.fpga import estimate_fpga, layers_from_hls_records

        details = artifact.details
        return estimate_fpga(layers_from_hls_records(details["layers"], details), board, details["io_type"], hls_tool)
    if hls_tool is not None:
        raise ConfigError(f"--hls-tool: expected an hls artifact, received a {artifact.target} artifact")
    if artifact.target == "tflm":
        from edgeaccel.estimate.mcu import estimate_mcu

        return estimate_mcu(artifact.details, board)
    if artifact.target == "edgetpu" or (artifact.target == "tflite" and board.kind == "edgetpu"):
        return _edgetpu_estimate(artifact, board)
    raise ConfigError(f"{directory}: expected an hls, tflm or edgetpu artifact to estimate, received a {artifact.target} artifact")


def _edgetpu_estimate(artifact, board) -> dict:
    """The Edge TPU op mapping of an edgetpu artifact's model, or of a tflite artifact's (would it map as it is?)."""
    from edgeaccel.estimate.edgetpu import analyse_edgetpu

    if board.kind != "edgetpu":
        raise ConfigError(f"--board: expected an Edge TPU board for an edgetpu artifact, received {board.name!r} (kind {board.kind})")
    compiler = artifact.details.get("compiler") or {
        "available": False, "reason": "not compiled: a tflite artifact (convert with --target edgetpu for static shapes and edgetpu_compiler)"}
    flatbuffer = artifact.file(artifact.details["model_file"]).read_bytes()
    return analyse_edgetpu(flatbuffer) | {"board": board.name, "compiler": compiler}


def render_estimate(estimate: dict) -> str:
    """The text form of any estimate estimate_artifact returns."""
    if estimate.get("kind") == "mcu":
        from edgeaccel.estimate.mcu import render_mcu_estimate

        return render_mcu_estimate(estimate)
    if estimate.get("kind") == "edgetpu":
        from edgeaccel.estimate.edgetpu import render_edgetpu_analysis

        return f"{estimate['board']}\n\n" + render_edgetpu_analysis(estimate, estimate["compiler"])
    from edgeaccel.estimate.fpga import render_fpga_estimate

    return render_fpga_estimate(estimate)
