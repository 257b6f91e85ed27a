"""Three real Chromiums: a citizen at home, the 黄浦 clerk who answers, and the 蜀山 clerk of the district
that approves the item, brought into the call from the console; each receives video from both others, and
the citizen's reloaded page returns to the same call."""

from __future__ import annotations

import time
from typing import Any

import pytest

from cases.models import CaseEvent
from cases.services import case_draft_create
from helpdesk.models import CallMember, CallSession
from standards.models import ItemVersion
from tests.factories import (
    HUANGPU,
    SHUSHAN,
    close_console,
    make_citizen,
    make_clerk,
    make_item,
    pdf_upload,
    upload_required,
    with_form,
)
from tests.helpdesk.test_call_browser import shoot, signed_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Bytes of video received on each open peer connection of the page (one per other member), from getStats.
VIDEO_RECEIVED_PER_CONNECTION = """
async () => {
  const open = (window.__testPeerConnections || []).filter((pc) => pc.connectionState !== "closed");
  const out = [];
  for (const pc of open) {
    const stats = await pc.getStats();
    let received = 0;
    stats.forEach((report) => {
      if (report.kind === "video" && report.type === "inbound-rtp") received += report.bytesReceived || 0;
    });
    out.push(received);
  }
  return out;
}
"""


def wait_for_video_from(page, count: int, timeout: float = 40.0) -> list[int]:
    """Wait until `count` open connections of the page each received video (> 20 kB)."""
    deadline = time.monotonic() + timeout
    received: list[int] = []
    while time.monotonic() < deadline:
        received = page.evaluate(VIDEO_RECEIVED_PER_CONNECTION)
        if sum(1 for b in received if b > 20_000) >= count:
            return received
        page.wait_for_timeout(300)
    return received


# Two required fields for the clerk to fill in the call, and one the applicant may leave empty (a test form).
CALL_FORM: list[dict[str, Any]] = [
    {"key": "name", "label": "申请人姓名", "label_en": "Applicant's name", "kind": "text", "required": True},
    {"key": "phone", "label": "联系电话", "label_en": "Phone", "kind": "phone", "required": True},
    {"key": "note", "label": "备注", "label_en": "Notes", "kind": "long_text"},
]


