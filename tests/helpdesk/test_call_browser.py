"""Two real Chromiums with fake cameras: the citizen clicks once, the clerk accepts, video flows both ways."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.test import Client

from helpdesk.models import CallSession, Snapshot
from tests.factories import close_console, make_citizen, make_clerk

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("ASSIST_SCREENSHOTS", "")) if os.environ.get("ASSIST_SCREENSHOTS") else None


def signed_in_page(browser, live_stack, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, permissions=["camera", "microphone"])
    context.add_init_script(TRACK_PEER_CONNECTIONS)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": "127.0.0.1", "path": "/"}]
    )
    return context.new_page()


def shoot(page, name, tmp_path):
    page.screenshot(path=str((SCREENSHOTS or tmp_path) / f"{name}.png"), full_page=True)


# The test watches the page's peer connections itself: the pages expose nothing for tests.
TRACK_PEER_CONNECTIONS = """
(() => {
  const Native = window.RTCPeerConnection;
  window.__testPeerConnections = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) { super(...args); window.__testPeerConnections.push(this); }
  };
})();
"""

# Bytes of video sent and received so far by the call's connection (the latest one still open:
# a page replaces its connection when the other side starts afresh), from getStats.
VIDEO_BYTES = """
async () => {
  const open = (window.__testPeerConnections || []).filter((pc) => pc.connectionState !== "closed");
  let sent = 0, received = 0;
  if (!open.length) return { sent, received };
  const stats = await open[open.length - 1].getStats();
  stats.forEach((report) => {
    if (report.kind !== "video") return;
    if (report.type === "outbound-rtp") sent += report.bytesSent || 0;
    if (report.type === "inbound-rtp") received += report.bytesReceived || 0;
  });
  return { sent, received };
}
"""


def video_bytes(page) -> dict:
    return page.evaluate(VIDEO_BYTES)


def wait_for_video_both_ways(page, timeout=30.0) -> dict:
    deadline = time.monotonic() + timeout
    stats = {"sent": 0, "received": 0}
    while time.monotonic() < deadline:
        stats = video_bytes(page)
        if stats["sent"] > 20_000 and stats["received"] > 20_000:
            return stats
        page.wait_for_timeout(250)
    return stats


def test_a_browser_citizen_calls_a_browser_clerk_and_video_flows_both_ways(live_stack, browser, tmp_path):
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    citizen = make_citizen(code="310101")
    clerk = make_clerk("310101")
    clerk_page = signed_in_page(browser, live_stack, clerk)
    citizen_page = signed_in_page(browser, live_stack, citizen)

    clerk_page.goto(live_stack.url("/assist/console/"))
    assert "视频帮办台" in clerk_page.title()
    clerk_page.get_by_role("button", name="接听就绪").click()
    clerk_page.wait_for_selector("#presence-status[data-status='available']")
    shoot(clerk_page, "console-idle", tmp_path)

    citizen_page.goto(live_stack.url("/assist/"))
    shoot(citizen_page, "citizen-start", tmp_path)
    citizen_page.locator("[data-assist-button]").click()
    citizen_page.wait_for_url("**/assist/r/*/")

    clerk_page.wait_for_selector("#ring-panel:not([hidden])", timeout=15000)
    assert citizen.display_name in clerk_page.locator("#ring-context").inner_text()
    shoot(clerk_page, "console-ringing", tmp_path)
    clerk_page.get_by_role("button", name="接听", exact=True).click()

    citizen_page.wait_for_selector("#call-panel:not([hidden])", timeout=15000)
    citizen_stats = wait_for_video_both_ways(citizen_page)
    clerk_stats = wait_for_video_both_ways(clerk_page)
    assert citizen_stats["sent"] > 20_000 and citizen_stats["received"] > 20_000, citizen_stats
    assert clerk_stats["sent"] > 20_000 and clerk_stats["received"] > 20_000, clerk_stats

    citizen_page.fill("#chat-input", "我想咨询公积金转移")
    citizen_page.press("#chat-input", "Enter")
    clerk_page.wait_for_selector("#chat-log li.theirs:has-text('我想咨询公积金转移')")
    assert citizen_page.locator("#chat-log li").count() == 1  # no echo of the citizen's own message

    # Screen sharing renegotiates the running call: the clerk gets a second video with frames, then loses it.
    citizen_page.locator("#screen-button").click()
    clerk_page.wait_for_selector("#screen-box:not([hidden])", timeout=15000)
    clerk_page.wait_for_function(
        "() => { const v = document.getElementById('screen-video'); return !!v.srcObject && v.videoWidth > 0; }",
        timeout=15000,
    )
    shoot(clerk_page, "console-screen", tmp_path)
    citizen_page.locator("#screen-button").click()
    clerk_page.wait_for_selector("#screen-box", state="hidden", timeout=15000)
    assert video_bytes(citizen_page)["sent"] > 0

    clerk_page.get_by_role("button", name="拍摄证件快照").click()
    clerk_page.wait_for_selector(".snapshot-thumb")
    shoot(citizen_page, "citizen-call", tmp_path)
    shoot(clerk_page, "console-call", tmp_path)

    clerk_page.get_by_role("button", name="挂断").click()
    clerk_page.wait_for_selector("#wrapup-panel:not([hidden])")
    clerk_page.fill("#wrapup-notes", "已指导在线提交材料")
    shoot(clerk_page, "console-wrapup", tmp_path)
    clerk_page.get_by_role("button", name="保存小结").click()
    clerk_page.wait_for_selector("#idle-panel:not([hidden])")

    citizen_page.wait_for_selector("#after-panel:not([hidden])", timeout=15000)
    citizen_page.get_by_role("button", name="提交评价").click()
    citizen_page.wait_for_selector("#rating-result:has-text('感谢')")
    shoot(citizen_page, "citizen-rated", tmp_path)

    session = CallSession.objects.get(citizen=citizen)
    assert (session.notes, session.rating, session.outcome) == ("已指导在线提交材料", 5, "resolved")
    assert session.talk_seconds is not None and session.talk_seconds > 0
    assert Snapshot.objects.filter(session=session).count() == 1
    citizen_page.context.close()
    close_console(clerk_page, clerk)


def test_with_no_clerk_online_the_citizen_sees_the_queue_and_leaves_a_callback_number(live_stack, browser, tmp_path):
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    citizen = make_citizen(code="320613")
    page = signed_in_page(browser, live_stack, citizen)
    page.goto(live_stack.url("/assist/"))
    page.locator("[data-assist-button]").click()
    page.wait_for_url("**/assist/r/*/")
    page.wait_for_selector("#queue-position:has-text('1')")
    assert "暂无工作人员在线" in page.locator("#queue-estimate").inner_text()
    page.wait_for_selector("#callback-box:not([hidden])")
    shoot(page, "citizen-queue", tmp_path)
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "citizen-queue-390", tmp_path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    page.set_viewport_size({"width": 1280, "height": 900})
    # The number called is the account's, shown and not editable.
    assert page.locator("#callback-number").inner_text() == citizen.phone
    assert page.locator("#callback-phone").get_attribute("type") == "hidden"
    page.get_by_role("button", name="请回拨给我").click()
    page.wait_for_selector("#closed-panel:not([hidden])")
    assert "回拨" in page.locator("#closed-message").inner_text()
    request = citizen.assist_requests.get()
    assert (request.state, request.callback_phone) == ("callback", citizen.phone)
    page.context.close()
