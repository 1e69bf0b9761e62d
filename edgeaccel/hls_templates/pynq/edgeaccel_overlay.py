"""PYNQ driver for an edgeaccel/hls4ml VivadoAccelerator design (AXI-stream in and out through one AXI DMA).

Standalone: it needs only `pynq` and numpy on the board, never edgeaccel. Copied into every
VivadoAccelerator artifact by `edgeaccel convert --target hls`.

    from edgeaccel_overlay import Accelerator
    acc = Accelerator("design.bit", n_in=64, n_out=10)
    y, seconds = acc.predict(x)          # x: (samples, n_in) float32

Unlike a bare `dma.wait()`, a transfer that does not finish within `timeout_s` raises
TimeoutError naming the sizes involved, instead of hanging the board (hls4ml#776: the DMA waits
forever when the receive buffer is larger than what the design produces, or the stream's TLAST
never comes).
"""

import time

import numpy as np


class Accelerator:
    def __init__(self, bitfile: str, n_in: int, n_out: int, batch: int = 1024, dma: str = "hier_0/axi_dma_0",
                 timeout_s: float = 5.0):
        from pynq import Overlay, allocate

        self.overlay = Overlay(bitfile)
        block = self.overlay
        for part in dma.split("/"):
            block = getattr(block, part)
        self.send, self.receive = block.sendchannel, block.recvchannel
        self.n_in, self.n_out, self.batch, self.timeout_s = n_in, n_out, batch, timeout_s
        self.inputs = allocate(shape=(batch, n_in), dtype=np.float32)
        self.outputs = allocate(shape=(batch, n_out), dtype=np.float32)

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, list[float]]:
        """Outputs for every sample, and the seconds each DMA batch took (for latency figures)."""
        x = np.asarray(x, dtype=np.float32).reshape(len(x), -1)
        if x.shape[1] != self.n_in:
            raise ValueError(f"expected samples of {self.n_in} values, received {x.shape[1]}")
        y = np.empty((len(x), self.n_out), dtype=np.float32)
        durations = []
        for start in range(0, len(x), self.batch):
            chunk = x[start:start + self.batch]
            n = len(chunk)
            self.inputs[:n] = chunk
            began = time.perf_counter()
            self.receive.transfer(self.outputs, nbytes=n * self.n_out * 4)
            self.send.transfer(self.inputs, nbytes=n * self.n_in * 4)
            self._wait(self.send, "send", n)
            self._wait(self.receive, "receive", n)
            durations.append(time.perf_counter() - began)
            y[start:start + n] = self.outputs[:n]
        return y, durations

    def _wait(self, channel, which: str, samples: int) -> None:
        deadline = time.monotonic() + self.timeout_s
        while not channel.idle:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"DMA {which} did not finish within {self.timeout_s}s for {samples} samples "
                    f"({samples * self.n_in} input and {samples * self.n_out} output floats): check that the "
                    f"bitstream matches this model's sizes and that the design asserts TLAST"
                )
            time.sleep(0.0001)
