"""What the HTTP benchmarks share: percentiles, a summary line, a free loopback port."""

from __future__ import annotations

import socket
import statistics


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0–100)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def summary(name: str, values: list[float], *, width: int = 38) -> str:
    return (
        f"{name:<{width}} n={len(values):<4} p50={percentile(values, 50):6.2f} ms  "
        f"p95={percentile(values, 95):6.2f} ms  p99={percentile(values, 99):6.2f} ms  "
        f"mean={statistics.fmean(values):6.2f} ms"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
