"""Calls of more than two: a clerk of the approving district brought in, warm transfer, every stay recorded."""

from __future__ import annotations

import datetime as dt

import pytest

from govservice.errors import Conflict, NotAllowed, Unavailable
from helpdesk import selectors, services
from helpdesk.models import AssistEvent, CallInvite, CallMember, ClerkProfile, Offer
from tests.factories import HUANGPU, SHUSHAN, T0, make_citizen, make_clerk, make_item
from tests.helpdesk.test_api import api

pytestmark = pytest.mark.django_db

Status = ClerkProfile.Status


def a_call(version=None):
    """A 黄浦 citizen on a call with a 黄浦 clerk about an item approved in 蜀山."""
    version = version or make_item(accept_in=(HUANGPU,), approve_in=(SHUSHAN,))
    host = make_clerk(HUANGPU, status=Status.AVAILABLE, idle_since=T0)
    citizen = make_citizen(code=HUANGPU)
    request = services.assist_request_create(citizen=citizen, item_version=version)
    offer = Offer.objects.get(request=request, outcome=Offer.Outcome.RINGING)
    return services.assist_offer_accept(offer_id=offer.pk, clerk=host)


def status_of(clerk) -> str:
    return ClerkProfile.objects.get(clerk=clerk).status


def test_it_rings_the_longest_idle_available_clerk_of_the_approving_district():
    session = a_call()
    make_clerk(HUANGPU, status=Status.AVAILABLE, idle_since=T0)  # of the wrong district
    busy = make_clerk(SHUSHAN, status=Status.AWAY)
    newer = make_clerk(SHUSHAN, status=Status.AVAILABLE, idle_since=T0 + dt.timedelta(minutes=5))
    longest_idle = make_clerk(SHUSHAN, status=Status.AVAILABLE, idle_since=T0)

    invite = services.call_invite_create(session=session, clerk=session.clerk, note="请核对营业执照")

    assert (invite.clerk, invite.district.division_code, invite.outcome) == (longest_idle, SHUSHAN, "ringing")
    assert (status_of(longest_idle), status_of(newer), status_of(busy)) == ("ringing", "available", "away")
    context = selectors.invite_context(invite)
    assert context["note"] == "请核对营业执照"
    assert context["context"]["citizen"] == session.citizen.display_name


def test_three_members_are_in_the_call_after_the_approving_clerk_accepts_and_each_stay_is_recorded():
    session = a_call()
    guest = make_clerk(SHUSHAN, status=Status.AVAILABLE, idle_since=T0)
    invite = services.call_invite_create(session=session, clerk=session.clerk)
    services.call_invite_accept(invite_id=invite.pk, clerk=guest)

    peers = {m["peer"]: m["role"] for m in selectors.call_members(session_id=session.pk)}
    assert peers == {"citizen": "citizen", f"clerk-{session.clerk_id}": "clerk", f"clerk-{guest.pk}": "guest"}
    assert session.role_of(guest.pk) == "guest" and status_of(guest) == "in_call"

    # The guest leaves; the call goes on for the other two, and the guest is free for the next call.
    services.call_hang_up(session=session, actor=guest)
    session.refresh_from_db()
    assert session.ended_at is None
    assert session.role_of(guest.pk) is None
    assert status_of(guest) == "available"

    services.call_hang_up(session=session, actor=session.citizen)
    stays = list(CallMember.objects.filter(session=session).values_list("user_id", "left_because"))
    assert sorted(stays) == sorted(
        [(session.citizen_id, "call_ended"), (session.clerk_id, "call_ended"), (guest.pk, "left")]
    )
    kinds = list(AssistEvent.objects.filter(session=session).values_list("kind", flat=True))
    assert kinds.count("call.member_joined") == 3 and kinds.count("call.member_left") == 3


