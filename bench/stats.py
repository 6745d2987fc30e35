"""Small measuring helpers: percentiles, wall-clock timing, a process's memory high-water mark."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) — no interpolation, so p95 is a latency that really occurred."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(seconds: list[float]) -> dict[str, float]:
    """p50/p95/max in milliseconds, and the sample count."""
    return {
        "n": len(seconds),
        "p50_ms": round(percentile(seconds, 50) * 1000, 1),
        "p95_ms": round(percentile(seconds, 95) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1) if seconds else math.nan,
    }


class Stopwatch:
    seconds: float = math.nan


@contextmanager
def timed() -> Iterator[Stopwatch]:
    """`with timed() as t: ...` then `t.seconds`."""
    watch = Stopwatch()
    start = time.perf_counter()
    try:
        yield watch
    finally:
        watch.seconds = time.perf_counter() - start


def memory_mb(pid: int) -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of a live process, in MB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = round(int(value.split()[0]) / 1024, 1)  # reported in kB
    return {"rss_mb": fields.get("VmRSS", math.nan), "peak_rss_mb": fields.get("VmHWM", math.nan)}
