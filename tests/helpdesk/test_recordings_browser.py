"""Recording in real Chromiums: the caller's page and the clerk's console each send their own media to the
real recorder (`manage.py assist_recorder`), which files each in a file of its own; a supervisor then plays
each member's recording on the recordings page (every playback logged), at desktop and phone widths and in
elder mode; a clerk gets 404."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from helpdesk.models import AssistEvent, CallRecording, CallSession
from tests.factories import close_console, make_citizen, make_clerk, make_user
from tests.helpdesk.test_call_browser import shoot, signed_in_page, wait_for_video_both_ways
from tests.helpdesk.test_probe_recorder import frames_in, the_recorder

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def files_growing(directory: Path, count: int, timeout: float = 40.0) -> list[Path]:
    """Wait until the recorder writes `count` files of media (> 20 kB each) in `directory`."""
    deadline = time.monotonic() + timeout
    files: list[Path] = []
    while time.monotonic() < deadline:
        files = sorted(directory.glob("*.mp4")) if directory.exists() else []
        if sum(1 for f in files if f.stat().st_size > 20_000) >= count:
            return files
        time.sleep(0.3)
    return files


def test_the_callers_page_and_the_clerks_console_are_each_recorded_and_a_supervisor_plays_each_back(
    live_stack, browser, tmp_path
):
    citizen = make_citizen(code="310101")
    clerk = make_clerk("310101")
    clerk_page = signed_in_page(browser, live_stack, clerk)
    citizen_page = signed_in_page(browser, live_stack, citizen)
    clerk_page.goto(live_stack.url("/assist/console/"))
    clerk_page.get_by_role("button", name="接听就绪").click()
    clerk_page.wait_for_selector("#presence-status[data-status='available']")
    citizen_page.goto(live_stack.url("/assist/"))
    citizen_page.locator("[data-assist-button]").click()
    clerk_page.wait_for_selector("#ring-panel:not([hidden])", timeout=15000)
    clerk_page.get_by_role("button", name="接听", exact=True).click()
    citizen_page.wait_for_selector("#call-panel:not([hidden])", timeout=15000)

    # Policy records the call: the returning page shows the notice and the caller agrees.
    session = CallSession.objects.get(citizen=citizen)
    CallSession.objects.filter(pk=session.pk).update(recording_required=True)
    citizen_page.reload()
    citizen_page.get_by_role("button", name="我同意录像").click()
    citizen_page.wait_for_selector("#recording-answer:has-text('您已同意')")
    wait_for_video_both_ways(citizen_page)

    with the_recorder(live_stack) as media_root:
        # The recorder joins; each page opens its own connection to it (the clerk's too).
        growing = files_growing(media_root / f"assist/recordings/call{session.pk}", 2)
        assert len(growing) == 2, growing
        clerk_page.get_by_role("button", name="挂断").click()
        deadline = time.monotonic() + 30
        while CallRecording.objects.filter(session=session).count() < 2:
            assert time.monotonic() < deadline, "the recordings were never attached"
            time.sleep(0.3)
    recordings = list(CallRecording.objects.filter(session=session).order_by("peer"))
    assert [(r.peer, r.user_id) for r in recordings] == [("citizen", citizen.pk), (f"clerk-{clerk.pk}", clerk.pk)]
    for recording in recordings:
        assert frames_in(media_root / recording.file.name) >= 10, recording.peer
    clerk_page.wait_for_selector("#wrapup-panel:not([hidden])")
    clerk_page.fill("#wrapup-notes", "已录像")
    clerk_page.get_by_role("button", name="保存小结").click()
    clerk_page.wait_for_selector("#idle-panel:not([hidden])")
    citizen_page.context.close()
    close_console(clerk_page, clerk)

    supervisor = make_user("supervisor")
    page = signed_in_page(browser, live_stack, supervisor)
    page.goto(live_stack.url(f"/assist/calls/{session.pk}/recordings/"))
    assert page.locator("li.recording video").count() == 2
    assert not AssistEvent.objects.filter(kind="call.recording_played").exists()  # nothing fetched before play
    for index, recording in enumerate(recordings):
        video = page.locator(f"#recording-{recording.pk} video")
        video.evaluate("v => { v.muted = true; return v.play(); }")
        page.wait_for_function(
            f"() => document.querySelector('#recording-{recording.pk} video').currentTime > 0.5", timeout=20000
        )
        video.evaluate("v => v.pause()")
        assert AssistEvent.objects.filter(
            session=session, kind="call.recording_played", actor=supervisor, data__recording=recording.pk
        ).exists(), index
    shoot(page, "recordings", tmp_path)
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator(".care-toggle").click()
    page.wait_for_selector("body.care")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, width  # no sideways scrolling on a phone
    assert page.locator("form.care-help").count() == 0  # staff are not offered the one-click help here
    shoot(page, "recordings-phone-care", tmp_path)
    page.context.close()

    other_clerk_page = signed_in_page(browser, live_stack, make_clerk("310101"))
    answered = other_clerk_page.goto(live_stack.url(f"/assist/calls/{session.pk}/recordings/"))
    assert answered is not None and answered.status == 404
    other_clerk_page.context.close()