def test_a_warm_transfer_hands_the_call_over_and_the_caller_stays_on_the_line():
    session = a_call()
    first = session.clerk
    second = make_clerk(SHUSHAN, status=Status.AVAILABLE, idle_since=T0)
    invite = services.call_invite_create(
        session=session, clerk=first, district_code=SHUSHAN, kind="transfer", note="已核对身份，待补材料"
    )
    services.call_invite_accept(invite_id=invite.pk, clerk=second)

    session.refresh_from_db()
    assert session.clerk == second and session.ended_at is None
    assert (status_of(first), status_of(second)) == ("available", "in_call")
    assert session.role_of(first.pk) is None and session.role_of(session.citizen_id) == "citizen"
    left = CallMember.objects.get(session=session, user=first)
    assert left.left_because == "transferred"
    transferred = AssistEvent.objects.get(session=session, kind="call.transferred")
    assert transferred.data == {"to": second.pk, "note": "已核对身份，待补材料"}
    # The clerk who took the call over writes its wrap-up; the first one no longer may.
    with pytest.raises(NotAllowed):
        services.call_session_wrap_up(session=session, clerk=first, notes="", outcome="resolved")
    services.call_session_wrap_up(session=session, clerk=second, notes="已受理", outcome="resolved")


def test_it_refuses_when_no_clerk_of_the_district_is_available_and_when_the_asker_does_not_hold_the_call():
    session = a_call()
    with pytest.raises(Unavailable) as refused:
        services.call_invite_create(session=session, clerk=session.clerk)
    assert refused.value.code == "no_clerk"
    outsider = make_clerk(HUANGPU, status=Status.AVAILABLE, idle_since=T0)
    with pytest.raises(NotAllowed):
        services.call_invite_create(session=session, clerk=outsider, district_code=SHUSHAN)


def test_a_second_ring_for_the_same_call_is_refused_while_the_first_rings():
    session = a_call()
    make_clerk(SHUSHAN, status=Status.AVAILABLE, idle_since=T0)
    make_clerk(SHUSHAN, status=Status.AVAILABLE, idle_since=T0)
    services.call_invite_create(session=session, clerk=session.clerk)
    with pytest.raises(Conflict) as refused:
        services.call_invite_create(session=session, clerk=session.clerk)
    assert refused.value.code == "already_ringing"
    # The clerk reserved by the refused attempt is not left ringing.
    assert ClerkProfile.objects.filter(status=Status.RINGING, clerk__district__division_code=SHUSHAN).count() == 1


def test_a_declined_ring_frees_the_clerk_and_an_unanswered_one_sets_them_away(clock):
    session = a_call()
    first = make_clerk(SHUSHAN, status=Status.AVAILABLE, idle_since=T0)
    invite = services.call_invite_create(session=session, clerk=session.clerk)
    services.call_invite_decline(invite_id=invite.pk, clerk=first)
    assert status_of(first) == "available"

    invite = services.call_invite_create(session=session, clerk=session.clerk, now=clock.now)
    assert services.call_invites_expire(now=clock.now + dt.timedelta(seconds=60)) == 1
    invite.refresh_from_db()
    assert (invite.outcome, status_of(invite.clerk)) == ("timed_out", "away")
    with pytest.raises(Conflict):
        services.call_invite_accept(invite_id=invite.pk, clerk=invite.clerk)


def test_the_end_of_the_call_withdraws_a_ringing_invitation():
    session = a_call()
    rung = make_clerk(SHUSHAN, status=Status.AVAILABLE, idle_since=T0)
    invite = services.call_invite_create(session=session, clerk=session.clerk)
    services.call_hang_up(session=session, actor=session.clerk)
    invite.refresh_from_db()
    assert (invite.outcome, status_of(rung)) == (CallInvite.Outcome.WITHDRAWN, "available")


def test_only_the_clerk_holding_the_call_sees_the_districts_to_bring_in_and_rings_them():
    session = a_call()
    guest = make_clerk(SHUSHAN, status=Status.AVAILABLE, idle_since=T0)
    answer = api(session.clerk).get(f"/api/assist/sessions/{session.pk}/invites/")
    assert answer.status_code == 200
    assert [d["code"] for d in answer.json()["approving"]] == [SHUSHAN]
    assert api(session.citizen).get(f"/api/assist/sessions/{session.pk}/invites/").status_code == 403
    outsider = make_clerk(HUANGPU)
    assert api(outsider).post(f"/api/assist/sessions/{session.pk}/invites/", {}, format="json").status_code == 403
    posted = api(session.clerk).post(f"/api/assist/sessions/{session.pk}/invites/", {"note": "三方核验"}, format="json")
    assert posted.status_code == 201, posted.json()
    assert CallInvite.objects.get(pk=posted.json()["id"]).clerk == guest
    members = api(session.citizen).get(f"/api/assist/sessions/{session.pk}/members/").json()
    assert [m["role"] for m in members] == ["citizen", "clerk"]


