"""Analyses that estimate what an artifact costs on a board, with no vendor tools. Pure functions."""

from pathlib import Path

from edgeaccel.errors import ConfigError


def estimate_artifact(directory: Path | str, board_name: str | None = None) -> dict:
    """The estimate of a convert output directory against a board (default: the board it was built for)."""
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
        return estimate_fpga(layers_from_hls_records(details["layers"], details), board, details["io_type"])
    raise ConfigError(f"{directory}: expected an hls artifact to estimate, received a {artifact.target} artifact")
