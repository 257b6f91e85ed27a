"""Follow-ups of bad ratings (好差评 整改): the deadline by district policy, return visits, rectification,
closing, escalation once, who sees which, the pages in both languages, and rating a case not accepted or refused."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from cases import services
from cases.chain import chain_verify
from cases.models import Case, CaseState, FollowUp, FollowUpPolicy, Holiday, Rating
from govservice.errors import Conflict, Invalid, NotFound
from standards.models import ItemVersion
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

pytestmark = pytest.mark.django_db


def _not_accepted(citizen: User, item: ItemVersion, clerk: User) -> Case:
    case = f.submitted_case(applicant=citizen, version=item)
    return services.case_not_accept(case=case, actor=clerk, reason="材料不符合受理条件")


def _bad_rating(case: Case, citizen: User, *, score: int = 1) -> FollowUp:
    services.case_rate(case=case, actor=citizen, score=score, attitude=1, speed=2, convenience=3, comment="态度差")
    return FollowUp.objects.get(rating__case=case)


def _gusu_follow_up() -> FollowUp:
    """A follow-up of another district (Gusu accepts the case)."""
    citizen = f.make_user("citizen")
    item = f.make_item(accept_in=(f.GUSU,), approve_in=(f.SHUSHAN,))
    return _bad_rating(_not_accepted(citizen, item, f.make_user("clerk", code=f.GUSU)), citizen)


def _page_client(user: User, language: str = "zh-hans") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- the deadline --------------------------------------------------------------------------------------


def test_the_deadline_is_five_working_days_by_default_counted_on_the_holiday_calendar() -> None:
    huangpu = f.district(f.HUANGPU)
    # Friday 2026-09-25; Thursday 1 October is a holiday (in this test's calendar), Sunday 27 a make-up day.
    Holiday.objects.filter(date__range=(dt.date(2026, 9, 20), dt.date(2026, 10, 20))).delete()
    Holiday.objects.create(date=dt.date(2026, 10, 1), kind=Holiday.Kind.HOLIDAY, name="国庆节")
    Holiday.objects.create(date=dt.date(2026, 9, 27), kind=Holiday.Kind.MAKEUP_WORKDAY, name="国庆节调休")
    # Working days after Friday 25: Sun 27 (make-up), Mon 28, Tue 29, Wed 30, (Thu 1 off) Fri 2.
    assert services.follow_up_due_on(district=huangpu, opened_on=dt.date(2026, 9, 25)) == dt.date(2026, 10, 2)


def test_a_district_policy_sets_its_own_deadline() -> None:
    gusu = f.district(f.GUSU)
    FollowUpPolicy.objects.create(district=gusu, working_days=2)
    assert services.follow_up_working_days(gusu) == 2
    assert services.follow_up_working_days(f.district(f.HUANGPU)) == 5
    # Friday → Tuesday (two working days after it).
    assert services.follow_up_due_on(district=gusu, opened_on=dt.date(2026, 3, 6)) == dt.date(2026, 3, 10)


def test_a_bad_rating_opens_a_follow_up_with_its_deadline_on_the_chain(
    citizen: User, item: ItemVersion, huangpu_clerk: User
) -> None:
    case = _not_accepted(citizen, item, huangpu_clerk)
    follow_up = _bad_rating(case, citizen, score=2)
    assert follow_up.due_on == services.follow_up_due_on(district=follow_up.district, opened_on=timezone.localdate())
    assert follow_up.due_on is not None
    assert case.events.get(action="follow_up_opened").data["due_on"] == follow_up.due_on.isoformat()


def test_a_good_rating_opens_no_follow_up(citizen: User, item: ItemVersion, huangpu_clerk: User) -> None:
    case = _not_accepted(citizen, item, huangpu_clerk)
    services.case_rate(case=case, actor=citizen, score=3, attitude=3, speed=3, convenience=3)
    assert not FollowUp.objects.filter(rating__case=case).exists()


# --- who may rate --------------------------------------------------------------------------------------


def test_a_case_not_accepted_can_be_rated(citizen: User, item: ItemVersion, huangpu_clerk: User) -> None:
    case = _not_accepted(citizen, item, huangpu_clerk)
    rating = services.case_rate(case=case, actor=citizen, score=4, attitude=5, speed=4, convenience=3)
    case.refresh_from_db()
    assert case.state == CaseState.RATED and rating.case == case
    assert case.events.last() is not None and case.events.order_by("-seq")[0].from_state == CaseState.NOT_ACCEPTED


def test_a_refused_case_can_be_rated_once_the_refusal_is_delivered(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    shushan_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    with django_capture_on_commit_callbacks(execute=False):
        case = f.accept_checked(case, huangpu_clerk)
    services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
    case = services.case_review_start(case=Case.objects.get(pk=case.pk), actor=shushan_clerk)
    case = services.case_refuse(case=case, actor=shushan_clerk, reason="不符合条件")
    with pytest.raises(services.TransitionNotAllowed):
        services.case_rate(case=case, actor=citizen, score=1, attitude=1, speed=1, convenience=1)
    case = services.case_deliver(case=case, actor=huangpu_clerk, method="courier", detail="SF123")
    # No need to confirm receipt of a refusal first: the rating ends the case.
    services.case_rate(case=case, actor=citizen, score=1, attitude=1, speed=1, convenience=1, comment="不服")
    case.refresh_from_db()
    assert case.state == CaseState.RATED and case.closed_at is not None
    assert FollowUp.objects.filter(rating__case=case).exists()


def test_a_draft_or_a_case_in_review_cannot_be_rated(citizen: User, item: ItemVersion) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    with pytest.raises(services.TransitionNotAllowed):
        services.case_rate(case=case, actor=citizen, score=5, attitude=5, speed=5, convenience=5)
    assert not Rating.objects.filter(case=case).exists()


# --- return visits, rectification, closing ----------------------------------------------------------------


def test_closing_needs_a_visit_and_the_rectification_and_each_step_is_on_the_chain(
    citizen: User, item: ItemVersion, huangpu_clerk: User
) -> None:
    case = _not_accepted(citizen, item, huangpu_clerk)
    follow_up = _bad_rating(case, citizen)
    supervisor = f.make_user("supervisor", code=f.HUANGPU)
    with pytest.raises(Conflict) as refused:
        services.follow_up_close(follow_up=follow_up, actor=supervisor, note="已处理")
    assert refused.value.code == "visit_required"
    with pytest.raises(Invalid):
        services.follow_up_record_visit(
            follow_up=follow_up, actor=supervisor, visited_at=timezone.now(), method="pigeon", citizen_said="x"
        )
    with pytest.raises(Invalid):
        services.follow_up_record_visit(
            follow_up=follow_up,
            actor=supervisor,
            visited_at=timezone.now() + dt.timedelta(days=1),
            method="phone",
            citizen_said="x",
        )
    services.follow_up_record_visit(
        follow_up=follow_up, actor=supervisor, visited_at=timezone.now(), method="phone", citizen_said="窗口态度差"
    )
    services.follow_up_record_visit(
        follow_up=follow_up, actor=supervisor, visited_at=timezone.now(), method="visit", citizen_said="同意整改方案"
    )
    with pytest.raises(Conflict) as refused:
        services.follow_up_close(follow_up=follow_up, actor=supervisor, note="已处理")
    assert refused.value.code == "rectification_required"
    services.follow_up_record_rectification(
        follow_up=follow_up, actor=supervisor, rectification="窗口人员培训", rectified_by="黄浦区政务服务中心"
    )
    services.follow_up_close(follow_up=follow_up, actor=supervisor, note="已培训窗口人员，感谢您的反馈")
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.DONE and follow_up.handled_by == supervisor
    assert follow_up.visits.count() == 2
    with pytest.raises(Conflict):
        services.follow_up_close(follow_up=follow_up, actor=supervisor, note="again")
    actions = list(case.events.order_by("seq").values_list("action", flat=True))
    assert actions[-6:] == [
        "rated",
        "follow_up_opened",
        "follow_up_visited",
        "follow_up_visited",
        "follow_up_rectified",
        "follow_up_closed",
    ]
    assert case.events.get(action="follow_up_closed").reason == "已培训窗口人员，感谢您的反馈"
    assert chain_verify(case=case).ok
    # The citizen is told what was done (notices: inbox, and the channels they chose), once.
    from notices.models import Notice

    told = Notice.objects.filter(recipient=citizen, kind="case.follow_up_closed").get()
    assert told.data["reason"] == "已培训窗口人员，感谢您的反馈" and told.data["reference"] == case.reference


# --- escalation ------------------------------------------------------------------------------------------


def test_an_overdue_follow_up_is_escalated_once_and_comes_first(
    citizen: User, item: ItemVersion, huangpu_clerk: User
) -> None:
    from cases import selectors

    late = _bad_rating(_not_accepted(citizen, item, huangpu_clerk), citizen)
    other = f.make_user("citizen")
    on_time = _bad_rating(_not_accepted(other, item, huangpu_clerk), other)
    assert late.due_on is not None
    after = late.due_on + dt.timedelta(days=1)
    FollowUp.objects.filter(pk=on_time.pk).update(due_on=after + dt.timedelta(days=3))
    assert services.follow_ups_escalate(today=late.due_on) == 0  # due today is not overdue yet
    assert services.follow_ups_escalate(today=after) == 1
    assert services.follow_ups_escalate(today=after) == 0
    assert services.follow_ups_escalate(today=after + dt.timedelta(days=10)) == 1  # the other one, now late
    late.refresh_from_db()
    assert late.escalated_at is not None
    assert late.rating.case.events.filter(action="follow_up_escalated").count() == 1
    alliance = f.make_user("supervisor")
    # The alliance supervisors' inbox holds it until read (made after the escalations: a new supervisor sees
    # only what is escalated from now on, so escalate a third, late one).
    from notices.models import Notice

    third_citizen = f.make_user("citizen")
    third = _bad_rating(_not_accepted(third_citizen, item, huangpu_clerk), third_citizen)
    FollowUp.objects.filter(pk=third.pk).update(due_on=after - dt.timedelta(days=1))
    assert services.follow_ups_escalate(today=after) == 1
    assert services.follow_ups_escalate(today=after) == 0
    inbox = Notice.objects.filter(recipient=alliance, kind="case.follow_up_escalated")
    assert [n.data["reference"] for n in inbox] == [third.rating.case.reference]
    assert inbox.get().link.endswith(f"/cases/follow-ups/{third.pk}/")
    first = selectors.follow_up_list(user=alliance, today=after)[0]
    assert first.pk == late.pk


def test_a_closed_follow_up_is_never_escalated(citizen: User, item: ItemVersion, huangpu_clerk: User) -> None:
    follow_up = _bad_rating(_not_accepted(citizen, item, huangpu_clerk), citizen)
    FollowUp.objects.filter(pk=follow_up.pk).update(status=FollowUp.Status.DONE)
    assert services.follow_ups_escalate(today=timezone.localdate() + dt.timedelta(days=60)) == 0


def test_the_escalation_is_a_beat_entry() -> None:
    from cases import tasks
    from govservice.celery import app

    entry = app.conf.beat_schedule["cases-escalate-follow-ups"]
    assert entry["task"] == tasks.escalate_follow_ups.name == "cases.escalate_follow_ups"


# --- who sees which -------------------------------------------------------------------------------------


def test_a_district_supervisor_sees_their_district_and_the_alliance_supervisor_all(
    citizen: User, item: ItemVersion, huangpu_clerk: User
) -> None:
    ours = _bad_rating(_not_accepted(citizen, item, huangpu_clerk), citizen)
    theirs = _gusu_follow_up()
    huangpu_supervisor = f.make_user("supervisor", code=f.HUANGPU)
    alliance = f.make_user("supervisor")
    listed = _api(huangpu_supervisor).get("/api/cases/follow-ups/").json()["results"]
    assert [row["id"] for row in listed] == [ours.pk]
    assert _api(huangpu_supervisor).get(f"/api/cases/follow-ups/{theirs.pk}/").status_code == 404
    visit = {"visited_at": timezone.now().isoformat(), "method": "phone", "citizen_said": "x"}
    assert _api(huangpu_supervisor).post(f"/api/cases/follow-ups/{theirs.pk}/visit/", visit).status_code == 404
    with pytest.raises(NotFound):
        services.follow_up_record_visit(
            follow_up=theirs, actor=huangpu_supervisor, visited_at=timezone.now(), method="phone", citizen_said="x"
        )
    everything = _api(alliance).get("/api/cases/follow-ups/").json()["results"]
    assert {row["id"] for row in everything} == {ours.pk, theirs.pk}
    gusu_only = _api(alliance).get(f"/api/cases/follow-ups/?district={f.GUSU}").json()["results"]
    assert [row["id"] for row in gusu_only] == [theirs.pk]
    assert _api(alliance).get("/api/cases/follow-ups/?status=closed").json()["results"] == []


@pytest.mark.parametrize("role", ["citizen", "clerk", "standards_admin"])
def test_nobody_else_sees_a_follow_up(role: str, citizen: User, item: ItemVersion, huangpu_clerk: User) -> None:
    follow_up = _bad_rating(_not_accepted(citizen, item, huangpu_clerk), citizen)
    outsider = citizen if role == "citizen" else f.make_user(role, code=f.HUANGPU)
    assert _api(outsider).get("/api/cases/follow-ups/").json()["results"] == []
    assert _api(outsider).get(f"/api/cases/follow-ups/{follow_up.pk}/").status_code == 404
    pages = _page_client(outsider)
    assert pages.get("/cases/follow-ups/").status_code == 403
    assert pages.get(f"/cases/follow-ups/{follow_up.pk}/").status_code == 403
    assert pages.post(f"/cases/follow-ups/{follow_up.pk}/close/", {"note": "x"}).status_code == 403
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.OPEN


def test_another_districts_supervisor_gets_404_on_the_page(
    citizen: User, item: ItemVersion, huangpu_clerk: User
) -> None:
    follow_up = _bad_rating(_not_accepted(citizen, item, huangpu_clerk), citizen)
    gusu_supervisor = f.make_user("supervisor", code=f.GUSU)
    assert _page_client(gusu_supervisor).get(f"/cases/follow-ups/{follow_up.pk}/").status_code == 404


# --- the pages ----------------------------------------------------------------------------------------------


def test_the_supervisor_handles_a_follow_up_on_its_page_in_chinese(
    citizen: User, item: ItemVersion, huangpu_clerk: User
) -> None:
    case = _not_accepted(citizen, item, huangpu_clerk)
    follow_up = _bad_rating(case, citizen)
    supervisor = f.make_user("supervisor", code=f.HUANGPU)
    client = _page_client(supervisor)
    # The accepting window's clerk sees, on the case page, that the rating is being followed up and by when.
    assert (
        f"整改中，期限 {follow_up.due_on:%Y-%m-%d}"
        in _page_client(huangpu_clerk).get(f"/cases/{case.reference}/").content.decode()
    )
    listing = client.get("/cases/follow-ups/").content.decode()
    assert "差评整改" in listing and case.reference in listing and "态度差" in listing
    assert 'href="/cases/follow-ups/"' in client.get("/cases/supervision/").content.decode()
    page = client.get(f"/cases/follow-ups/{follow_up.pk}/").content.decode()
    assert "回访记录" in page and "记录回访" in page
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    answer = client.post(
        f"/cases/follow-ups/{follow_up.pk}/visit/", {"visited_at": when, "method": "phone", "citizen_said": "等太久"}
    )
    assert answer.status_code == 302
    client.post(f"/cases/follow-ups/{follow_up.pk}/close/", {"note": "已处理"})
    page = client.get(f"/cases/follow-ups/{follow_up.pk}/").content.decode()
    assert "等太久" in page and "电话" in page
    assert "请先记录整改措施" in page  # the refused closing, as a message
    client.post(
        f"/cases/follow-ups/{follow_up.pk}/rectify/", {"rectification": "增派人员", "rectified_by": "黄浦区专窗"}
    )
    client.post(f"/cases/follow-ups/{follow_up.pk}/close/", {"note": "已增派窗口人员"})
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.DONE
    # The applicant sees the sub-scores and the result next to their rating.
    mine = _page_client(citizen).get(f"/cases/{case.reference}/").content.decode()
    assert "服务态度" in mine and 'data-score="2"' in mine and "已增派窗口人员" in mine


def test_the_pages_speak_english_when_chosen(citizen: User, item: ItemVersion, huangpu_clerk: User) -> None:
    case = _not_accepted(citizen, item, huangpu_clerk)
    follow_up = _bad_rating(case, citizen)
    supervisor = f.make_user("supervisor")
    client = _page_client(supervisor, "en")
    listing = client.get("/cases/follow-ups/?status=open").content.decode()
    assert "Rating follow-ups" in listing and case.reference in listing
    assert case.reference not in client.get("/cases/follow-ups/?status=escalated").content.decode()
    page = client.get(f"/cases/follow-ups/{follow_up.pk}/").content.decode()
    assert "Return visits" in page and "Record the rectification" in page
    mine = _page_client(citizen, "en").get(f"/cases/{case.reference}/").content.decode()
    assert "service attitude" in mine and "The district is following up your rating" in mine


def test_the_migration_gives_older_open_follow_ups_a_deadline(
    citizen: User, item: ItemVersion, huangpu_clerk: User
) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("cases.migrations.0011_follow_up_visits_rectification_escalation")
    follow_up = _bad_rating(_not_accepted(citizen, item, huangpu_clerk), citizen)
    other = f.make_user("citizen")
    closed = _bad_rating(_not_accepted(other, item, huangpu_clerk), other)
    FollowUp.objects.filter(pk__in=[follow_up.pk, closed.pk]).update(due_on=None)
    FollowUp.objects.filter(pk=closed.pk).update(status=FollowUp.Status.DONE)
    migration.due_on_for_open_follow_ups(apps, None)
    follow_up.refresh_from_db()
    closed.refresh_from_db()
    opened_on = timezone.localdate(follow_up.created_at)
    assert follow_up.due_on == services.follow_up_due_on(district=follow_up.district, opened_on=opened_on)
    assert closed.due_on is None