def test_a_clerk_brought_in_takes_and_sees_the_calls_snapshots_and_a_clerk_outside_the_call_does_not(
    settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.helpdesk.test_api import png_bytes

    settings.MEDIA_ROOT = tmp_path
    session = a_call()
    guest = make_clerk(SHUSHAN, status=Status.AVAILABLE, idle_since=T0)
    services.call_invite_accept(
        invite_id=services.call_invite_create(session=session, clerk=session.clerk).pk, clerk=guest
    )
    taken = api(guest).post(
        f"/api/assist/sessions/{session.pk}/snapshots/",
        {"image": SimpleUploadedFile("s.png", png_bytes())},
        format="multipart",
    )
    assert taken.status_code == 201, taken.json()
    assert api(guest).get(taken.json()["url"]).status_code == 200
    assert api(session.clerk).get(taken.json()["url"]).status_code == 200
    assert api(make_clerk(SHUSHAN)).get(taken.json()["url"]).status_code == 403
    assert api(make_citizen(code=HUANGPU)).get(taken.json()["url"]).status_code == 403


def test_the_side_panel_shows_the_standard_its_guide_and_only_the_callers_cases_the_clerk_may_see():
    from cases.services import case_draft_create
    from standards.models import ItemVersion
    from tests.factories import GUSU, submitted_case

    version = make_item(accept_in=(HUANGPU,), approve_in=(SHUSHAN,))
    ItemVersion.objects.filter(pk=version.pk).update(assistance_guide="先核对营业执照有效期")
    session = a_call(version)
    citizen = session.citizen
    seen = submitted_case(applicant=citizen, version=version)  # submitted to 黄浦
    elsewhere = submitted_case(applicant=citizen, version=make_item(accept_in=(GUSU,), approve_in=(GUSU,)))
    draft = case_draft_create(applicant=citizen, item_version=version, actor=citizen)  # the citizen's own draft

    panel = api(session.clerk).get(f"/api/assist/sessions/{session.pk}/side-panel/").json()
    assert panel["item"]["assistance_guide"] == "先核对营业执照有效期"
    assert panel["item"]["approving"] == [str(seen.approving_district)]
    assert [m["name"] for m in panel["item"]["materials"]] == [m.display_name for m in version.materials.all()]
    references = [c["reference"] for c in panel["cases"]]
    assert seen.reference in references
    assert elsewhere.reference not in references and draft.reference not in references
    assert panel["may_write_notes"] is True
    assert api(citizen).get(f"/api/assist/sessions/{session.pk}/side-panel/").status_code == 403
    assert api(make_clerk(HUANGPU)).get(f"/api/assist/sessions/{session.pk}/side-panel/").status_code == 403


def test_the_clerk_holding_the_call_keeps_notes_and_a_guest_may_read_but_not_write_them():
    session = a_call()
    guest = make_clerk(SHUSHAN, status=Status.AVAILABLE, idle_since=T0)
    services.call_invite_accept(
        invite_id=services.call_invite_create(session=session, clerk=session.clerk).pk, clerk=guest
    )
    notes_url = f"/api/assist/sessions/{session.pk}/notes/"
    assert api(session.clerk).post(notes_url, {"notes": "缺授权委托书"}, format="json").status_code == 200
    assert api(guest).post(notes_url, {"notes": "x"}, format="json").status_code == 403
    panel = api(guest).get(f"/api/assist/sessions/{session.pk}/side-panel/").json()
    assert (panel["notes"], panel["may_write_notes"]) == ("缺授权委托书", False)
    assert AssistEvent.objects.filter(session=session, kind="call.notes_saved", actor=session.clerk).exists()


def a_call_about_a_submitted_case():
    from tests.factories import submitted_case

    version = make_item(accept_in=(HUANGPU,), approve_in=(SHUSHAN,))
    citizen = make_citizen(code=HUANGPU)
    case = submitted_case(applicant=citizen, version=version)
    host = make_clerk(HUANGPU, status=Status.AVAILABLE, idle_since=T0)
    request = services.assist_request_create(citizen=citizen, item_version=version, case_ref=case.reference)
    offer = Offer.objects.get(request=request, outcome=Offer.Outcome.RINGING)
    return services.assist_offer_accept(offer_id=offer.pk, clerk=host), case


def test_a_face_matching_the_id_card_in_the_call_becomes_the_cases_identity_check_by_video():
    from cases.models import IdentityCheck

    session, case = a_call_about_a_submitted_case()
    answer = api(session.clerk).post(
        f"/api/assist/sessions/{session.pk}/identity/", {"result": "match", "note": "证件有效期至2030年"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["case_error"] is None
    check = IdentityCheck.objects.get(case=case)
    assert (check.method, check.clerk) == ("video", session.clerk)
    assert f"#{session.pk}" in check.note and "证件有效期至2030年" in check.note
    session.refresh_from_db()
    assert (session.identity_result, session.identity_checked_by) == ("match", session.clerk)
    audit = AssistEvent.objects.get(session=session, kind="call.identity_checked")
    assert (audit.data["result"], audit.data["method"], audit.data["case"]) == ("match", "video", case.reference)


def test_a_mismatch_is_kept_with_the_call_only_and_a_guest_of_another_district_cannot_check_the_case():
    from cases.models import IdentityCheck

    session, case = a_call_about_a_submitted_case()
    assert services.call_identity_check(session=session, clerk=session.clerk, result="no_match") is None
    assert not IdentityCheck.objects.filter(case=case).exists()

    guest = make_clerk(SHUSHAN, status=Status.AVAILABLE, idle_since=T0)
    services.call_invite_accept(
        invite_id=services.call_invite_create(session=session, clerk=session.clerk).pk, clerk=guest
    )
    refused = services.call_identity_check(session=session, clerk=guest, result="match")
    assert refused  # the cases app lets only the accepting district record the check
    assert not IdentityCheck.objects.filter(case=case).exists()
    session.refresh_from_db()
    assert (session.identity_result, session.identity_checked_by) == ("match", guest)
    assert (
        api(session.citizen)
        .post(f"/api/assist/sessions/{session.pk}/identity/", {"result": "match"}, format="json")
        .status_code
        == 403
    )


def test_the_caller_shares_their_draft_and_a_clerk_of_a_third_district_files_a_snapshot_into_it(settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.models import CaseEvent
    from cases.services import case_draft_create
    from tests.helpdesk.test_api import png_bytes

    settings.MEDIA_ROOT = tmp_path
    version = make_item(accept_in=(HUANGPU,), approve_in=(SHUSHAN,))
    session = a_call(version)
    citizen = session.citizen
    draft = case_draft_create(applicant=citizen, item_version=version, actor=citizen)
    guest = make_clerk(SHUSHAN, status=Status.AVAILABLE, idle_since=T0)
    services.call_invite_accept(
        invite_id=services.call_invite_create(session=session, clerk=session.clerk).pk, clerk=guest
    )
    form = version.materials.get(name="申请表")
    url = f"/api/assist/sessions/{session.pk}/"

    def snapshot_by_guest():
        return api(guest).post(
            url + "snapshots/",
            {"image": SimpleUploadedFile("s.png", png_bytes()), "case": draft.reference, "item_material": form.pk},
            format="multipart",
        )

    # Before the caller shares it, nobody in the call sees the draft, and the third district may not fill it.
    assert api(session.clerk).get(url + "draft/").status_code == 404
    assert snapshot_by_guest().json()["filed_as_case_material"] is False
    assert api(session.clerk).post(url + "draft/", {}, format="json").status_code == 403

    shared = api(citizen).post(url + "draft/", {}, format="json")
    assert shared.status_code == 201, shared.json()
    assert shared.json()["case"] == draft.reference
    assert "申请表" in shared.json()["missing"]
    assert AssistEvent.objects.get(session=session, kind="call.draft_shared").data == {"case": draft.reference}

    listed = api(guest).get(url + f"case-materials/?case={draft.reference}")
    assert form.pk in [m["id"] for m in listed.json()["materials"]]  # what the guest can file a snapshot as
    filed = snapshot_by_guest()
    assert filed.json()["filed_as_case_material"] is True, filed.json()
    row = next(m for m in api(citizen).get(url + "draft/").json()["materials"] if m["id"] == form.pk)
    assert row["uploaded"]["by_clerk"] is True and row["uploaded"]["by"] == guest.display_name
    added = CaseEvent.objects.filter(case=draft, action="material_added").order_by("-seq").first()
    assert added is not None and (added.actor, added.data["on_behalf_of"]) == (guest, citizen.pk)
    assert api(make_clerk(SHUSHAN)).get(url + "draft/").status_code == 403


def test_the_approving_clerk_pre_checks_a_material_the_caller_replaces_it_and_the_submitted_case_carries_the_marks(
    settings, tmp_path
):
    from cases.models import Case, CaseEvent
    from cases.services import case_draft_create
    from tests.factories import pdf_upload, upload_required

    settings.MEDIA_ROOT = tmp_path
    version = make_item(accept_in=(HUANGPU,), approve_in=(SHUSHAN,))
    session = a_call(version)
    citizen = session.citizen
    draft = case_draft_create(applicant=citizen, item_version=version, actor=citizen)
    upload_required(draft, citizen)
    guest = make_clerk(SHUSHAN, status=Status.AVAILABLE, idle_since=T0)
    services.call_invite_accept(
        invite_id=services.call_invite_create(session=session, clerk=session.clerk).pk, clerk=guest
    )
    url = f"/api/assist/sessions/{session.pk}/draft/"
    assert api(citizen).post(url, {}, format="json").status_code == 201
    required = version.materials.filter(requirement="required", elicence_exempt=False).first()
    assert required is not None

    marked = api(guest).post(
        url + "prechecks/",
        {"item_material": required.pk, "verdict": "not_conforming", "reason": "复印件不清晰"},
        format="json",
    )
    assert marked.status_code == 201, marked.json()
    assert marked.json()["not_conforming"] == [required.display_name]
    row = next(m for m in marked.json()["materials"] if m["id"] == required.pk)
    assert (row["precheck"]["verdict"], row["precheck"]["by"]) == ("not_conforming", guest.display_name)
    assert (
        api(citizen).post(url + "prechecks/", {"item_material": required.pk, "verdict": "conforming"}).status_code
        == 403
    )

    refused = api(citizen).post(url + "submit/")
    assert refused.status_code == 409 and refused.json()["code"] == "precheck_failed"
    assert required.display_name in refused.json()["detail"]
    assert api(session.clerk).post(url + "submit/").status_code == 403  # only the applicant submits

    replaced = api(citizen).post(
        url + "materials/", {"item_material": required.pk, "file": pdf_upload()}, format="multipart"
    )
    assert replaced.status_code == 201, replaced.json()
    assert replaced.json()["not_conforming"] == []  # the new file is not marked yet
    submitted = api(citizen).post(url + "submit/")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["submitted"] is True
    case = Case.objects.get(pk=draft.pk)
    assert case.submitted_at is not None
    prechecks = CaseEvent.objects.filter(case=case, action="assist_prechecked")
    assert [(e.data["verdict"], e.reason, e.actor) for e in prechecks] == [("not_conforming", "复印件不清晰", guest)]


def test_a_validity_date_already_past_fails_the_pre_check_whatever_the_clerk_clicked(settings, tmp_path):
    import datetime as dt_

    from cases.services import case_draft_create
    from tests.factories import upload_required

    settings.MEDIA_ROOT = tmp_path
    version = make_item(accept_in=(HUANGPU,), approve_in=(SHUSHAN,))
    session = a_call(version)
    draft = case_draft_create(applicant=session.citizen, item_version=version, actor=session.citizen)
    upload_required(draft, session.citizen)
    services.call_draft_share(session=session, citizen=session.citizen)
    session.refresh_from_db()
    required = version.materials.filter(requirement="required", elicence_exempt=False).first()
    assert required is not None
    precheck = services.call_precheck_mark(
        session=session,
        clerk=session.clerk,
        item_material_id=required.pk,
        verdict="conforming",
        valid_until=dt_.date(2020, 1, 31),
    )
    # The reason names the date (in the active language: "The document expired on …" / "证件已于 … 过期").
    assert precheck.verdict == "not_conforming" and "2020-01-31" in precheck.reason
