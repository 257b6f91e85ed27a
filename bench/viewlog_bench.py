""" "Who viewed my case" benchmark: what recording a clerk's look costs the page.

    .venv/bin/python bench/viewlog_bench.py [--requests 300]

It uses its own SQLite file and media under a temporary directory, makes a submitted case with a PDF
through the services, and signs in a clerk of the accepting district. Then:

- in process, the SQL statements of the case page and of the document view for that clerk, before the
  response and when it closes (where the record is written), with recording on and off;
- through two uvicorn servers started side by side on the same database — the application, and the same
  application with recording switched off (bench/viewlog_off.py) — the clerk's case page and the PDF,
  sequential keep-alive requests alternating between the servers, so both see the same machine.
"""

from __future__ import annotations

import argparse
import http.client
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))  # run as a script: the project root, for bench.measure

from bench.measure import PYTHON, bench_env, bench_setup, free_port, percentile, summary  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    requests = max(20, min(args.requests, 3000))  # bounded
    work = Path(tempfile.mkdtemp(prefix="viewlog-bench-"))
    env = bench_env(work)
    bench_setup(env)
    from django.conf import settings
    from django.core.signals import request_finished
    from django.db import close_old_connections, connection
    from django.http.response import HttpResponseBase
    from django.test import Client, RequestFactory
    from django.test.utils import CaptureQueriesContext

    from cases import views
    from cases.models import CaseView
    from cases.services import case_views
    from tests import factories as f

    citizen = f.make_user("citizen")
    clerk = f.make_user("clerk", code=f.HUANGPU)
    case = f.submitted_case(applicant=citizen)
    material = case.materials.filter(current=True, content_type="application/pdf").first()
    assert material is not None
    page_path = f"/cases/{case.reference}/"
    document_path = f"/cases/{case.reference}/documents/{material.pk}/"

    # In process: statements before the response and at its close, recording on and off.
    request_finished.disconnect(close_old_connections)  # keep this process's connection across closes

    def statements(recorded: bool, path: str) -> tuple[int, int, float]:
        original = case_views.case_view_is_recorded
        if not recorded:
            case_views.case_view_is_recorded = lambda **_: False
        try:
            request = RequestFactory().get(path)
            request.user = clerk
            response: HttpResponseBase
            with CaptureQueriesContext(connection) as before:
                if path == page_path:
                    response = views.case_detail(request, case.reference)
                else:
                    response = views.case_document(request, case.reference, material.pk)
                    b"".join(response.streaming_content)  # type: ignore[attr-defined]
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as after:
                response.close()
            return len(before), len(after), (time.perf_counter() - started) * 1000
        finally:
            case_views.case_view_is_recorded = original

    counts = {}
    for name, path in (("case page", page_path), ("document", document_path)):
        statements(True, path)  # warm-up
        on = statements(True, path)
        off = statements(False, path)
        counts[name] = (on, off)
    close_times = [statements(True, page_path)[2] for _ in range(200)]

    client = Client()
    client.force_login(clerk)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    rows_before = CaseView.objects.count()

    servers = {}
    ports = {}
    try:
        for label, app in (("recorded", "govservice.asgi:application"), ("control", "bench.viewlog_off:application")):
            ports[label] = free_port()
            servers[label] = subprocess.Popen(
                [
                    *(PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(ports[label])),
                    *("--no-access-log", "--log-level", "warning"),
                ],
                cwd=BASE,
                env=env,
            )
        conns: dict[str, http.client.HTTPConnection] = {}
        deadline = time.monotonic() + 60
        for label, port in ports.items():
            while True:
                try:
                    conns[label] = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    conns[label].request("GET", "/static/css/app.css")
                    conns[label].getresponse().read()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        times: dict[tuple[str, str], list[float]] = {}
        headers = {"Cookie": cookie}
        for i in range(requests * 4 + 40):
            label = ("recorded", "control")[i % 2]
            what, path = (("case page", page_path), ("document", document_path))[(i // 2) % 2]
            started = time.perf_counter()
            conns[label].request("GET", path, headers=headers)
            response = conns[label].getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status == 200, (label, path, response.status)
            if i >= 40:
                times.setdefault((what, label), []).append(elapsed)
        for conn in conns.values():
            conn.close()
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(timeout=15)
    time.sleep(0.2)
    recorded_rows = CaseView.objects.count() - rows_before

    print(f"requests: {requests} of each page per server (sequential, keep-alive, alternating servers)")
    for name, ((on_before, on_after, _), (off_before, off_after, _)) in counts.items():
        print(
            f"SQL statements, {name}: recording on {on_before} before the response + {on_after} at its close; "
            f"off {off_before} + {off_after}"
        )
    print(
        f"the record's INSERT at close, in process: p50={percentile(close_times, 50):.2f} ms "
        f"p95={percentile(close_times, 95):.2f} ms"
    )
    for what in ("case page", "document"):
        for label in ("recorded", "control"):
            print(summary(f"{what}, {label}", times[(what, label)], width=24))
        delta = percentile(times[(what, "recorded")], 95) - percentile(times[(what, "control")], 95)
        print(f"{what}: p95 recorded − control = {delta:+.2f} ms")
    expected = (requests * 4 + 40) // 2  # warm-up included
    print(f"views recorded by the recording server: {recorded_rows} (expected {expected}, warm-up included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
