"""Real Chromium on the live stack: the header's count follows the notices live; the inbox at 1280 and 390 px."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from notices.models import Notice
from tests import factories as f
from tests.cases.test_pages_browser import logged_in_page, off_loop, shot, wait_until
from tests.notices.test_notices import correction

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from tests.conftest import LiveStack

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_header_count_goes_up_live_and_the_inbox_reads_well_at_1280_and_390_px(
    browser: Browser, live_stack: LiveStack
) -> None:
    citizen = f.make_user("citizen", email="zhang.san@example.com", phone="13800138000")
    clerk = f.make_user("clerk", code=f.HUANGPU)
    page = logged_in_page(browser, live_stack, citizen)
    page.goto(live_stack.url("/cases/"))
    badge = page.locator("[data-notices-unread]")
    assert badge.is_hidden(), "nothing unread yet"
    page.wait_for_timeout(500)  # the page's event socket is open

    case = off_loop(correction, citizen=citizen, clerk=clerk)
    # The worker sends the email and SMS, then pushes the count to the open page: no reload.
    wait_until(lambda: badge.is_visible() and badge.inner_text() == "1")
    wait_until(lambda: Notice.objects.filter(recipient=citizen, deliveries__status="sent").distinct().count() == 1)

    for language, title in (("zh-hans", "请补正"), ("en", "Correction needed")):
        for width in (1280, 390):
            view = logged_in_page(browser, live_stack, citizen, language=language)
            view.set_viewport_size({"width": width, "height": 860})
            view.goto(live_stack.url("/notices/"))
            entry = view.locator(".notice.unread")
            assert entry.count() == 1
            assert title in entry.inner_text() and case.reference in entry.inner_text()
            assert citizen.id_number not in view.content()
            assert view.locator("[data-notices-unread]").inner_text() == "1"
            overflow = view.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{language} at {width} px scrolls sideways by {overflow} px"
            shot(view, f"notices-inbox-{language}-{width}")
            view.context.close()

    # Opening the notice marks it read and leads to the case; the header's count goes back to nothing.
    inbox = logged_in_page(browser, live_stack, citizen)
    inbox.goto(live_stack.url("/notices/"))
    inbox.get_by_role("button", name="查看办件").click()
    inbox.wait_for_url(f"**/cases/{case.reference}/")
    assert inbox.locator("[data-notices-unread]").is_hidden()
    assert Notice.objects.get(recipient=citizen).read_at is not None
    inbox.context.close()
    page.context.close()
