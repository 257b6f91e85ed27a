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
from tests import factories as f

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

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
    thread.join(60)
    if "error" in result:
        raise result["error"]
    value: T = result["value"]
    return value


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_applicant_watches_the_case_move_while_clerks_work_it(browser: Browser, live_stack: LiveStack) -> None:
    citizen = f.make_user("citizen", display_name="张三")
    huangpu_clerk = f.make_user("clerk", code=f.HUANGPU, display_name="黄浦店小二")
    shushan_clerk = f.make_user("clerk", code=f.SHUSHAN, display_name="蜀山审批员")
    supervisor = f.make_user("supervisor", display_name="联盟监督员")
    case = off_loop(f.submitted_case, applicant=citizen, version=f.make_item())

    applicant = logged_in_page(browser, live_stack, citizen)
    applicant.goto(live_stack.url(f"/cases/{case.reference}/"))
    applicant.wait_for_function("document.body.dataset.live === 'connected'", timeout=15000)
    assert "已提交" in applicant.locator("[data-state]").first.inner_text()
    shot(applicant, "case-detail-submitted")

    clerk_hp = logged_in_page(browser, live_stack, huangpu_clerk)
    clerk_hp.goto(live_stack.url("/cases/workbench/"))
    shot(clerk_hp, "workbench-huangpu")
    clerk_hp.locator(f'tr[data-reference="{case.reference}"] button:has-text("受理")').click()

    # Accepted in Huangpu, routed by the worker to Shushan: the applicant's open page hears it.
    applicant.wait_for_selector("[data-state]:has-text('已流转')", timeout=45000)

    clerk_ss = logged_in_page(browser, live_stack, shushan_clerk)
    clerk_ss.goto(live_stack.url("/cases/workbench/"))
    assert case.reference in clerk_ss.content()
    shot(clerk_ss, "workbench-shushan")
    clerk_ss.locator(f'tr[data-reference="{case.reference}"] button:has-text("互认接收")').click()
    clerk_ss.locator("button:has-text('准予')").first.click()
    applicant.wait_for_selector("[data-state]:has-text('准予')", timeout=45000)

    case.refresh_from_db()
    off_loop(services.case_deliver, case=case, actor=huangpu_clerk, method="elicence")
    applicant.wait_for_selector("button:has-text('确认收到并办结')", timeout=45000)
    applicant.locator("button:has-text('确认收到并办结')").click()
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

    applicant.goto(live_stack.url("/cases/"))
    assert case.reference in applicant.content()
    shot(applicant, "my-cases")

    boss = logged_in_page(browser, live_stack, supervisor)
    boss.goto(live_stack.url("/cases/supervision/"))
    assert case.reference in boss.content()  # the bad rating waits for a follow-up
    shot(boss, "supervision")

    english = logged_in_page(browser, live_stack, citizen, language="en")
    english.goto(live_stack.url(f"/cases/{case.reference}/"))
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
    page.goto(live_stack.url(f"/cases/{case.reference}/"))
    # Uploaded through the page, so the live server stores it (its own media folder).
    form = page.locator("form.upload").first
    form.locator("input[type=file]").set_input_files(str(picture))
    form.locator("button[type=submit]").click()
    page.wait_for_selector("a.document-link[data-viewer='image']")
    link = page.locator("a.document-link[data-viewer='image']").first
    assert "/documents/" in (link.get_attribute("href") or "")
    link.click()
    page.wait_for_selector("#document-viewer:not([hidden])")
    page.wait_for_function("document.getElementById('viewer-image').naturalWidth > 0", timeout=10000)
    page.locator("#document-viewer button[data-action='rotate']").click()
    page.locator("#document-viewer button[data-action='zoom-in']").click()
    transform = page.eval_on_selector("#viewer-image", "img => img.style.transform")
    assert "rotate(90deg)" in transform and "scale(1.25)" in transform
    shot(page, "case-document-viewer")
