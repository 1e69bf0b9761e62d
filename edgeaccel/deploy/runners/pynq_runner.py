"""edgeaccel deploy runner for PYNQ boards: the bitstream, driven through edgeaccel_overlay.Accelerator
(AXI DMA in and out). Standalone: pynq and numpy, never edgeaccel.

    python3 pynq_runner.py --out results.json

It sends the golden inputs one sample per DMA transfer and writes the outputs with the
per-sample latency (DMA round trip) to the results file.
"""

from __future__ import annotations


import numpy as np

from edgeaccel_results import HERE, fail, latency_summary, start, write_results

WARMUP = 5


def main() -> None:
    out, bundle = start(__doc__.splitlines()[0])
    spec = bundle["runner_args"]
    try:
        from edgeaccel_overlay import Accelerator
        import pynq
    except ImportError as e:
        fail(f"expected the pynq package on the board (a PYNQ image, or its venv as the remote Python), received: {e}")
    x = np.load(HERE / bundle["golden"]["inputs"], allow_pickle=False).reshape(-1, spec["n_in"]).astype(np.float32)
    accelerator = Accelerator(str(HERE / spec["bitstream"]), n_in=spec["n_in"], n_out=spec["n_out"], batch=1,
                              dma=spec["dma"], timeout_s=spec["timeout_s"])
    accelerator.predict(x[:WARMUP])
    outputs, seconds = accelerator.predict(x)
    write_results(out, outputs.tolist(), latency_summary(seconds), f"pynq {pynq.__version__}",
                  bitstream=spec["bitstream"])


if __name__ == "__main__":
    main()
