"""Headers and logs under scrutiny: the enforced CSP, query strings kept out of the server's log, a
bounded graceful shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import websockets
from django.conf import settings as django_settings
from websockets.typing import Origin

from govservice import stack
from govservice.access_log import redact_query
from tests.conftest import database_env_for_children, free_port

if TYPE_CHECKING:
    from django.test import Client


# --- Content-Security-Policy (enforced; the browser test is tests/test_csp_browser.py) -------------------------


@pytest.mark.django_db
def test_pages_carry_an_enforced_policy_that_forbids_inline_scripts(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert "Content-Security-Policy-Report-Only" not in response  # enforced, not only reported
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"  # no nonce on a page that has no inline <style>
    assert "'unsafe-inline'" not in policy
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["report-uri"] == "/csp-report/"


def test_the_report_endpoint_logs_the_violation_without_the_query_string(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    report = {
        "csp-report": {
            "document-uri": "http://127.0.0.1:8000/cases/mine/?q=13800138000",
            "violated-directive": "script-src-attr",
            "blocked-uri": "inline",
        }
    }
    with caplog.at_level(logging.WARNING, logger="govservice.csp"):
        answer = client.post("/csp-report/", json.dumps(report), content_type="application/csp-report")
    assert answer.status_code == 204
    assert "script-src-attr" in caplog.text and "/cases/mine/" in caplog.text
    assert "13800138000" not in caplog.text
    assert client.post("/csp-report/", "x" * 20_000, content_type="application/csp-report").status_code == 413
    assert client.get("/csp-report/").status_code == 405


# --- The server's own log: query strings redacted ---------------------------------------------------------


def test_redaction_keeps_the_parameter_names_and_drops_the_values() -> None:
    assert redact_query("/admin/accounts/user/?q=13800138000&o=1") == "/admin/accounts/user/?q=[redacted]&o=[redacted]"
    assert redact_query("/ws/assist/recorder/?token=s3cret") == "/ws/assist/recorder/?token=[redacted]"
    assert redact_query("/healthz") == "/healthz"
    assert redact_query("GET") == "GET"


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path


@pytest.fixture
def logged_server(tmp_path: Path) -> Iterator[Server]:
    """A real uvicorn started as `make run` starts it, with its access log on, writing to a file."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        **database_env_for_children(),
        "VAR_DIR": str(tmp_path),
        "SECRET_KEY": django_settings.SECRET_KEY,
    }
    log = tmp_path / "uvicorn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            stack.asgi_server_args(host="127.0.0.1", port=port, access_log=True),
            cwd=stack.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(url + "/accounts/login/", timeout=5).close()
                break
            time.sleep(0.2)
        yield Server(url, proc, log)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.mark.e2e
@pytest.mark.django_db
def test_the_servers_log_has_no_query_string_values(logged_server: Server) -> None:
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(logged_server.url + "/accounts/login/?phone=13800138000&next=/", timeout=10).close()

    async def socket_with_token() -> None:
        ws_url = logged_server.url.replace("http://", "ws://") + "/ws/events/?token=s3cret-recorder-token"
        with contextlib.suppress(Exception):
            async with websockets.connect(ws_url, origin=Origin(logged_server.url)) as ws:
                await asyncio.wait_for(ws.recv(), 5)

    asyncio.run(socket_with_token())
    time.sleep(0.5)
    text = logged_server.log.read_text()
    assert "/accounts/login/?phone=[redacted]&next=[redacted]" in text, text
    assert "/ws/events/?token=[redacted]" in text, text
    assert "13800138000" not in text
    assert "s3cret-recorder-token" not in text


# --- SIGTERM with a half-sent upload ----------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.django_db
def test_sigterm_does_not_wait_for_ever_on_a_half_sent_upload(logged_server: Server) -> None:
    host, port = logged_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as upload:
        upload.sendall(
            b"POST /api/cases/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b'Content-Length: 10000000\r\n\r\n{"item": "'
        )
        time.sleep(0.5)
        started = time.monotonic()
        os.killpg(logged_server.proc.pid, signal.SIGTERM)
        logged_server.proc.wait(timeout=30)
        waited = time.monotonic() - started
    # uvicorn --timeout-graceful-shutdown 10: the upload gets 10 s to finish, then the server exits.
    assert waited < 14, waited