def test_the_approving_districts_clerk_is_brought_into_the_call_and_all_three_see_each_other(
    live_stack, browser, tmp_path
):
    version = with_form(make_item(accept_in=(HUANGPU,), approve_in=(SHUSHAN,)), CALL_FORM)
    ItemVersion.objects.filter(pk=version.pk).update(assistance_guide="核对营业执照有效期与经营范围")
    citizen = make_citizen(code=HUANGPU)
    draft = case_draft_create(applicant=citizen, item_version=version, actor=citizen)
    upload_required(draft, citizen)
    huangpu = make_clerk(HUANGPU)
    shushan = make_clerk(SHUSHAN)
    huangpu_page = signed_in_page(browser, live_stack, huangpu)
    shushan_page = signed_in_page(browser, live_stack, shushan)
    citizen_page = signed_in_page(browser, live_stack, citizen)

    huangpu_page.goto(live_stack.url("/assist/console/"))
    huangpu_page.get_by_role("button", name="接听就绪").click()
    huangpu_page.wait_for_selector("#presence-status[data-status='available']")

    # The citizen calls from the item's page (its version is the request's context).
    citizen_page.goto(live_stack.url(f"/items/{version.item.code}/"))
    citizen_page.locator("[data-assist-button]").click()
    citizen_page.wait_for_url("**/assist/r/*/")
    huangpu_page.wait_for_selector("#ring-panel:not([hidden])", timeout=15000)
    huangpu_page.get_by_role("button", name="接听", exact=True).click()
    citizen_page.wait_for_selector("#call-panel:not([hidden])", timeout=15000)
    assert wait_for_video_from(citizen_page, 1)[-1] > 20_000

    # Beside the call: the item's standard and its 帮办要点.
    huangpu_page.wait_for_selector("#side-guide:has-text('核对营业执照有效期与经营范围')")
    # 人证比对 in the call: recorded with the call (no case is linked to this one).
    huangpu_page.get_by_role("button", name="人证一致").click()
    huangpu_page.wait_for_selector("#identity-result:has-text('已记录在本次通话中')")

    # Only now is the 蜀山 clerk at their desk (else the queue could have rung them first).
    shushan_page.goto(live_stack.url("/assist/console/"))
    shushan_page.get_by_role("button", name="接听就绪").click()
    shushan_page.wait_for_selector("#presence-status[data-status='available']")

    # The approving district comes first in the list; the note goes with the ring.
    huangpu_page.wait_for_function("() => document.getElementById('invite-district').length > 0")
    assert "审批地" in huangpu_page.locator("#invite-district option").first.inner_text()
    huangpu_page.fill("#invite-note", "请核对营业执照是否符合蜀山标准")
    huangpu_page.get_by_role("button", name="呼叫工作人员").click()

    shushan_page.wait_for_selector("#ring-panel:not([hidden])", timeout=15000)
    ring = shushan_page.locator("#ring-invite").inner_text()
    assert "三方通话" in ring and "请核对营业执照是否符合蜀山标准" in ring and huangpu.display_name in ring
    assert citizen.display_name in shushan_page.locator("#ring-context").inner_text()
    shoot(shushan_page, "console-invite-ring", tmp_path)
    shushan_page.get_by_role("button", name="接听", exact=True).click()
    shushan_page.wait_for_selector("#call-panel:not([hidden])", timeout=15000)
    shushan_page.wait_for_selector("#side-guide:has-text('核对营业执照有效期与经营范围')")
    assert shushan_page.locator("#invite-box").is_hidden()  # only the clerk holding the call rings others

    # The citizen shares their draft; the 黄浦 clerk files a snapshot into it, and the citizen sees it appear,
    # marked as added by a clerk.
    citizen_page.get_by_role("button", name="允许本次通话中的工作人员查看并帮我填写申请").click()
    citizen_page.wait_for_selector("#draft-box:not([hidden])")
    huangpu_page.wait_for_selector(f"#draft-case:has-text('{draft.reference}')")

    # Issue 14 item 2: the 黄浦 clerk fills two fields of the application form; the citizen sees each appear
    # live (the change event carries the values), marked as filled in by that clerk.
    assert "申请人姓名" in citizen_page.locator("#draft-form-missing").inner_text()
    huangpu_page.fill("#draft-field-name", "王小明")
    huangpu_page.press("#draft-field-name", "Tab")  # saved when the clerk leaves the field
    citizen_page.wait_for_selector(
        f"#draft-form li[data-field='name'] .by-clerk:has-text('{huangpu.display_name}')", timeout=15000
    )
    huangpu_page.fill("#draft-field-phone", "13812345678")
    huangpu_page.press("#draft-field-phone", "Tab")
    citizen_page.wait_for_selector(
        f"#draft-form li[data-field='phone'] .by-clerk:has-text('{huangpu.display_name}')", timeout=15000
    )
    mark = citizen_page.locator("#draft-form li[data-field='name'] .by-clerk").inner_text()
    assert mark == f"由工作人员 {huangpu.display_name} 填写"
    assert citizen_page.input_value("#draft-field-name") == "王小明"
    assert citizen_page.input_value("#draft-field-phone") == "13812345678"
    assert citizen_page.locator("#draft-form-missing").inner_text() == ""
    assert citizen_page.locator("#draft-form li[data-field='note'] .by-clerk").count() == 0
    shushan_page.wait_for_selector(f"#draft-form li[data-field='phone'] .by-clerk:has-text('{huangpu.display_name}')")
    shoot(citizen_page, "citizen-form-filled-by-clerk", tmp_path)
    huangpu_page.wait_for_function("() => document.getElementById('snapshot-material').length > 1")
    huangpu_page.select_option("#snapshot-material", str(version.materials.get(name="申请表").pk))
    huangpu_page.wait_for_function("() => document.getElementById('remote-video').videoWidth > 0", timeout=30000)
    huangpu_page.get_by_role("button", name="拍摄证件快照").click()
    citizen_page.wait_for_selector(f"#draft-materials li .by-clerk:has-text('{huangpu.display_name}')", timeout=15000)
    assert "申请表" in citizen_page.locator("#draft-materials li:has(.by-clerk)").inner_text()
    shushan_page.wait_for_selector(f"#draft-materials li .by-clerk:has-text('{huangpu.display_name}')")

    # 预审: the 蜀山 clerk of the approving district marks it not conforming; the citizen sees the mark,
    # cannot submit yet, replaces the file and submits; the submitted case carries the pre-check.
    form_id = str(version.materials.get(name="申请表").pk)
    shushan_page.select_option("#precheck-material", form_id)
    shushan_page.fill("#precheck-reason", "未签名")
    shushan_page.get_by_role("button", name="不符合标准").click()
    row = f"#draft-materials li[data-material='{form_id}']"
    form_row = citizen_page.locator(row)
    citizen_page.wait_for_selector(f"{row} .precheck[data-verdict='not_conforming']")
    assert "未签名" in form_row.inner_text() and "预审不符合" in citizen_page.locator("#draft-missing").inner_text()
    citizen_page.get_by_role("button", name="提交申请").click()
    citizen_page.wait_for_selector("#draft-submit-result:has-text('请先替换')")
    citizen_page.locator(f"{row} input.draft-upload").set_input_files(
        {"name": "申请表-已签名.pdf", "mimeType": "application/pdf", "buffer": pdf_upload().read()}
    )
    citizen_page.wait_for_function(
        "() => !document.getElementById('draft-missing').textContent.includes('预审不符合')", timeout=15000
    )
    shushan_page.wait_for_function("() => !document.getElementById('draft-missing').textContent.includes('预审不符合')")
    citizen_page.get_by_role("button", name="提交申请").click()
    citizen_page.wait_for_selector("#draft-submit-result:has-text('已提交')", timeout=15000)
    draft.refresh_from_db()
    assert draft.submitted_at is not None
    filled = {v.key: (v.value, v.filled_by, v.on_behalf_of) for v in draft.form_values.filter(current=True)}
    assert filled == {"name": ("王小明", huangpu, citizen), "phone": ("13812345678", huangpu, citizen)}
    prechecks = CaseEvent.objects.filter(case=draft, action="assist_prechecked")
    assert [(e.data["verdict"], e.reason, e.actor) for e in prechecks] == [("not_conforming", "未签名", shushan)]

    # A full mesh: every page receives video on two connections, one from each other member.
    for page in (citizen_page, huangpu_page, shushan_page):
        received = wait_for_video_from(page, 2)
        assert sum(1 for b in received if b > 20_000) >= 2, received
    citizen_page.wait_for_function(
        f"() => document.getElementById('call-members').textContent.includes('{shushan.display_name}')"
    )
    huangpu_page.wait_for_selector("#invite-status:has-text('已加入')")
    shoot(citizen_page, "citizen-three-way", tmp_path)
    shoot(huangpu_page, "console-three-way", tmp_path)

    # The citizen reloads the page: the same call, its members, the chat so far, and video from both again.
    huangpu_page.fill("#chat-input", "请把营业执照对准摄像头")
    huangpu_page.press("#chat-input", "Enter")
    citizen_page.wait_for_selector("#chat-log li.theirs:has-text('请把营业执照对准摄像头')")
    citizen_page.reload()
    citizen_page.wait_for_selector("#call-panel:not([hidden])", timeout=15000)
    citizen_page.wait_for_selector("#chat-log li.theirs:has-text('请把营业执照对准摄像头')", timeout=15000)
    citizen_page.wait_for_function(
        f"() => document.getElementById('call-members').textContent.includes('{shushan.display_name}')"
    )
    received = wait_for_video_from(citizen_page, 2)
    assert sum(1 for b in received if b > 20_000) >= 2, received

    # The 蜀山 clerk leaves; the call goes on between the citizen and the 黄浦 clerk.
    shushan_page.get_by_role("button", name="挂断").click()
    shushan_page.wait_for_selector("#idle-panel:not([hidden])", timeout=15000)
    session = CallSession.objects.get(citizen=citizen)
    assert (session.identity_result, session.identity_checked_by) == ("match", huangpu)
    deadline = time.monotonic() + 10
    while CallMember.objects.filter(session=session, user=shushan, left_at__isnull=True).exists():
        assert time.monotonic() < deadline, "the guest's leave was not recorded"
        time.sleep(0.1)
    session.refresh_from_db()
    assert session.ended_at is None
    citizen_page.wait_for_function(
        f"() => !document.getElementById('call-members').textContent.includes('{shushan.display_name}')"
    )

    huangpu_page.get_by_role("button", name="挂断").click()
    huangpu_page.wait_for_selector("#wrapup-panel:not([hidden])")
    huangpu_page.fill("#wrapup-notes", "蜀山窗口已远程核对材料")
    huangpu_page.get_by_role("button", name="保存小结").click()
    huangpu_page.wait_for_selector("#idle-panel:not([hidden])")
    stays = {(m.user_id, m.role, m.left_because) for m in CallMember.objects.filter(session=session)}
    assert stays == {
        (citizen.pk, "citizen", "call_ended"),
        (huangpu.pk, "clerk", "call_ended"),
        (shushan.pk, "guest", "left"),
    }
    citizen_page.context.close()
    close_console(shushan_page, shushan)
    close_console(huangpu_page, huangpu)


