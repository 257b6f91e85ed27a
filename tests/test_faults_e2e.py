"""Faults of the machine, tried against the live stack (docs/reliability.md): what was lost, counted in the
database, and how long the system took to serve again.

- PostgreSQL's connection killed in the middle of a step (`pg_terminate_backend` on this test database's
  backends only — never the shared server);
- the media disk full while a material is uploaded.
"""

from __future__ import annotations

import errno
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection, transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import Case, CaseEvent, CaseMaterial
from tests import factories as f
from tests.conftest import LiveStack


def _post(url: str, token: str, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=b"{}", method="POST")
    request.add_header("Authorization", f"Token {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def _blocked_backends() -> list[int]:
    """This test database's backends waiting for a row lock (the step stuck behind the test's lock)."""
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL keeps one snapshot of its statistics views: take a fresh one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND wait_event_type = 'Lock'"
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_database_connection_killed_mid_step_loses_nothing_and_the_retry_succeeds(live_stack: LiveStack) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend: PostgreSQL only")
    citizen = f.make_user("citizen")
    from cases.services import case_draft_create

    case = case_draft_create(applicant=citizen, item_version=f.make_item(), actor=citizen)
    f.upload_required(case, citizen)
    events_before = CaseEvent.objects.filter(case=case).count()
    token = Token.objects.create(user=citizen).key
    url = live_stack.url(f"/api/cases/{case.reference}/submit/")
    answers: list[tuple[int, dict[str, str], bytes]] = []

    # Hold the case's row: the server's submit step blocks inside its transaction, after its first queries.
    with transaction.atomic():
        Case.objects.select_for_update().get(pk=case.pk)
        step = threading.Thread(target=lambda: answers.append(_post(url, token)))
        step.start()
        deadline = time.monotonic() + 20
        while not (blocked := _blocked_backends()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert blocked, "the step never reached the case's lock"
        with connection.cursor() as cursor:
            for pid in blocked:  # only this test database's backends
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        step.join(30)
    killed_at = time.monotonic()
    status, headers, body = answers[0]
    assert status == 503, body  # not 500: the client is told to try again, and nothing was saved
    assert b"database_unavailable" in body and headers.get("retry-after") == "1"
    case.refresh_from_db()
    assert case.state == "draft" and CaseEvent.objects.filter(case=case).count() == events_before  # nothing half-done
    # The retry opens a new connection and the step completes once.
    status, _, body = _post(url, token)
    recovered = time.monotonic() - killed_at
    assert status == 200, body
    case.refresh_from_db()
    assert case.state == "submitted"
    assert CaseEvent.objects.filter(case=case, action="submitted").count() == 1
    print(f"\n[faults] connection killed mid-step: 503, nothing stored; retry {recovered:.2f} s later")  # noqa: T201


class FullDisk(FileSystemStorage):
    """The media storage of a full disk: every write fails as the kernel says it (ENOSPC)."""

    def _save(self, name: str, content: Any) -> str:
        raise OSError(errno.ENOSPC, "No space left on device", name)


@pytest.mark.django_db
def test_an_upload_to_a_full_disk_fails_with_a_clear_error_and_loses_nothing(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    citizen = f.make_user("citizen")
    version = f.make_item()
    from cases.services import case_draft_create

    case = case_draft_create(applicant=citizen, item_version=version, actor=citizen)
    form = version.materials.get(material_type__code="M-FORM")
    client = APIClient()
    client.force_authenticate(citizen)
    url = f"/api/cases/{case.reference}/materials/"
    first = client.post(url, {"item_material": form.pk, "file": f.pdf_upload()}, format="multipart")
    assert first.status_code == 201
    events_before = CaseEvent.objects.filter(case=case).count()

    field = CaseMaterial._meta.get_field("file")
    kept_storage = field.storage
    field.storage = FullDisk(location=str(tmp_path))
    try:
        refused = client.post(url, {"item_material": form.pk, "file": f.pdf_upload()}, format="multipart")
    finally:
        field.storage = kept_storage
    assert refused.status_code == 507, refused.content
    assert refused.json()["code"] == "storage_full"
    # Nothing lost and nothing half-stored: the first upload is still the current one, no new row, no event.
    materials = CaseMaterial.objects.filter(case=case, item_material=form)
    assert materials.count() == 1 and materials.get().current
    assert CaseEvent.objects.filter(case=case).count() == events_before
    # Space again: the same upload goes through.
    again = client.post(url, {"item_material": form.pk, "file": f.pdf_upload()}, format="multipart")
    assert again.status_code == 201
