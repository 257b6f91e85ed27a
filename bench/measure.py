"""What the benchmarks share: percentiles, a summary line, a free loopback port, and the bench's environment
(its own database, media, keys and settings, migrated)."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
PYTHON = str(BASE / ".venv" / "bin" / "python") if (BASE / ".venv" / "bin" / "python").exists() else sys.executable
# A Redis address nothing listens on, for benches whose code never reaches Redis.
NO_REDIS = "redis://127.0.0.1:1/0"


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


def bench_env(work: Path, *, database_url: str = "", redis_url: str | None = NO_REDIS, **extra: str) -> dict[str, str]:
    """A bench's environment: this process's, with its own SQLite file (or `database_url`), media and var
    directory in `work`, quiet logs, Django's settings, and its own district keys and anchors made on first use
    (benches that accept cases sign them: trust). `redis_url=None` leaves REDIS_URL as it is."""
    env = dict(os.environ)
    env.update(
        {
            "SQLITE_PATH": str(work / "bench.sqlite3"),
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": str(work / "media"),
            "VAR_DIR": str(work),
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "govservice.settings",
            "TRUST_KEYS_AUTO": "1",
            "TRUST_KEY_DIR": str(work / "keys"),
            "TRUST_ANCHOR_DIR": str(work / "anchors"),
        }
    )
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


def bench_setup(env: dict[str, str]) -> None:
    """Migrate the bench's database, take its environment in this process, and set Django up."""
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE, env=env, check=True)
    os.environ.update(env)
    import django

    django.setup()
