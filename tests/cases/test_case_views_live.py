"""Through uvicorn: a clerk's look is recorded after the answer has gone out, and the applicant reads it."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.test import Client

from accounts.models import User
from cases.models import CaseView
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import SettingsWrapper

    from tests.conftest import LiveStack

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: SettingsWrapper, live_stack: LiveStack) -> None:
    """Uploads made here go where the live server reads them (its VAR_DIR's media)."""
    settings.MEDIA_ROOT = live_stack.env.get("MEDIA_ROOT") or str(Path(live_stack.env["VAR_DIR"]) / "media")


def get(live_stack: LiveStack, path: str, user: User) -> tuple[int, bytes]:
    client = Client()
    client.force_login(user)
    request = urllib.request.Request(
        live_stack.url(path), headers={"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        return response.status, response.read()


def test_a_clerks_look_through_the_server_is_recorded_and_shown_to_the_applicant(live_stack: LiveStack) -> None:
    citizen = f.make_user("citizen")
    clerk = f.make_user("clerk", code=f.HUANGPU, display_name="周文")
    case = f.submitted_case(applicant=citizen)
    material = case.materials.current_files().first()
    assert material is not None
    assert get(live_stack, f"/cases/{case.reference}/", clerk)[0] == 200
    status, body = get(live_stack, f"/cases/{case.reference}/documents/{material.pk}/", clerk)
    assert status == 200 and body == f.PDF_BYTES
    deadline = time.monotonic() + 10
    while CaseView.objects.filter(case=case).count() < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # written when the server closes each response, just after it was sent
    assert sorted(CaseView.objects.filter(case=case).values_list("what", flat=True)) == ["case", "material"]
    status, body = get(live_stack, f"/cases/{case.reference}/", citizen)
    page = body.decode()
    assert "谁查看了我的办件" in page and page.count("周*") == 2
    assert CaseView.objects.filter(case=case).count() == 2  # the applicant's own look is not recorded
