"""The life cycle through the services: guards on state and role, deadlines, the chain."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from cases import services
from cases.chain import chain_verify
from cases.models import Case, CaseEvent, CaseState
from govservice.errors import Invalid, NotAllowed
from standards.models import ItemVersion
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

pytestmark = pytest.mark.django_db


def test_it_pins_the_item_version_and_routes_between_the_implementing_districts(
    citizen: User, item: ItemVersion
) -> None:
    case = services.case_draft_create(applicant=citizen, item_version=item, actor=citizen)
    assert case.item_version == item
    assert case.accepting_district.division_code == f.HUANGPU
    assert case.approving_district.division_code == f.SHUSHAN
    assert case.state == CaseState.DRAFT
    assert case.applicant_id_number == citizen.id_number
    assert case.masked_id_number.startswith("310101") and "*" in case.masked_id_number


def test_it_refuses_to_submit_without_the_required_materials(citizen: User, item: ItemVersion) -> None:
    case = services.case_draft_create(applicant=citizen, item_version=item, actor=citizen)
    with pytest.raises(Invalid) as error:
        services.case_submit(case=case, actor=citizen)
    assert "申请表" in str(error.value)


def test_it_marks_a_material_spared_by_an_electronic_licence(citizen: User, item: ItemVersion) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    spared = case.materials.get(spared_by_elicence=True)
    assert spared.item_material.material_type.code == "M-IDCARD"
    assert not spared.file


def test_it_checks_uploads_by_their_bytes_and_size(citizen: User, item: ItemVersion) -> None:
    case = services.case_draft_create(applicant=citizen, item_version=item, actor=citizen)
    form = item.materials.get(material_type__code="M-FORM")
    with pytest.raises(Invalid, match="pdf"):
        services.case_material_add(case=case, item_material=form, uploaded_file=f.fake_pdf_upload(), actor=citizen)
    with pytest.raises(Invalid, match="1 MB"):
        services.case_material_add(
            case=case, item_material=form, uploaded_file=f.pdf_upload(size=1024 * 1024 + 1), actor=citizen
        )
    material = services.case_material_add(case=case, item_material=form, uploaded_file=f.pdf_upload(), actor=citizen)
    assert material.content_type == "application/pdf"
    assert material.file.read().startswith(b"%PDF")


def test_it_refuses_a_material_of_another_item_version(citizen: User, item: ItemVersion) -> None:
    case = services.case_draft_create(applicant=citizen, item_version=item, actor=citizen)
    other = f.make_item().materials.first()
    assert other is not None
    with pytest.raises(Invalid):
        services.case_material_add(case=case, item_material=other, uploaded_file=f.pdf_upload(), actor=citizen)


def test_only_a_clerk_of_the_accepting_district_accepts(
    citizen: User, item: ItemVersion, shushan_clerk: User, huangpu_clerk: User
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    with pytest.raises(NotAllowed):
        services.case_accept(case=case, actor=shushan_clerk)
    with pytest.raises(NotAllowed):
        services.case_accept(case=case, actor=citizen)
    case = f.accept_checked(case, huangpu_clerk)
    assert case.state == CaseState.ACCEPTED
    assert case.promised_due and case.statutory_due and case.promised_due <= case.statutory_due


def test_a_refusal_to_accept_needs_a_reason(citizen: User, item: ItemVersion, huangpu_clerk: User) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    with pytest.raises(Invalid):
        services.case_not_accept(case=case, actor=huangpu_clerk, reason="  ")
    case = services.case_not_accept(case=case, actor=huangpu_clerk, reason="不属于受理范围")
    assert case.state == CaseState.NOT_ACCEPTED
    with pytest.raises(services.TransitionNotAllowed):
        services.case_accept(case=case, actor=huangpu_clerk)


def test_a_correction_names_materials_and_the_applicant_resubmits(
    citizen: User, item: ItemVersion, huangpu_clerk: User
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    form = item.materials.get(material_type__code="M-FORM")
    case = services.case_request_correction(case=case, actor=huangpu_clerk, materials=[form], reason="签名缺失")
    assert case.state == CaseState.CORRECTION_REQUESTED
    event = case.events.get(action="correction_requested")
    assert event.data["materials"] == ["M-FORM"] and event.reason == "签名缺失"
    services.case_material_add(case=case, item_material=form, uploaded_file=f.pdf_upload(size=256), actor=citizen)
    case = services.case_submit(case=case, actor=citizen)
    assert case.state == CaseState.SUBMITTED


def _routed(
    case: Case, huangpu_clerk: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> tuple[Case, services.RoutingOutcome]:
    with django_capture_on_commit_callbacks(execute=False):
        case = f.accept_checked(case, huangpu_clerk)
    outcome = services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
    return Case.objects.get(pk=case.pk), outcome


def test_the_whole_loop_in_one_process(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    shushan_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    case, outcome = _routed(case, huangpu_clerk, django_capture_on_commit_callbacks)
    assert outcome.status == "routed" and outcome.clerk_id == shushan_clerk.pk
    assert case.state == CaseState.TRANSFERRED and case.approving_clerk == shushan_clerk
    # The approving district recognises the acceptance; it cannot deliver, only the accepting district can.
    case = services.case_review_start(case=case, actor=shushan_clerk)
    with pytest.raises(NotAllowed):
        services.case_approve(case=case, actor=huangpu_clerk)
    case = services.case_approve(case=case, actor=shushan_clerk)
    with pytest.raises(NotAllowed):
        services.case_deliver(case=case, actor=shushan_clerk, method="pickup")
    case = services.case_deliver(case=case, actor=huangpu_clerk, method="elicence")
    case = services.case_close(case=case, actor=citizen)
    services.case_rate(case=case, actor=citizen, score=5, attitude=5, speed=4, convenience=5, comment="很好")
    case.refresh_from_db()
    assert case.state == CaseState.RATED
    actions = list(case.events.values_list("action", flat=True))
    assert actions[-7:] == ["accepted", "transferred", "recognised", "approved", "delivered", "closed", "rated"]
    assert chain_verify(case=case).ok


def test_a_duplicated_routing_message_moves_the_case_once(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    shushan_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    case, first = _routed(case, huangpu_clerk, django_capture_on_commit_callbacks)
    second = services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
    assert (first.status, second.status) == ("routed", "already")
    assert case.events.filter(action="transferred").count() == 1


def test_a_poison_message_stops_after_the_attempt_limit_and_is_flagged(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    with django_capture_on_commit_callbacks(execute=False):
        case = f.accept_checked(case, huangpu_clerk)
    # As if three deliveries had each died in the middle (the counter commits before the work).
    Case.objects.filter(pk=case.pk).update(routing_attempts=services.MAX_ROUTING_ATTEMPTS)
    outcome = services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
    case.refresh_from_db()
    assert outcome.status == "poisoned"
    assert case.routing_poisoned and case.state == CaseState.ACCEPTED
    assert services.case_route(case_id=case.pk, transfer_number=case.transfer_number).status == "poisoned"
    assert case.events.filter(action="routing_stopped").count() == 1


def test_a_district_without_an_active_clerk_holds_the_case_in_its_queue(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    from cases.selectors import district_queues

    case = f.submitted_case(applicant=citizen, version=item)
    case, outcome = _routed(case, huangpu_clerk, django_capture_on_commit_callbacks)
    assert outcome.status == "held"
    assert case.state == CaseState.TRANSFERRED and case.approving_clerk is None
    supervisor = f.make_user("supervisor")
    shushan = next(q for q in district_queues(user=supervisor) if q["division_code"] == f.SHUSHAN)
    assert shushan["held_without_clerk"] == 1 and case.reference in shushan["cases"]
    assert len(district_queues(user=supervisor)) == 9


def test_routing_prefers_a_skilled_then_the_least_loaded_clerk(
    citizen: User, huangpu_clerk: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    from cases.models import ClerkSkill

    version = f.make_item(sector="housing_fund")
    busy = f.make_user("clerk", code=f.SHUSHAN)
    idle = f.make_user("clerk", code=f.SHUSHAN)
    _case1, out1 = _routed(
        f.submitted_case(applicant=citizen, version=version), huangpu_clerk, django_capture_on_commit_callbacks
    )
    _case2, out2 = _routed(
        f.submitted_case(applicant=citizen, version=version), huangpu_clerk, django_capture_on_commit_callbacks
    )
    assert {out1.clerk_id, out2.clerk_id} == {busy.pk, idle.pk}
    skilled = f.make_user("clerk", code=f.SHUSHAN)
    ClerkSkill.objects.create(clerk=skilled, sector="housing_fund")
    ClerkSkill.objects.create(clerk=skilled, sector="tax")
    _case3, out3 = _routed(
        f.submitted_case(applicant=citizen, version=version), huangpu_clerk, django_capture_on_commit_callbacks
    )
    assert out3.clerk_id == skilled.pk


def test_the_approving_district_cannot_recognise_a_tampered_record(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    shushan_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    case, _ = _routed(case, huangpu_clerk, django_capture_on_commit_callbacks)
    # Someone edits the accepting district's acceptance in the database, behind the services' back.
    from django.db import connection

    event = case.events.get(action="accepted")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_caseevent SET reason = %s WHERE id = %s", ["backdated", event.pk])
    with pytest.raises(services.ChainBroken):
        services.case_review_start(case=case, actor=shushan_clerk)
    case.refresh_from_db()
    assert case.state == CaseState.TRANSFERRED


def test_events_are_append_only(citizen: User, item: ItemVersion) -> None:
    case = services.case_draft_create(applicant=citizen, item_version=item, actor=citizen)
    event = case.events.get()
    event.reason = "changed"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        CaseEvent.objects.filter(case=case).update(reason="x")
    with pytest.raises(ValidationError):
        CaseEvent.objects.filter(case=case).delete()


def test_the_approving_district_returns_through_the_accepting_window(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    shushan_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    case, _ = _routed(case, huangpu_clerk, django_capture_on_commit_callbacks)
    case = services.case_review_start(case=case, actor=shushan_clerk)
    with pytest.raises(Invalid):
        services.case_return(case=case, actor=shushan_clerk, reason="")
    # The approving clerk has no way to ask the applicant directly.
    with pytest.raises(NotAllowed):
        services.case_request_correction(
            case=case, actor=shushan_clerk, materials=list(item.materials.all()), reason="x"
        )
    case = services.case_return(case=case, actor=shushan_clerk, reason="缴费记录不全")
    assert case.state == CaseState.RETURNED
    with django_capture_on_commit_callbacks(execute=False):
        case = f.accept_checked(case, huangpu_clerk)
    assert case.transfer_number == 2
    assert services.case_route(case_id=case.pk, transfer_number=1).status == "already"
    assert services.case_route(case_id=case.pk, transfer_number=2).status == "routed"


def test_a_return_names_each_material_found_wanting_with_its_reason_on_the_page_and_in_the_api(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    shushan_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    from django.test import Client
    from rest_framework.test import APIClient

    case = f.submitted_case(applicant=citizen, version=item)
    case, _ = _routed(case, huangpu_clerk, django_capture_on_commit_callbacks)
    case = services.case_review_start(case=case, actor=shushan_clerk)
    upload = case.materials.current_files().select_related("item_material").first()
    assert upload is not None
    first = upload.item_material
    second = item.materials.exclude(pk=first.pk).first()  # spared by an electronic licence: no file to hash
    assert second is not None
    api = APIClient()
    api.force_authenticate(shushan_clerk)
    url = f"/api/cases/{case.reference}/return/"
    # A material named without its own reason is refused; nothing changes.
    refused = api.post(
        url, {"reason": "退回", "materials": [{"item_material": first.pk, "reason": " "}]}, format="json"
    )
    assert refused.status_code == 400
    assert Case.objects.get(pk=case.pk).state == CaseState.IN_REVIEW
    # The page offers each uploaded material with a reason box, and sends the chosen ones.
    page = Client()
    page.force_login(shushan_clerk)
    html = page.get(f"/cases/{case.reference}/").content.decode()
    assert f'name="return_reason_{first.pk}"' in html
    with django_capture_on_commit_callbacks(execute=True):
        answer = page.post(
            f"/cases/{case.reference}/do/return/",
            {
                "reason": "两份材料不符合审批地标准",
                "return_materials": [str(first.pk), str(second.pk)],
                f"return_reason_{first.pk}": "复印件缺少骑缝章",
                f"return_reason_{second.pk}": "证明已过有效期",
            },
        )
    assert answer.status_code in (200, 302)
    event = CaseEvent.objects.filter(case=case, action="returned").get()
    assert [(i["name"], i["reason"]) for i in event.data["items"]] == [
        (first.name, "复印件缺少骑缝章"),
        (second.name, "证明已过有效期"),
    ]
    assert event.data["items"][0]["sha256"] == upload.sha256 and event.data["items"][1]["sha256"] == ""
    assert "证明已过有效期" in page.get(f"/cases/{case.reference}/").content.decode()  # the history lists them
    assert chain_verify(case=case).ok


def test_a_rating_is_given_once_and_a_bad_one_opens_a_follow_up(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    shushan_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    from cases.models import FollowUp

    case = f.submitted_case(applicant=citizen, version=item)
    case, _ = _routed(case, huangpu_clerk, django_capture_on_commit_callbacks)
    case = services.case_review_start(case=case, actor=shushan_clerk)
    case = services.case_refuse(case=case, actor=shushan_clerk, reason="不符合条件")
    # Not before the refusal is delivered (its 不予 decision notice must still reach the applicant).
    with pytest.raises(services.TransitionNotAllowed):
        services.case_rate(case=case, actor=citizen, score=1, attitude=1, speed=1, convenience=1)
    case = services.case_deliver(case=case, actor=huangpu_clerk, method="courier", detail="SF123")
    case = services.case_close(case=case, actor=huangpu_clerk)
    outsider = f.make_user("citizen")
    with pytest.raises(NotAllowed):
        services.case_rate(case=case, actor=outsider, score=5, attitude=5, speed=5, convenience=5)
    with pytest.raises(Invalid):
        services.case_rate(case=case, actor=citizen, score=6, attitude=5, speed=5, convenience=5)
    services.case_rate(case=case, actor=citizen, score=2, attitude=1, speed=2, convenience=3, comment="太慢")
    follow_up = FollowUp.objects.get(rating__case=case)
    assert follow_up.district.division_code == f.HUANGPU and follow_up.status == "open"
    with pytest.raises(services.TransitionNotAllowed):
        services.case_rate(case=case, actor=citizen, score=5, attitude=5, speed=5, convenience=5)
    supervisor = f.make_user("supervisor")
    services.follow_up_record_visit(
        follow_up=follow_up, actor=supervisor, visited_at=timezone.now(), method="phone", citizen_said="太慢了"
    )
    services.follow_up_record_rectification(
        follow_up=follow_up, actor=supervisor, rectification="优化流程", rectified_by="黄浦区长三角专窗"
    )
    services.follow_up_close(follow_up=follow_up, actor=supervisor, note="已回访")
    follow_up.refresh_from_db()
    assert follow_up.status == "done"


def test_reading_the_full_id_number_needs_the_permission_and_is_audited(
    citizen: User, item: ItemVersion, huangpu_clerk: User
) -> None:
    from django.contrib.auth.models import Permission

    case = f.submitted_case(applicant=citizen, version=item)
    with pytest.raises(NotAllowed):
        services.case_id_number_reveal(case=case, actor=huangpu_clerk)
    huangpu_clerk.user_permissions.add(Permission.objects.get(codename="view_full_id_number"))
    clerk = type(huangpu_clerk).objects.get(pk=huangpu_clerk.pk)
    assert services.case_id_number_reveal(case=case, actor=clerk, request_id="req-12345678") == citizen.id_number
    event = case.events.get(action="id_number_revealed")
    assert event.actor == clerk and event.request_id == "req-12345678" and event.district_code == f.HUANGPU


def test_the_command_verifies_a_case_chain_and_fails_on_a_tampered_one(citizen: User, item: ItemVersion) -> None:
    import io

    from django.core.management import CommandError, call_command
    from django.db import connection

    case = f.submitted_case(applicant=citizen, version=item)
    out = io.StringIO()
    call_command("verify_case_chain", case.reference, stdout=out)
    assert "chain OK" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_caseevent WHERE case_id = %s AND seq = 2", [case.pk])
    with pytest.raises(CommandError, match="BROKEN at event 3"):
        call_command("verify_case_chain", case.reference)
