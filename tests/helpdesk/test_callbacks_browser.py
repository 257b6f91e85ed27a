"""The console's callback panel in a real Chromium: claim, the number, no answer, and a callback arriving live."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from helpdesk import services
from helpdesk.models import Callback
from tests.factories import close_console, make_citizen, make_clerk
from tests.helpdesk.test_call_browser import signed_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def in_own_thread(work) -> None:
    """Services send channel-layer messages with async_to_sync, which Playwright's running loop forbids here."""
    errors: list[BaseException] = []

    def run():
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    if errors:
        raise errors[0]


def ask_callback(code: str, name: str, phone: str) -> None:
    citizen = make_citizen(code=code, name=name)
    citizen.phone = phone  # the number called back is the account's
    citizen.save(update_fields=["phone"])
    request = services.assist_request_create(citizen=citizen, route=False)
    services.assist_request_callback(request=request, actor=citizen, phone=phone)


def test_a_clerk_claims_a_callback_sees_the_number_and_records_no_answer(live_stack, browser):
    def ask_two() -> None:
        ask_callback("320508", "姑苏来电", "13911110001")
        ask_callback("310101", "黄浦来电", "13911110002")

    in_own_thread(ask_two)
    clerk = make_clerk("310101")
    page = signed_in_page(browser, live_stack, clerk)
    page.goto(live_stack.url("/assist/console/"))
    page.wait_for_selector("#callbacks-list li")
    items = page.locator("#callbacks-list li")
    assert items.count() == 2
    assert "黄浦来电" in items.nth(0).inner_text() and "本区" in items.nth(0).inner_text()  # own district first
    assert "1391111" not in page.locator("#callbacks-panel").inner_text()  # no number before the claim

    items.nth(0).get_by_role("button", name="认领").click()
    page.wait_for_selector("#callbacks-list li.mine .callback-phone:has-text('13911110002')")
    page.fill("#callbacks-list li.mine input", "无人接听")
    page.get_by_role("button", name="无人接听").click()
    page.wait_for_selector("#callbacks-list li:not(.mine):has-text('已拨打 1 次')")
    callback = Callback.objects.get(request__callback_phone="13911110002")
    assert (callback.status, callback.attempts, callback.last_note) == ("open", 1, "无人接听")

    # A citizen asks for a callback: the open console shows it without a reload.
    in_own_thread(lambda: ask_callback("310101", "新的回拨", "13911110003"))
    page.wait_for_selector("#callbacks-list li:has-text('新的回拨')", timeout=10000)
    assert page.locator("#callbacks-count").inner_text() == "3"
    close_console(page, clerk)
