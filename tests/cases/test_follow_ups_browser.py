"""Real Chromium on the live stack: a supervisor handles a bad rating's follow-up on a phone-sized screen (390 px,
the list as cards) and on a desktop (1280 px); the applicant then reads the result next to their rating."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from cases import services
from cases.models import Case, FollowUp
from tests import factories as f
from tests.cases.test_pages_browser import logged_in_page, off_loop, shot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from tests.conftest import LiveStack

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _rated_case() -> Case:
    citizen = f.make_user("citizen")
    clerk = f.make_user("clerk", code=f.HUANGPU)
    case = services.case_not_accept(
        case=f.submitted_case(applicant=citizen, version=f.make_item()), actor=clerk, reason="不符合受理条件"
    )
    services.case_rate(case=case, actor=citizen, score=1, attitude=1, speed=2, convenience=3, comment="窗口推诿")
    return case


def _fits(page: Page, width: int) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        f"""[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > {width})
        .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
    )
    assert overflow <= width, f"the page is {overflow} px wide at {width} px: {wide}"


def test_a_supervisor_follows_up_a_bad_rating_on_a_phone_and_the_applicant_reads_the_result(
    browser: Browser, live_stack: LiveStack
) -> None:
    case: Case = off_loop(_rated_case)
    follow_up = FollowUp.objects.get(rating__case=case)
    supervisor = f.make_user("supervisor", code=f.HUANGPU)

    desk = logged_in_page(browser, live_stack, supervisor)
    desk.goto(live_stack.url("/cases/follow-ups/"))
    assert desk.get_by_role("link", name="差评整改").first.is_visible()  # in the main navigation
    desk.locator("#follow-ups thead").wait_for(state="visible")
    shot(desk, "follow-ups-1280")
    desk.context.close()

    phone = logged_in_page(browser, live_stack, supervisor)
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(live_stack.url("/cases/follow-ups/"))
    # Cards: each row is a block of its own, its header only for screen readers (1 px, clipped).
    display = phone.evaluate("getComputedStyle(document.querySelector('#follow-ups tbody tr')).display")
    assert display == "block"
    header = phone.locator("#follow-ups thead").bounding_box()
    assert header is not None and header["width"] <= 1
    _fits(phone, 390)
    shot(phone, "follow-ups-390")
    phone.get_by_role("link", name=case.reference).click()
    phone.wait_for_url(f"**/cases/follow-ups/{follow_up.pk}/")
    _fits(phone, 390)
    phone.select_option("#visit-form select[name=method]", "phone")
    phone.fill("#visit-form textarea[name=citizen_said]", "窗口人员推诿，等了两小时")
    phone.click("#visit-form button[type=submit]")
    phone.locator("#visits li").first.wait_for()
    phone.fill("#rectify-form textarea[name=rectification]", "对窗口人员进行服务规范培训")
    phone.fill("#rectify-form input[name=rectified_by]", "黄浦区政务服务中心")
    phone.click("#rectify-form button[type=submit]")
    phone.locator("#close-form textarea[name=note]").wait_for()
    phone.fill("#close-form textarea[name=note]", "已约谈相关人员并培训，感谢您的监督")
    phone.click("#close-form button[type=submit]")
    phone.locator("#standing.ok").wait_for()
    _fits(phone, 390)
    shot(phone, "follow-up-detail-390")
    phone.context.close()

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.DONE and follow_up.visits.count() == 1
    applicant = case.applicant
    assert applicant is not None
    mine = logged_in_page(browser, live_stack, applicant)
    mine.set_viewport_size({"width": 390, "height": 844})
    mine.goto(live_stack.url(f"/cases/{case.reference}/"))
    result = mine.locator("#follow-up-result")
    assert "已约谈相关人员并培训" in result.inner_text()
    assert "服务态度" in mine.locator("#rating").inner_text()
    _fits(mine, 390)
    shot(mine, "case-rating-follow-up-390")
    mine.context.close()
