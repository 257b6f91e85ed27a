"""Document view benchmark: a 2 MB PDF through the authorised view (/cases/<ref>/documents/<id>/: access check,
SHA-256 check of the whole file, streamed response) beside a static file of the same size served by the same
uvicorn server in the same run, and the SQL statements one view makes.

    .venv/bin/python bench/document_bench.py [--requests 300] [--size-mb 2]

It uses its own SQLite file, media and static folders under a temporary directory, makes a case with one PDF
through the services (as an upload would), signs a clerk of the approving district in, starts uvicorn on a free
loopback port and sends a bounded number of keep-alive requests one at a time, alternating the two URLs.
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

from bench.measure import PYTHON, bench_env, bench_setup, free_port, summary  # noqa: E402


def pdf_of(size: int) -> bytes:
    head = b"%PDF-1.4\n1 0 obj<<>>endobj\n"
    tail = b"\ntrailer<<>>\n%%EOF\n"
    return head + b"%" * (size - len(head) - len(tail)) + tail


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--size-mb", type=float, default=2.0)
    args = parser.parse_args()
    requests = max(20, min(args.requests, 3000))  # bounded
    size = int(args.size_mb * 1024 * 1024)
    work = Path(tempfile.mkdtemp(prefix="document-bench-"))
    (work / "static").mkdir()
    body = pdf_of(size)
    (work / "static" / "bench-document.pdf").write_bytes(body)
    env = bench_env(work, STATIC_ROOT=str(work / "static"))
    bench_setup(env)
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from cases import services
    from standards.models import ItemMaterial
    from tests import factories as f

    citizen = f.make_user("citizen")
    version = f.make_item()
    form = version.materials.get(material_type__code="M-FORM")
    ItemMaterial.objects.filter(pk=form.pk).update(max_size_mb=max(2, int(args.size_mb) + 1))
    form.refresh_from_db()
    case = services.case_draft_create(applicant=citizen, item_version=version, actor=citizen)
    material = services.case_material_add(
        case=case,
        item_material=form,
        uploaded_file=SimpleUploadedFile("form.pdf", body, content_type="application/pdf"),
        actor=citizen,
    )
    # The applicant reads it: the same view, access check and hash check as for a clerk.
    client = Client()
    client.force_login(citizen)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    path = f"/cases/{case.reference}/documents/{material.pk}/"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, HTTP_HOST="127.0.0.1")
        assert response.status_code == 200, response.status_code
        b"".join(response.streaming_content)  # type: ignore[attr-defined]

    port = free_port()
    server = subprocess.Popen(
        [
            *(PYTHON, "-m", "uvicorn", "govservice.asgi:application", "--host", "127.0.0.1", "--port", str(port)),
            *("--no-access-log", "--log-level", "warning"),
        ],
        cwd=BASE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/static/bench-document.pdf")
                conn.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        headers = {"Cookie": cookie}
        view_times: list[float] = []
        static_times: list[float] = []
        for i in range(requests * 2 + 20):
            view = i % 2 == 0
            started = time.perf_counter()
            conn.request("GET", path if view else "/static/bench-document.pdf", headers=headers if view else {})
            response_ = conn.getresponse()
            data = response_.read()
            elapsed = (time.perf_counter() - started) * 1000
            assert response_.status == 200 and len(data) == size, (response_.status, len(data))
            if i >= 20:  # the first ten of each: warm-up
                (view_times if view else static_times).append(elapsed)
        conn.close()
    finally:
        server.terminate()
        server.wait(timeout=15)

    print(f"document: {size / 1024 / 1024:.1f} MiB PDF; requests: {requests} of each (sequential, keep-alive)")
    print(summary("GET /cases/<ref>/documents/<id>/ (authorised)", view_times, width=44))
    print(summary("floor: the same bytes as a static file", static_times, width=44))
    print(f"SQL statements per document view (session, user, case and material, in process): {len(queries)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
