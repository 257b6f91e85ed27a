"""Real Chromium with its fake camera on the live stack: a clerk registers a walk-in applicant at the counter,
photographs one material with the camera, uploads a PDF for the other and submits on their behalf."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.test import Client

from accounts.models import User
from cases import life_cycle, services
from cases.models import Case, CaseEvent
from tests import factories as f

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from tests.conftest import LiveStack

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WALKIN_ID = f.id_number(977)


def clerk_page(browser: Browser, live_stack: LiveStack, user: User, *, width: int = 1280) -> Page:
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN", permissions=["camera"])
    context.add_cookies(
        [
            {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_stack.http_url},
            {"name": "django_language", "value": "zh-hans", "url": live_stack.http_url},
        ]
    )
    return context.new_page()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_walkin_is_registered_and_a_material_photographed_with_the_camera(
    browser: Browser, live_stack: LiveStack, tmp_path: Path
) -> None:
    clerk = f.make_user("clerk", code=f.HUANGPU, display_name="黄浦店小二")
    # Two materials to provide: the application form (PDF) and the ID card (photographed).
    version = f.make_item(elicence_material=False)
    form, id_card = version.materials.order_by("position")
    page = clerk_page(browser, live_stack, clerk)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    f.goto(page, live_stack.url(f"/cases/counter/?item={version.item.code}"))
    page.fill('input[name="id_number"]', WALKIN_ID)
    page.click('form:has(input[name="id_number"]) button[type="submit"]')
    page.wait_for_selector("#walkin")
    assert WALKIN_ID not in page.content()  # masked on the page, not even in a hidden field
    page.fill('input[name="name"]', "赵六")
    page.fill('input[name="phone"]', "13912345678")
    page.check('input[name="consent"]')
    shot(page, "counter-intake-1280")
    page.set_viewport_size({"width": 390, "height": 900})
    shot(page, "counter-intake-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click('#walkin button[type="submit"]')
    page.wait_for_url("**/cases/counter/C9*/")
    reference = page.url.rstrip("/").rsplit("/", 1)[-1]

    # The fake camera: turn it on, photograph the ID card into its row's file input, upload it.
    page.click('[data-action="camera-start"]')
    page.wait_for_selector('#camera[data-camera="on"]', timeout=15000)
    page.wait_for_function("() => document.querySelector('.camera-video').videoWidth > 0", timeout=15000)
    row = page.locator(f'tr[data-material="{id_card.pk}"]')
    row.locator('[data-action="camera-capture"]').click()
    page.wait_for_function(
        f"() => document.querySelector('tr[data-material=\"{id_card.pk}\"] form').dataset.captured === 'yes'"
    )
    assert row.locator(".camera-preview").is_visible()
    shot(page, "counter-camera-1280")
    page.set_viewport_size({"width": 390, "height": 900})
    shot(page, "counter-camera-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    row.locator('button[type="submit"]').click()
    page.wait_for_selector(f'tr[data-material="{id_card.pk}"] [data-provided]')

    # The application form as a PDF file, through the same upload.
    pdf = tmp_path / "form.pdf"
    pdf.write_bytes(f.PDF_BYTES)
    form_row = page.locator(f'tr[data-material="{form.pk}"]')
    form_row.locator('input[type="file"]').set_input_files(str(pdf))
    form_row.locator('button[type="submit"]').click()
    page.wait_for_selector(f'tr[data-material="{form.pk}"] [data-provided]')

    page.click('[data-step="submit"] button')
    page.wait_for_selector('[data-state]:has-text("已提交")')
    shot(page, "counter-submitted-1280")
    assert not errors, errors

    case = Case.objects.get(reference=reference)
    assert case.state == "submitted" and case.counter_clerk == clerk and case.accepting_window == clerk.window
    photo = case.materials.get(item_material=id_card, current=True)
    assert photo.content_type == "image/jpeg" and photo.extension == "jpg" and photo.size > 1000
    assert len(photo.sha256) == 64
    assert case.materials.get(item_material=form, current=True).content_type == "application/pdf"
    actions = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("action", flat=True))
    assert actions[0] == life_cycle.COUNTER_INTAKE and actions[-1] == "submitted"
    page.context.close()


def test_the_applicant_chooses_the_approving_district_sees_why_and_the_clerk_changes_it(
    browser: Browser, live_stack: LiveStack
) -> None:
    citizen = f.make_user("citizen", display_name="张三")
    clerk = f.make_user("clerk", code=f.HUANGPU, display_name="黄浦店小二")
    version = f.make_item(approve_in=(f.GUSU, f.SHUSHAN, f.HUANGPU), competent_district_rule="applicant_choice")

    applicant = clerk_page(browser, live_stack, citizen)
    f.goto(applicant, live_stack.url(f"/items/{version.item.code}/"))
    applicant.select_option('.cases-apply select[name="approving_place"]', f.SHUSHAN)
    # No place on the account: the applicant picks where it is accepted too (nothing is preselected).
    applicant.select_option('.cases-apply select[name="accepting_district"]', f.HUANGPU)
    shot(applicant, "apply-choice-1280")
    applicant.click('.cases-apply button[type="submit"]')
    applicant.wait_for_selector("[data-approving-basis]")
    assert "蜀山区" in applicant.locator(".card", has_text="审批地").first.inner_text()
    assert applicant.locator("[data-approving-basis]").get_attribute("data-approving-basis") == "applicant_choice"
    shot(applicant, "draft-approving-1280")
    applicant.set_viewport_size({"width": 390, "height": 900})
    shot(applicant, "draft-approving-390")
    reference = applicant.url.rstrip("/").rsplit("/", 1)[-1]
    applicant.context.close()

    case = Case.objects.get(reference=reference)
    f.upload_required(case, citizen)
    services.case_submit(case=case, actor=citizen)

    desk = clerk_page(browser, live_stack, clerk)
    f.goto(desk, live_stack.url(f"/cases/{reference}/"))
    desk.click(".approving-change summary")
    desk.select_option('.approving-change select[name="district"]', f.GUSU)
    desk.fill('.approving-change textarea[name="reason"]', "户口簿显示户籍在姑苏区")
    shot(desk, "approving-change-1280")
    desk.set_viewport_size({"width": 390, "height": 900})
    shot(desk, "approving-change-390")
    desk.click('.approving-change button[type="submit"]')
    desk.wait_for_selector('[data-approving-basis="clerk"]')
    assert "户口簿显示户籍在姑苏区" in desk.locator("#timeline").inner_text()
    case.refresh_from_db()
    assert case.approving_district.division_code == f.GUSU
    desk.context.close()
