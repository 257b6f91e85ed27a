"""The clerk's desk end to end, in real Chromium on the live stack (Redis, a Celery worker): a walk-in applicant is
registered at 黄浦's window with a PDF and a photo from the (fake) camera, each material is checked (one fails: a
correction is requested and the applicant replaces it from their own account), the case is accepted, the worker
routes it to 蜀山, whose clerk opens both documents in the viewer and approves; the applicant then sees who viewed
their case."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.test import Client

from accounts.models import User
from cases.models import Case, CaseState, CaseView
from tests import factories as f
from tests.cases.test_pages_browser import check_every_material, record_identity, shot, wait_until

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from pytest_django.fixtures import SettingsWrapper

    from tests.conftest import LiveStack

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def page_for(browser: Browser, live_stack: LiveStack, user: User) -> Page:
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", permissions=["camera"])
    context.add_cookies(
        [
            {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_stack.http_url},
            {"name": "django_language", "value": "zh-hans", "url": live_stack.http_url},
        ]
    )
    return context.new_page()


def test_a_walkin_case_from_the_counter_to_the_decision_and_who_viewed_it(
    browser: Browser, live_stack: LiveStack, settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = Path(live_stack.env["VAR_DIR"]) / "media"
    applicant = f.make_citizen(name="赵六")
    huangpu = f.make_user("clerk", code=f.HUANGPU, display_name="黄浦收件员")
    shushan = f.make_user("clerk", code=f.SHUSHAN, display_name="蜀山审批员")
    version = f.make_item(elicence_material=False)  # approved in 蜀山; two materials to provide
    form = version.materials.get(material_type__code="M-FORM")
    id_card = version.materials.get(material_type__code="M-IDCARD")
    errors: list[str] = []

    # 窗口收件 at 黄浦: found by ID number (an account), consent, the ID card photographed, the form as a PDF.
    desk = page_for(browser, live_stack, huangpu)
    desk.on("pageerror", lambda error: errors.append(str(error)))
    f.goto(desk, live_stack.url(f"/cases/counter/?item={version.item.code}"))
    desk.fill('input[name="id_number"]', applicant.id_number)
    desk.click('form:has(input[name="id_number"]) button[type="submit"]')
    desk.wait_for_selector("#walkin")
    desk.check('input[name="consent"]')
    desk.click('#walkin button[type="submit"]')
    desk.wait_for_url("**/cases/counter/C9*/")
    reference = desk.url.rstrip("/").rsplit("/", 1)[-1]
    desk.click('[data-action="camera-start"]')
    desk.wait_for_function("() => document.querySelector('.camera-video').videoWidth > 0", timeout=15000)
    photo_row = desk.locator(f'tr[data-material="{id_card.pk}"]')
    photo_row.locator('[data-action="camera-capture"]').click()
    desk.wait_for_function(
        f"() => document.querySelector('tr[data-material=\"{id_card.pk}\"] form').dataset.captured === 'yes'"
    )
    photo_row.locator('button[type="submit"]').click()
    desk.wait_for_selector(f'tr[data-material="{id_card.pk}"] [data-provided]')
    pdf = tmp_path / "form.pdf"
    pdf.write_bytes(f.PDF_BYTES)
    form_row = desk.locator(f'tr[data-material="{form.pk}"]')
    form_row.locator('input[type="file"]').set_input_files(str(pdf))
    form_row.locator('button[type="submit"]').click()
    desk.wait_for_selector(f'tr[data-material="{form.pk}"] [data-provided]')
    desk.click('[data-step="submit"] button')
    desk.wait_for_selector('[data-state]:has-text("已提交")')
    case = Case.objects.get(reference=reference)
    assert case.applicant == applicant and case.counter_clerk == huangpu
    assert case.materials.get(item_material=id_card, current=True).content_type == "image/jpeg"

    # 形式审查: the photo fails, a correction is requested.
    f.goto(desk, live_stack.url(f"/cases/{reference}/"))
    check_every_material(desk, failing={id_card.pk: "照片反光，号码无法辨认"})
    record_identity(desk)
    correction = desk.locator("form[data-step='request_correction']")
    correction.locator("textarea[name=reason]").fill("请上传清晰的身份证")
    correction.locator("button[type=submit]").click()
    desk.wait_for_selector("[data-state]:has-text('补正')")

    # The applicant, from their own account, reads why beside the upload and replaces the photo.
    own = page_for(browser, live_stack, applicant)
    own.on("pageerror", lambda error: errors.append(str(error)))
    f.goto(own, live_stack.url(f"/cases/{reference}/"))
    row = own.locator(f"tr[data-material='{id_card.pk}']")
    assert "照片反光，号码无法辨认" in row.locator("[data-correction]").inner_text()
    clear = tmp_path / "id.pdf"
    clear.write_bytes(f.PDF_BYTES + b"%clear\n")
    row.locator("input[type=file]").set_input_files(str(clear))
    row.locator("form.upload button[type=submit]").click()
    own.wait_for_selector(f"tr[data-material='{id_card.pk}'] .correction-reason.replaced")
    own.locator("form[data-step='submit'] button").click()
    own.wait_for_selector("[data-state]:has-text('已提交')")

    # The new file is checked; 受理; the worker routes the case to 蜀山.
    f.goto(desk, live_stack.url(f"/cases/{reference}/"))
    again = desk.locator(f"form[data-check-form='{id_card.pk}']")
    again.locator("input[name=verdict][value=conforming]").check()
    again.locator("button[type=submit]").click()
    desk.wait_for_selector(f"tr[data-material='{id_card.pk}'] .check[data-verdict='conforming']")
    desk.locator("form[data-step='accept'] button").click()
    wait_until(lambda: Case.objects.get(pk=case.pk).state == CaseState.TRANSFERRED)

    # 蜀山 recognises the acceptance, opens both documents in the viewer (keyboard), and approves.
    review = page_for(browser, live_stack, shushan)
    review.on("pageerror", lambda error: errors.append(str(error)))
    f.goto(review, live_stack.url(f"/cases/{reference}/"))
    review.locator("form[data-step='recognise'] button").click()
    review.wait_for_selector("form[data-step='approve']")
    review.locator("h1").click()
    review.keyboard.press("j")
    review.wait_for_selector("#document-viewer:not([hidden])")
    first = review.locator("#viewer-title").inner_text()
    review.keyboard.press("j")
    second = review.locator("#viewer-title").inner_text()
    assert {first, second} == {form.name, id_card.name}
    shot(review, "desk-scenario-shushan-viewer")
    review.locator("form[data-step='approve'] button").click()
    wait_until(lambda: Case.objects.get(pk=case.pk).state == CaseState.APPROVED)

    # Who viewed my case: both clerks, masked, with their district (a look is written once its answer has gone
    # out; which of the viewer's document loads headless Chromium completes is its own affair, so the test waits
    # for 蜀山's looks at the case page; tests/cases/test_case_views*.py pin the documents' records).
    wait_until(lambda: CaseView.objects.filter(case=case, viewer=shushan).exists(), timeout=90)
    f.goto(own, live_stack.url(f"/cases/{reference}/"))
    log = own.locator("#views-log").inner_text()
    assert "蜀**" in log and "蜀山区" in log and "黄**" in log and "黄浦区" in log
    assert "蜀山审批员" not in log and "黄浦收件员" not in log
    shot(own, "desk-scenario-who-viewed")
    assert not errors, errors
