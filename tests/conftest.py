"""Shared fixtures: reference data, a live stack of real processes, a real browser."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from govservice import stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from pytest_django import DjangoDbBlocker

    from accounts.models import User

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def c9_reference_data(request: pytest.FixtureRequest) -> None:
    """Districts and windows come from a data migration; transactional tests flush them, so re-seed."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & {"db", "transactional_db"}:
        return
    transactional = "transactional_db" in names or bool(marker and marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    from standards.districts import seed_districts
    from standards.models import District, Province, ServiceWindow

    if not District.objects.exists():
        seed_districts(Province, District, ServiceWindow)


@pytest.fixture(scope="session")
def trust_key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The districts' key files for the whole run, shared with the live stack's processes."""
    return tmp_path_factory.mktemp("keys")


@pytest.fixture(autouse=True)
def _trust_keys_and_anchors(trust_key_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keys are created and entered in the registry on first use (the registry is emptied with the database);
    each test keeps its anchors apart (references come back after a rollback)."""
    from django.conf import settings

    settings.TRUST_KEYS_AUTO = True
    settings.TRUST_KEY_DIR = trust_key_dir
    settings.TRUST_ANCHOR_DIR = tmp_path_factory.mktemp("anchors")


@pytest.fixture(scope="session", autouse=True)
def _flush_tries_again_after_a_deadlock() -> Iterator[None]:
    """A transactional test's flush (one TRUNCATE of every table) tries again when PostgreSQL chose it as a
    deadlock's victim. The live stack's servers keep working after a test (a retried routing task, a queue
    broadcast); the wait below makes that rare but cannot exclude it, and the loser is rolled back whole, so
    a second TRUNCATE is safe. Any other failure of the flush is raised at once."""
    from django.core.management.base import CommandError
    from django.core.management.commands import flush

    handle = flush.Command.handle

    def handle_again_after_a_deadlock(self: flush.Command, **options: object) -> None:
        for attempt in range(3):
            try:
                handle(self, **options)
                return
            except CommandError as error:
                if attempt == 2 or "deadlock detected" not in str(error.__cause__):
                    raise
                time.sleep(0.5)

    flush.Command.handle = handle_again_after_a_deadlock  # type: ignore[method-assign]
    yield
    flush.Command.handle = handle  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _live_stack_quiet_before_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test that drove the live stack, wait for its servers to finish what the test set off.

    Closing sockets makes the ASGI server write after the test has ended (a call member leaves, a
    console goes offline, a routing pass); on PostgreSQL such a transaction and the flush's TRUNCATE
    can deadlock. So before the flush (this teardown runs first: it holds the database fixture),
    wait until no other session of the test database is running a statement or holds a transaction.
    """
    if "live_stack" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("_django_db_helper")
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + 20
    quiet = 0
    while quiet < 3 and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND state IN ('active', 'idle in transaction', 'idle in transaction (aborted)')"
            )
            row = cursor.fetchone()
        busy = row[0] if row else 0
        quiet = quiet + 1 if busy == 0 else 0
        time.sleep(0.1)


@pytest.fixture
def cast(db: None) -> dict[str, User]:
    """The fixed cast of users every app's tests share (tests/factories.py, `make_cast`)."""
    from tests.factories import make_cast

    return make_cast()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def database_env_for_children() -> dict[str, str]:
    """Point child processes at the test database the test process uses."""
    from django.db import connection

    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"SQLITE_PATH": str(settings_dict["NAME"]), "DATABASE_URL": ""}
    user = settings_dict.get("USER") or ""
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return {"DATABASE_URL": f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"}


@dataclass
class LiveStack:
    http_url: str
    ws_url: str
    supervisor: stack.Supervisor
    env: dict[str, str]

    def url(self, path: str) -> str:
        return self.http_url + path

    def ws(self, path: str) -> str:
        return self.ws_url + path


@pytest.fixture(scope="session")
def live_stack(
    django_db_setup: None,
    django_db_blocker: DjangoDbBlocker,
    tmp_path_factory: pytest.TempPathFactory,
    trust_key_dir: Path,
) -> Iterator[LiveStack]:
    """A real uvicorn ASGI server and a real Celery worker on the test database and the test Redis."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        **database_env_for_children(),
        "PYTHONUNBUFFERED": "1",
        "VAR_DIR": str(tmp_path_factory.mktemp("live-var")),
        # The same district keys as the test process (the registry is in the shared test database).
        "TRUST_KEY_DIR": str(trust_key_dir),
        "TRUST_KEYS_AUTO": "true",
    }
    # Child processes share the test process's secret key so sessions made here are valid there.
    from django.conf import settings

    env["SECRET_KEY"] = settings.SECRET_KEY
    supervisor = stack.Supervisor()
    try:
        # tests.worker_hooks: the test-only tasks (e.g. push_to_user) live there, not in the system's modules.
        worker = [
            *stack.celery_worker_args(concurrency=2, hostname=f"test-{port}@%h"),
            "--include",
            "tests.worker_hooks",
        ]
        supervisor.spawn("celery-worker", worker, env=env)
        supervisor.spawn("asgi", stack.asgi_server_args(host="127.0.0.1", port=port, access_log=False), env=env)
        stack.wait_for_http(f"http://127.0.0.1:{port}/healthz?probe=startup", timeout=90, supervisor=supervisor)
        yield LiveStack(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", supervisor, env)
    finally:
        supervisor.stop_all()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium with fake camera and microphone, driven by Playwright.

    Module-scoped: Playwright's sync API keeps an event loop running in the main thread while it is
    started, which breaks asyncio.run and async_to_sync in every later test; stop it after each module.
    """
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing: .ci/run must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM guard would
    # then refuse the test's own queries, though they never run inside that loop.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
                "--disable-gpu",
            ],
        )
        try:
            yield chromium
        finally:
            chromium.close()
            if previous is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _catalogue_rechecked() -> None:
    """Each test reads the catalogue's generation afresh: values kept per generation (the search index, the home
    page's counts) were computed from an earlier test's rows, rolled back since."""
    from standards.generation import catalogue_changed

    catalogue_changed()
