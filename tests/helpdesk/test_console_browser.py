"""The clerk's console with a real citizen in another browser: the waiting list (pushed), picking a caller from
it, a canned reply, the caller's typing, microphone and camera shown live, and the console reloaded mid-call."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.test import Client

from helpdesk.models import AssistRequest, CallSession, CannedReply, ClerkProfile
from tests.factories import close_console, district, make_citizen, make_clerk

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ["ASSIST_SCREENSHOTS"]) if os.environ.get("ASSIST_SCREENSHOTS") else None


def signed_in_page(browser, live_stack, user, *, width=1280, language="zh-hans"):
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": width, "height": 900}, permissions=["camera", "microphone"])
    context.add_cookies(
        [
            {"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": "127.0.0.1", "path": "/"},
            {"name": "django_language", "value": language, "domain": "127.0.0.1", "path": "/"},
        ]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    return page


def shoot(page, name, tmp_path):
    page.screenshot(path=str((SCREENSHOTS or tmp_path) / f"console-{name}.png"), full_page=True)


def test_the_clerk_picks_a_caller_from_the_waiting_list_and_sees_their_typing_microphone_and_camera(
    live_stack, browser, tmp_path
):
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    CannedReply.objects.create(district=district("310101"), text="您好，请问有什么可以帮您？", position=1)
    citizen = make_citizen(code="310101", name="王小明")
    clerk = make_clerk("310101")
    clerk_page = signed_in_page(browser, live_stack, clerk)
    citizen_page = signed_in_page(browser, live_stack, citizen)

    # On a break: nothing rings, but the waiting list shows who waits.
    clerk_page.goto(live_stack.url("/assist/console/"))
    clerk_page.get_by_role("button", name="暂离").click()
    clerk_page.wait_for_selector("#presence-status[data-status='away']")
    assert clerk_page.locator("#waiting-empty").is_visible()

    citizen_page.goto(live_stack.url("/assist/"))
    citizen_page.locator("[data-assist-button]").click()
    citizen_page.wait_for_url("**/assist/r/*/")
    request = AssistRequest.objects.get(citizen=citizen)

    row = clerk_page.locator(f"#waiting-list li[data-request='{request.pk}']")
    row.wait_for(timeout=60000)  # pushed by the worker's queue fan-out, no reload
    text = row.inner_text()
    assert "王" in text and "王小明" not in text  # masked
    assert "黄浦" in text and "首次来电" in text and "本区" in text
    waited = row.locator(".waited")
    first = waited.inner_text()
    clerk_page.wait_for_timeout(2100)
    assert waited.inner_text() != first and waited.inner_text().startswith("已等待 0:")  # the wait ticks
    assert clerk_page.locator("#waiting-count").inner_text() == "1"
    shoot(clerk_page, "waiting-zh-1280", tmp_path)

    row.get_by_role("button", name="接听此来电").click()
    clerk_page.wait_for_selector("#call-panel:not([hidden])", timeout=15000)
    citizen_page.wait_for_selector("#call-panel:not([hidden])", timeout=15000)
    assert CallSession.objects.get(request=request).clerk == clerk
    clerk_page.wait_for_selector("#waiting-empty:not([hidden])", timeout=15000)  # off the list
    # Beside the call: where the caller is from, and that they never called before.
    clerk_page.wait_for_selector("#side-caller:has-text('上海黄浦区 · 首次来电')", timeout=15000)
    # Both sides' call sockets are open and the media connected (the chat goes over the call's socket).
    for page in (clerk_page, citizen_page):
        page.wait_for_function("() => document.getElementById('call-state').textContent === '已接通'", timeout=30000)

    # A canned reply: one click puts it into the message box, Enter sends it.
    clerk_page.locator(".reply-use", has_text="您好，请问有什么可以帮您？").click()
    assert clerk_page.locator("#chat-input").input_value() == "您好，请问有什么可以帮您？"
    clerk_page.press("#chat-input", "Enter")
    citizen_page.wait_for_selector("#chat-log li.theirs:has-text('您好，请问有什么可以帮您？')", timeout=15000)

    # The caller types: the clerk sees it; the message itself ends it.
    citizen_page.locator("#chat-input").press_sequentially("我想问一下", delay=50)
    clerk_page.wait_for_selector("#peer-typing:not([hidden])", timeout=10000)
    citizen_page.press("#chat-input", "Enter")
    clerk_page.wait_for_selector("#chat-log li.theirs:has-text('我想问一下')", timeout=10000)
    assert clerk_page.locator("#peer-typing").is_hidden()

    # The caller mutes and turns the camera off: the clerk is told at once; and the other way round.
    assert clerk_page.locator("#peer-muted").is_hidden()
    citizen_page.locator("#mute-button").click()
    clerk_page.wait_for_selector("#peer-muted:not([hidden])", timeout=10000)
    citizen_page.locator("#camera-button").click()
    clerk_page.wait_for_selector("#peer-camera-off:not([hidden])", timeout=10000)
    citizen_page.locator("#mute-button").click()
    clerk_page.wait_for_selector("#peer-muted[hidden]", state="attached", timeout=10000)
    clerk_page.locator("#mute-button").click()
    citizen_page.wait_for_selector("#peer-muted:not([hidden])", timeout=10000)
    shoot(clerk_page, "call-zh-1280", tmp_path)
    shoot(citizen_page, "citizen-call-zh-1280", tmp_path)

    # A personal reply, added and deleted from the console.
    clerk_page.fill("#reply-input", "请稍候，我帮您查一下。")
    clerk_page.locator("#reply-form button").click()
    clerk_page.locator(".reply-use", has_text="请稍候，我帮您查一下。").wait_for()
    clerk_page.get_by_role("button", name="删除这条常用语：请稍候，我帮您查一下。").click()
    clerk_page.locator(".reply-use", has_text="请稍候，我帮您查一下。").wait_for(state="detached")
    assert list(CannedReply.objects.filter(owner=clerk)) == []

    # The console reloaded mid-call: the chat is there again, and so is the caller's camera being off.
    clerk_page.reload()
    clerk_page.wait_for_selector("#call-panel:not([hidden])", timeout=15000)
    clerk_page.wait_for_selector("#chat-log li:has-text('我想问一下')", timeout=15000)
    clerk_page.wait_for_selector("#peer-camera-off:not([hidden])", timeout=15000)
    assert clerk_page.locator("#peer-muted").is_hidden()

    # English, elder mode and a phone's width, in the call.
    clerk_page.context.add_cookies([{"name": "django_language", "value": "en", "domain": "127.0.0.1", "path": "/"}])
    clerk_page.reload()
    clerk_page.wait_for_selector("#peer-camera-off:not([hidden])", timeout=15000)
    assert "The caller's camera is off" in clerk_page.locator("#peer-camera-off").inner_text()
    assert clerk_page.locator("#replies-title").inner_text() == "Canned replies (常用语)"
    shoot(clerk_page, "call-en-1280", tmp_path)
    clerk_page.set_viewport_size({"width": 390, "height": 860})
    shoot(clerk_page, "call-en-390", tmp_path)
    clerk_page.context.add_cookies(
        [{"name": "django_language", "value": "zh-hans", "domain": "127.0.0.1", "path": "/"}]
    )
    clerk_page.reload()
    clerk_page.locator(".care-toggle").click()
    clerk_page.wait_for_selector("body.care")
    clerk_page.wait_for_selector("#peer-camera-off:not([hidden])", timeout=15000)
    clerk_page.wait_for_selector("#chat-log li:has-text('我想问一下')", timeout=15000)
    shoot(clerk_page, "call-elder-390", tmp_path)
    clerk_page.set_viewport_size({"width": 1280, "height": 900})
    shoot(clerk_page, "call-elder-1280", tmp_path)
    assert clerk_page.js_errors == [] and citizen_page.js_errors == []

    # The caller hangs up once the reloaded console is back in the call.
    clerk_page.wait_for_function("() => document.getElementById('call-state').textContent === '已接通'", timeout=30000)
    citizen_page.locator("#hangup-button").click()
    clerk_page.wait_for_selector("#wrapup-panel:not([hidden])", timeout=15000)
    assert ClerkProfile.objects.get(clerk=clerk).status == ClerkProfile.Status.WRAP_UP
    clerk_page.locator("#wrapup-form input[name=then_available]").uncheck()
    clerk_page.locator("#wrapup-form button[type=submit]").click()
    clerk_page.wait_for_selector("#idle-panel:not([hidden])", timeout=15000)
    citizen_page.context.close()
    close_console(clerk_page, clerk)


def test_a_waiting_list_on_a_phone_and_in_english(live_stack, browser, tmp_path):
    """The list's rows at 390 px, in English and in elder mode: readable, the answer button in reach."""
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    from helpdesk import services

    clerk = make_clerk("310101")

    for code, name in (("310101", "李华"), ("310101", "张伟"), ("320508", "赵敏")):
        request = services.assist_request_create(citizen=make_citizen(code=code, name=name), route=False)
        services.assist_request_returned(request_id=request.pk)  # their queue pages are open: the sweep keeps them
    for language, elder, width in (("en", False, 390), ("en", False, 1280), ("zh-hans", True, 390)):
        page = signed_in_page(browser, live_stack, clerk, width=width, language=language)
        page.goto(live_stack.url("/assist/console/"))
        if elder:
            page.locator(".care-toggle").click()
            page.wait_for_selector("body.care")
        page.wait_for_selector("#presence-status[data-status='offline']")
        page.get_by_role("button", name="Take a break" if language == "en" else "暂离").click()
        page.wait_for_selector("#presence-status[data-status='away']")
        page.wait_for_selector("#waiting-list li[data-request]", timeout=15000)
        assert page.locator("#waiting-list li[data-request]").count() == 3
        button = page.locator("#waiting-list li[data-request] .pick-button").first
        assert button.is_visible() and button.is_enabled()
        # Every row's answer button within the page's width (no sideways scrolling on a phone).
        overflow = page.evaluate(
            """() => Array.from(document.querySelectorAll('#waiting-list .pick-button'))
                 .map((b) => b.getBoundingClientRect().right)
                 .filter((right) => right > document.documentElement.clientWidth).length"""
        )
        assert overflow == 0
        if language == "en":
            assert "Waiting list" in page.locator("#waiting-title").inner_text()
            listed = page.locator("#waiting-list").inner_text()
            assert "first call" in listed and "Huangpu" in listed and "Mandarin" in listed
        shoot(page, f"waiting-{'elder' if elder else language}-{width}", tmp_path)
        assert page.js_errors == []
        close_console(page, clerk)
