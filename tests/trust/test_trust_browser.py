"""Real Chromium on the live stack: the approving clerk and the applicant read who vouched for the case."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cases import services
from cases.models import Case, CaseMaterial, CasePaper
from tests import factories as f
from tests.cases.test_pages_browser import logged_in_page, off_loop, shot, wait_until

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from pytest_django.fixtures import SettingsWrapper

    from tests.conftest import LiveStack

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _transferred(citizen_code: str) -> Case:
    citizen = f.make_user("citizen")
    clerk = f.make_user("clerk", code=f.HUANGPU)
    f.make_user("clerk", code=f.SHUSHAN)
    case = f.accept_checked(f.submitted_case(applicant=citizen, version=f.make_item()), clerk)
    services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
    return Case.objects.select_related("applicant", "approving_clerk").get(pk=case.pk)


def test_the_approving_clerk_sees_the_verified_acceptance_and_the_applicant_who_vouched(
    browser: Browser, live_stack: LiveStack, settings: SettingsWrapper
) -> None:
    settings.MEDIA_ROOT = Path(live_stack.env["VAR_DIR"]) / "media"
    case = off_loop(_transferred, citizen_code=f.HUANGPU)
    assert case.approving_clerk is not None and case.applicant is not None
    window = case.accepting_window.name
    # The worker issues the acceptance notice and announces it (open pages reload): let that pass first.
    wait_until(lambda: CasePaper.objects.filter(case=case).exists())

    page = logged_in_page(browser, live_stack, case.approving_clerk)
    page.goto(live_stack.url(f"/cases/{case.reference}/"))
    verdict = page.locator('[data-trust="verified"]')
    verdict.wait_for(timeout=20_000)
    assert "受理由黄浦区" in verdict.inner_text() and window in verdict.inner_text()
    page.locator("#trust").scroll_into_view_if_needed()
    shot(page, "trust-approving-clerk")

    applicant = logged_in_page(browser, live_stack, case.applicant)
    applicant.goto(live_stack.url(f"/cases/{case.reference}/"))
    row = applicant.locator('#trust [data-vouch="acceptance"]')
    row.wait_for(timeout=20_000)
    assert "黄浦区" in row.inner_text()
    assert applicant.locator("[data-trust]").count() == 0
    shot(applicant, "trust-applicant")

    # One byte of a stored document changed: the approving clerk reads exactly what failed.
    material = CaseMaterial.objects.filter(case=case).current_files().select_related("item_material")[0]
    path = Path(material.file.path)
    data = bytearray(path.read_bytes())
    data[-40] ^= 0x01
    path.write_bytes(bytes(data))
    page.reload()
    failed = page.locator('[data-trust="failed"]')
    failed.wait_for(timeout=20_000)
    assert material.item_material.name in failed.inner_text()
    shot(page, "trust-approving-clerk-failed")
    page.context.close()
    applicant.context.close()
