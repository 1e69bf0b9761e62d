"""The vendor build of an hls artifact (HLS synthesis, and the bitstream where the backend makes one).

It runs the batch scripts hls4ml generated, through subprocess with check=True. Without the
vendor tools on PATH it stops and says which tool and version it expects.
"""

import logging
import shutil
from pathlib import Path

from edgeaccel.artifact import read_artifact
from edgeaccel.details import HlsDetails
from edgeaccel.errors import ToolError
from edgeaccel.tools import run_tool

log = logging.getLogger(__name__)

# What each hls4ml 1.3 backend's generated scripts are run with, in order.
FLOWS = {
    "VivadoAccelerator": [
        ("vivado_hls", "Vivado HLS 2019.2 or 2020.1 (hls4ml 1.3's VivadoAccelerator flow)",
         ["vivado_hls", "-f", "build_prj.tcl", "reset=1 csim=0 synth=1 cosim=0 validation=0 export=1 vsynth=0"]),
        ("vivado", "Vivado 2019.2 or 2020.1, to build the block design and the bitstream",
         ["vivado", "-mode", "batch", "-source", "design.tcl"]),
    ],
    "Vivado": [
        ("vivado_hls", "Vivado HLS 2019.2 or 2020.1", ["vivado_hls", "-f", "build_prj.tcl", "reset=1 csim=0 synth=1 export=1"]),
    ],
    "Vitis": [
        ("vitis_hls", "Vitis HLS 2023.2 or newer (hls4ml 1.3's Vitis flow)",
         ["vitis_hls", "-f", "build_prj.tcl", "reset=1 csim=0 synth=1 export=1"]),
    ],
}


def build_bitstream(directory: Path | str) -> list[Path]:
    """Run the vendor flow for the artifact's backend; return the .bit/.hwh (or exported IP) files made."""
    directory = Path(directory)
    artifact = read_artifact(directory, HlsDetails)
    backend = artifact.details.backend
    project = directory / artifact.details.project_dir
    steps = FLOWS[backend]
    for tool, expected, _ in steps:
        if shutil.which(tool) is None:
            raise ToolError(f"bitstream for {artifact.board}: expected {tool!r} on PATH ({expected}), received none; "
                            f"source the vendor's settings64.sh first")
    for tool, _, command in steps:
        log.info("running %s in %s (this takes minutes to hours)", " ".join(command), project)
        run_tool(command, cwd=project)
    made = sorted(project.rglob("*.bit")) + sorted(project.rglob("*.hwh"))
    log.info("vendor build done: %s", ", ".join(str(p) for p in made) or "HLS synthesis only (no bitstream for this backend)")
    return made
