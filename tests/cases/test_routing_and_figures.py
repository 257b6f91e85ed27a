"""The routing message leaves after commit for the approving district's queue; figures add up."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from accounts.models import User
from cases import services
from cases.models import Case
from cases.selectors import figures
from govservice.errors import NotAllowed
from standards.models import ItemVersion
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

pytestmark = pytest.mark.django_db


def test_the_routing_message_goes_to_the_approving_districts_queue_only_after_commit(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    from cases.tasks import route_case

    sent = []
    monkeypatch.setattr(route_case, "apply_async", lambda args, queue: sent.append((args, queue)))
    case = f.submitted_case(applicant=citizen, version=item)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case = f.accept_checked(case, huangpu_clerk)
    assert sent == [], "nothing leaves before the acceptance commits"
    for callback in callbacks:
        callback()
    assert ((case.pk, 1), "district.340104") in sent


def test_a_failed_acceptance_sends_nothing(
    citizen: User,
    item: ItemVersion,
    shushan_clerk: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    from cases.tasks import route_case

    sent = []
    monkeypatch.setattr(route_case, "apply_async", lambda args, queue: sent.append((args, queue)))
    case = f.submitted_case(applicant=citizen, version=item)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotAllowed):
        services.case_accept(case=case, actor=shushan_clerk)
    assert sent == []


def test_figures_count_overdue_cases_and_time_to_complete_against_the_promise(
    citizen: User, huangpu_clerk: User, shushan_clerk: User
) -> None:
    version = f.make_item(promised=5, onsite_visits=2)
    open_late = f.submitted_case(applicant=citizen, version=version)
    done = f.submitted_case(applicant=citizen, version=version)
    now = timezone.now()
    Case.objects.filter(pk=open_late.pk).update(
        state="in_review", accepted_at=now, promised_due=timezone.localdate() - dt.timedelta(days=1)
    )
    Case.objects.filter(pk=done.pk).update(
        state="closed",
        accepted_at=now - dt.timedelta(days=3),
        delivered_at=now,
        promised_due=timezone.localdate() + dt.timedelta(days=2),
    )
    supervisor = f.make_user("supervisor")
    alliance = figures(user=supervisor)["alliance"]
    assert alliance["overdue_open"] == 1
    assert alliance["completed"] == 1 and alliance["completed_late"] == 0
    assert alliance["average_days_to_complete"] == pytest.approx(3.0, abs=0.01)
    assert alliance["average_promised_days"] == 5
    assert alliance["trips_saved"] == 2
    assert alliance["by_state"]["in_review"] == 1 and alliance["by_state"]["closed"] == 1
    gusu = figures(user=f.make_user("clerk", code="320508"))
    assert [d["division_code"] for d in gusu["districts"]] == ["320508"]
    assert gusu["districts"][0]["total"] == 0 and "alliance" not in gusu


def test_figures_count_each_rating_and_open_follow_up_once_in_each_district_of_the_case(citizen: User) -> None:
    from cases.models import FollowUp, Rating
    from standards.models import District

    huangpu, shushan = District.objects.get(division_code=f.HUANGPU), District.objects.get(division_code=f.SHUSHAN)
    across_bad, across_good, at_home_bad, unrated = (f.submitted_case(applicant=citizen) for _ in range(4))
    Case.objects.filter(pk__in=[across_bad.pk, across_good.pk, unrated.pk]).update(
        accepting_district=huangpu, approving_district=shushan
    )
    Case.objects.filter(pk=at_home_bad.pk).update(accepting_district=huangpu, approving_district=huangpu)

    def rate(case: Case, score: int) -> Rating:
        return Rating.objects.create(case=case, rater=citizen, score=score, attitude=3, speed=3, convenience=3)

    FollowUp.objects.create(rating=rate(across_bad, 1), district=shushan)
    rate(across_good, 5)
    FollowUp.objects.create(rating=rate(at_home_bad, 2), district=huangpu, status=FollowUp.Status.DONE)
    result = figures(user=f.make_user("supervisor"))
    by_code = {row["division_code"]: row["ratings"] for row in result["districts"]}
    # Huangpu accepted all three (the one it also approves counted once); Shushan approves two.
    assert by_code[f.HUANGPU] == {"count": 3, "average": 2.67, "bad": 2, "follow_ups_open": 1}
    assert by_code[f.SHUSHAN] == {"count": 2, "average": 3.0, "bad": 1, "follow_ups_open": 1}
    assert result["alliance"]["ratings"] == {"count": 3, "average": 2.67, "bad": 2, "follow_ups_open": 1}
    assert result["alliance"]["total"] == 4 and by_code[f.HUANGPU] != by_code["320508"]
