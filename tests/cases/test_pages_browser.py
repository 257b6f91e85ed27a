"""Real Chromium on the live stack: the applicant's page follows the case live while clerks work it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from django.db import connections
from django.test import Client

from accounts.models import User
from cases import services
from cases.models import Case, CaseState
from tests import factories as f

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from pytest_django.fixtures import SettingsWrapper

    from tests.conftest import LiveStack

T = TypeVar("T")

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def logged_in_page(browser: Browser, live_stack: LiveStack, user: User, *, language: str = "zh-hans") -> Page:
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.add_cookies(
        [
            {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_stack.http_url},
            {"name": "django_language", "value": language, "url": live_stack.http_url},
        ]
    )
    return context.new_page()


def off_loop(function: Callable[..., T], **kwargs: Any) -> T:
    """Run a service in its own thread: Playwright's event loop owns this one, and the
    services' after-commit notifications use async_to_sync."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = function(**kwargs)
        except BaseException as error:  # noqa: BLE001 - re-raised in the test thread
            result["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    if "error" in result:
        raise result["error"]
    value: T = result["value"]
    return value


def wait_until(condition: Callable[[], bool], timeout: float = 45.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.2)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def check_every_material(page: Page, *, failing: dict[int, str] | None = None) -> None:
    """形式审查 on the case page: every check form in turn, conforming unless `failing` names the material."""
    failing = failing or {}
    for material in page.eval_on_selector_all("form[data-check-form]", "forms => forms.map(f => f.dataset.checkForm)"):
        form = page.locator(f"form[data-check-form='{material}']")
        reason = failing.get(int(material))
        form.locator(f"input[name=verdict][value={'not_conforming' if reason else 'conforming'}]").check()
        if reason:
            form.locator("input[name=reason]").fill(reason)
        form.locator("button[type=submit]").click()
        page.wait_for_selector(f"tr[data-material='{material}'] .check[data-verdict]")


def record_identity(page: Page) -> None:
    page.locator(".identity-form select[name=method]").select_option("id_card_in_person")
    page.locator(".identity-form button[type=submit]").click()
    page.wait_for_selector("#identity [data-identity='id_card_in_person']")


def test_the_applicant_watches_the_case_move_while_clerks_work_it(
    browser: Browser, live_stack: LiveStack, settings: SettingsWrapper
) -> None:
    # The files are written where the live server reads them: recognition hashes each one against the signed record.
    settings.MEDIA_ROOT = Path(live_stack.env["VAR_DIR"]) / "media"
    citizen = f.make_user("citizen", display_name="张三")
    huangpu_clerk = f.make_user("clerk", code=f.HUANGPU, display_name="黄浦店小二")
    shushan_clerk = f.make_user("clerk", code=f.SHUSHAN, display_name="蜀山审批员")
    supervisor = f.make_user("supervisor", display_name="联盟监督员")
    case = off_loop(f.submitted_case, applicant=citizen, version=f.make_item())

    applicant = logged_in_page(browser, live_stack, citizen)
    f.goto(applicant, live_stack.url(f"/cases/{case.reference}/"))
    applicant.wait_for_function("() => document.body.dataset.live === 'connected'", timeout=15000)
    assert "已提交" in applicant.locator("[data-state]").first.inner_text()
    shot(applicant, "case-detail-submitted")

    clerk_hp = logged_in_page(browser, live_stack, huangpu_clerk)
    f.goto(clerk_hp, live_stack.url("/cases/workbench/"))
    shot(clerk_hp, "workbench-huangpu")
    # No one-click 受理 from the list: the row opens the case, where the clerk checks, then accepts.
    row = clerk_hp.locator(f'tr[data-reference="{case.reference}"]')
    assert row.locator("button:has-text('受理')").count() == 0
    row.locator("a:has-text('打开办件')").click()
    check_every_material(clerk_hp)
    record_identity(clerk_hp)
    clerk_hp.locator("form[data-step='accept'] button").click()

    # Accepted in Huangpu, routed by the worker to Shushan: the applicant's open page hears it.
    applicant.wait_for_selector("[data-state]:has-text('已流转')", timeout=45000)

    clerk_ss = logged_in_page(browser, live_stack, shushan_clerk)
    f.goto(clerk_ss, live_stack.url("/cases/workbench/"))
    assert case.reference in clerk_ss.content()
    shot(clerk_ss, "workbench-shushan")
    clerk_ss.locator(f'tr[data-reference="{case.reference}"] button:has-text("互认接收")').click()
    clerk_ss.locator("button:has-text('准予')").first.click()
    applicant.wait_for_selector("[data-state]:has-text('准予')", timeout=45000)

    case.refresh_from_db()
    off_loop(services.case_deliver, case=case, actor=huangpu_clerk, method="elicence")
    applicant.wait_for_selector("button:has-text('确认收到并办结')", timeout=45000)
    applicant.locator("button:has-text('确认收到并办结')").click()
    # The rating form is offered from delivery on: wait for the closed page before filling it.
    applicant.wait_for_selector("[data-state]:has-text('已办结')", timeout=45000)
    applicant.wait_for_selector("#rating-form")
    shot(applicant, "case-detail-rating-form")
    applicant.locator("#rating-form input[name=score][value='2']").check()
    applicant.locator("#rating-form textarea[name=comment]").fill("等待时间较长")
    applicant.locator("#rating-form button[type=submit]").click()
    applicant.wait_for_selector("text=您的评价")
    timeline = applicant.locator("#timeline").inner_text()
    for step in ["已受理", "已流转至审批地", "互认受理，开始审核", "准予", "已送达", "已办结", "已评价"]:
        assert step in timeline
    shot(applicant, "case-detail-rated")

    f.goto(applicant, live_stack.url("/cases/"))
    assert case.reference in applicant.content()
    shot(applicant, "my-cases")

    boss = logged_in_page(browser, live_stack, supervisor)
    f.goto(boss, live_stack.url("/cases/supervision/"))
    assert case.reference in boss.content()  # the bad rating waits for a follow-up
    shot(boss, "supervision")

    english = logged_in_page(browser, live_stack, citizen, language="en")
    f.goto(english, live_stack.url(f"/cases/{case.reference}/"))
    assert "History" in english.content()
    shot(english, "case-detail-english")


def test_the_applicant_opens_an_uploaded_image_in_the_viewer_and_turns_it(
    browser: Browser, live_stack: LiveStack, tmp_path: Path
) -> None:
    citizen = f.make_user("citizen", display_name="李四")
    version = f.make_item()
    case = off_loop(services.case_draft_create, applicant=citizen, item_version=version, actor=citizen)
    picture = tmp_path / "form.png"
    picture.write_bytes(f.PNG_BYTES)

    page = logged_in_page(browser, live_stack, citizen)
    f.goto(page, live_stack.url(f"/cases/{case.reference}/"))
    # Uploaded through the page, so the live server stores it (its own media folder).
    form = page.locator("form.upload").first
    form.locator("input[type=file]").set_input_files(str(picture))
    form.locator("button[type=submit]").click()
    page.wait_for_selector("a.document-link[data-viewer='image']")
    link = page.locator("a.document-link[data-viewer='image']").first
    assert "/documents/" in (link.get_attribute("href") or "")
    link.click()
    page.wait_for_selector("#document-viewer:not([hidden])")
    page.wait_for_function("() => document.getElementById('viewer-image').naturalWidth > 0", timeout=10000)
    page.locator("#document-viewer button[data-action='rotate']").click()
    page.locator("#document-viewer button[data-action='zoom-in']").click()
    transform = page.eval_on_selector("#viewer-image", "img => img.style.transform")
    assert "rotate(90deg)" in transform and "scale(1.25)" in transform
    shot(page, "case-document-viewer")


def test_the_clerk_checks_each_material_asks_for_a_correction_and_moves_between_documents_by_keyboard(
    browser: Browser, live_stack: LiveStack, settings: SettingsWrapper, tmp_path: Path
) -> None:
    # The files are written where the live server reads them (its own media folder).
    settings.MEDIA_ROOT = Path(live_stack.env["VAR_DIR"]) / "media"
    citizen = f.make_user("citizen", display_name="王五")
    clerk = f.make_user("clerk", code=f.HUANGPU, display_name="黄浦店小二")
    shushan_clerk = f.make_user("clerk", code=f.SHUSHAN, display_name="蜀山审批员")
    version = f.make_item(elicence_material=False)  # both materials uploaded: two documents to page through
    form_material = version.materials.get(material_type__code="M-FORM")
    id_card = version.materials.get(material_type__code="M-IDCARD")
    case = off_loop(f.submitted_case, applicant=citizen, version=version)

    desk = logged_in_page(browser, live_stack, clerk)
    f.goto(desk, live_stack.url("/cases/workbench/"))
    desk.locator(f'tr[data-reference="{case.reference}"] a:has-text("打开办件")').click()
    desk.wait_for_selector("#keyboard-hint")
    links = desk.locator("a.document-link")
    assert links.count() == 2

    # j opens the first document in the viewer and keeps it focused; j again the second; k goes back.
    desk.locator("h1").click()
    desk.keyboard.press("j")
    desk.wait_for_selector("#document-viewer:not([hidden])")
    assert desk.evaluate("document.activeElement === document.querySelectorAll('a.document-link')[0]")
    assert "current" in (links.nth(0).get_attribute("class") or "")
    desk.keyboard.press("j")
    assert desk.evaluate("document.activeElement === document.querySelectorAll('a.document-link')[1]")
    assert desk.locator("#viewer-title").inner_text() == id_card.name
    desk.keyboard.press("k")
    assert desk.evaluate("document.activeElement === document.querySelectorAll('a.document-link')[0]")
    assert desk.locator("#viewer-title").inner_text() == form_material.name
    outline = desk.eval_on_selector("a.document-link.current", "a => getComputedStyle(a).outlineStyle")
    assert outline != "none"  # the focus is visible
    # Typing in a field does not move between documents.
    desk.locator(f"form[data-check-form='{id_card.pk}'] input[name=reason]").fill("jk")
    assert desk.locator("#viewer-title").inner_text() == form_material.name
    desk.locator(f"form[data-check-form='{id_card.pk}'] input[name=reason]").fill("")

    # The ID card fails its check: acceptance is refused, the correction lists it with its reason.
    check_every_material(desk, failing={id_card.pk: "照片模糊，无法辨认"})
    record_identity(desk)
    shot(desk, "case-checks-1280")
    desk.set_viewport_size({"width": 390, "height": 844})
    shot(desk, "case-checks-390")
    assert desk.evaluate("document.documentElement.scrollWidth") <= 390
    desk.set_viewport_size({"width": 1280, "height": 900})
    desk.locator("form[data-step='accept'] button").click()
    desk.wait_for_selector(".messages li.error")
    assert "未通过形式审查" in desk.locator(".messages").inner_text()
    correction = desk.locator("form[data-step='request_correction']")
    assert f'data-failing="{id_card.pk}"' in correction.inner_html()
    correction.locator("textarea[name=reason]").fill("请重新上传清晰的身份证")
    correction.locator("button[type=submit]").click()
    desk.wait_for_selector("[data-state]:has-text('补正')")

    # The applicant reads the reason beside the upload that replaces the file, and replaces it.
    applicant = logged_in_page(browser, live_stack, citizen)
    f.goto(applicant, live_stack.url(f"/cases/{case.reference}/"))
    row = applicant.locator(f"tr[data-material='{id_card.pk}']")
    assert "照片模糊，无法辨认" in row.locator("[data-correction]").inner_text()
    assert applicant.locator(f"tr[data-material='{form_material.pk}'] [data-correction]").count() == 0
    shot(applicant, "case-correction-applicant")
    replacement = tmp_path / "id.pdf"
    replacement.write_bytes(f.PDF_BYTES + b"%clear\n")
    row.locator("input[type=file]").set_input_files(str(replacement))
    row.locator("form.upload button[type=submit]").click()
    applicant.wait_for_selector(f"tr[data-material='{id_card.pk}'] .correction-reason.replaced")
    applicant.locator("form[data-step='submit'] button").click()
    applicant.wait_for_selector("[data-state]:has-text('已提交')")

    # The new file needs a new check; then the case is accepted.
    f.goto(desk, live_stack.url(f"/cases/{case.reference}/"))
    assert desk.locator(f"tr[data-material='{id_card.pk}'] .check[data-verdict]").count() == 0
    assert desk.locator(f"tr[data-material='{form_material.pk}'] .check[data-verdict='conforming']").count() == 1
    form = desk.locator(f"form[data-check-form='{id_card.pk}']")
    form.locator("input[name=verdict][value=conforming]").check()
    form.locator("button[type=submit]").click()
    desk.wait_for_selector(f"tr[data-material='{id_card.pk}'] .check[data-verdict='conforming']")
    desk.locator("form[data-step='accept'] button").click()

    # Routed to Shushan: its clerk sees Huangpu's checks beside each document.
    case.refresh_from_db()
    wait_until(lambda: Case.objects.get(pk=case.pk).state == CaseState.TRANSFERRED)
    review = logged_in_page(browser, live_stack, shushan_clerk)
    f.goto(review, live_stack.url("/cases/workbench/"))
    shot(review, "workbench-shushan-1280")
    review.set_viewport_size({"width": 390, "height": 844})
    shot(review, "workbench-shushan-390")
    assert review.evaluate("document.documentElement.scrollWidth") <= 390
    f.goto(review, live_stack.url(f"/cases/{case.reference}/"))
    for material in (form_material, id_card):
        cell = review.locator(f"tr[data-material='{material.pk}'] .check[data-verdict='conforming']")
        assert "黄浦店小二" in cell.inner_text()
    assert review.locator("form[data-check-form]").count() == 0  # the approving district reads, does not check
    shot(review, "case-approving-390")