def test_a_warm_transfer_hands_the_caller_to_the_approving_clerk_who_stays_connected_and_writes_the_wrap_up(
    live_stack, browser, tmp_path
):
    version = make_item(accept_in=(HUANGPU,), approve_in=(SHUSHAN,))
    citizen = make_citizen(code=HUANGPU)
    huangpu = make_clerk(HUANGPU)
    shushan = make_clerk(SHUSHAN)
    huangpu_page = signed_in_page(browser, live_stack, huangpu)
    shushan_page = signed_in_page(browser, live_stack, shushan)
    citizen_page = signed_in_page(browser, live_stack, citizen)

    huangpu_page.goto(live_stack.url("/assist/console/"))
    huangpu_page.get_by_role("button", name="接听就绪").click()
    huangpu_page.wait_for_selector("#presence-status[data-status='available']")
    citizen_page.goto(live_stack.url(f"/items/{version.item.code}/"))
    citizen_page.locator("[data-assist-button]").click()
    huangpu_page.wait_for_selector("#ring-panel:not([hidden])", timeout=15000)
    huangpu_page.get_by_role("button", name="接听", exact=True).click()
    citizen_page.wait_for_selector("#call-panel:not([hidden])", timeout=15000)
    assert citizen_page.locator("#recording-notice").is_hidden()  # this call is not recorded

    # A snapshot of the document, marked where to sign (a circle and an arrow), shown on the citizen's screen.
    huangpu_page.wait_for_function("() => document.getElementById('remote-video').videoWidth > 0", timeout=30000)
    huangpu_page.get_by_role("button", name="拍摄证件快照").click()
    huangpu_page.locator(".snapshot-thumb").first.click()
    huangpu_page.wait_for_selector("#annotate-box:not([hidden])")
    huangpu_page.wait_for_function("() => document.getElementById('annotate-canvas').width > 0")
    huangpu_page.locator("#annotate-canvas").click(position={"x": 40, "y": 30})
    huangpu_page.get_by_role("button", name="展示给来电人").click()
    citizen_page.wait_for_selector("#annotation-box:not([hidden])", timeout=15000)
    citizen_page.wait_for_selector("#annotation-canvas[data-marks='1']", timeout=15000)

    # Policy now records the call: the returning page shows the notice, and the caller agrees.
    session = CallSession.objects.get(citizen=citizen)
    CallSession.objects.filter(pk=session.pk).update(recording_required=True)
    citizen_page.reload()
    citizen_page.wait_for_selector("#recording-notice:not([hidden])", timeout=15000)
    assert citizen_page.locator("#recording-refuse").is_hidden()  # refusal not allowed by this policy
    citizen_page.get_by_role("button", name="我同意录像").click()
    citizen_page.wait_for_selector("#recording-answer:has-text('您已同意')")
    session.refresh_from_db()
    assert session.recording_consent == "given"

    shushan_page.goto(live_stack.url("/assist/console/"))
    shushan_page.get_by_role("button", name="接听就绪").click()
    shushan_page.wait_for_selector("#presence-status[data-status='available']")

    huangpu_page.wait_for_function("() => document.getElementById('invite-district').length > 0")
    huangpu_page.select_option("#invite-kind", "transfer")
    huangpu_page.fill("#invite-note", "已核对身份，请蜀山窗口继续受理")
    huangpu_page.get_by_role("button", name="呼叫工作人员").click()
    shushan_page.wait_for_selector("#ring-panel:not([hidden])", timeout=15000)
    assert "带话转接" in shushan_page.locator("#ring-invite").inner_text()
    shushan_page.get_by_role("button", name="接听", exact=True).click()

    # The first clerk is free at once; the caller stays on the line, now with the 蜀山 clerk only.
    huangpu_page.wait_for_selector("#idle-panel:not([hidden])", timeout=15000)
    huangpu_page.wait_for_selector("#presence-status[data-status='available']")
    shushan_page.wait_for_selector("#call-panel:not([hidden])", timeout=15000)
    assert shushan_page.locator("#invite-box").is_visible()  # now the clerk holding the call
    citizen_page.wait_for_function(
        f"() => !document.getElementById('call-members').textContent.includes('{huangpu.display_name}')"
    )
    assert shushan.display_name in citizen_page.locator("#call-members").inner_text()
    received = wait_for_video_from(citizen_page, 1)
    assert max(received) > 20_000, received
    shoot(citizen_page, "citizen-after-transfer", tmp_path)

    shushan_page.get_by_role("button", name="挂断").click()
    shushan_page.wait_for_selector("#wrapup-panel:not([hidden])")
    shushan_page.fill("#wrapup-notes", "转接后受理")
    shushan_page.get_by_role("button", name="保存小结").click()
    shushan_page.wait_for_selector("#idle-panel:not([hidden])")
    session = CallSession.objects.get(citizen=citizen)
    assert (session.clerk, session.notes) == (shushan, "转接后受理")
    assert CallMember.objects.get(session=session, user=huangpu).left_because == "transferred"
    citizen_page.context.close()
    close_console(shushan_page, shushan)
    close_console(huangpu_page, huangpu)
