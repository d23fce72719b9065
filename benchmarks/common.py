"""What both benchmarks share: timing the garbage collector, naming the CPU."""

from __future__ import annotations

import contextlib
import gc
import platform
from time import perf_counter


class GcWatch:
    """Time spent in the cyclic garbage collector while the block runs (all generations)."""

    def __enter__(self) -> GcWatch:
        self.seconds, self.full, self._start = 0.0, 0, 0.0
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = perf_counter()
        else:
            self.seconds += perf_counter() - self._start
            self.full += info["generation"] == 2

    def __str__(self) -> str:
        return f"gc took {self.seconds:.2f} s of it ({self.full} full collections)"


def cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"
