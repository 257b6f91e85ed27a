"""The workbench as a desk (issue 10, item 7): a queue per state with counts, overdue then oldest first,
filters, every row opens the case (no one-click 受理), withdrawn cases in both districts' queues."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cases import services
from cases.models import Case, CaseState
from cases.selectors import WorkbenchFilters, workbench_for
from standards.models import ItemVersion
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

pytestmark = pytest.mark.django_db


def page_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def put(case: Case, state: str, **fields: object) -> Case:
    """A case moved straight into a state (the chain stays valid: only columns change)."""
    Case.objects.filter(pk=case.pk).update(state=state, **fields)
    return Case.objects.get(pk=case.pk)


def references(desk_queue_cases: list[Case]) -> list[str]:
    return [case.reference for case in desk_queue_cases]


def test_each_state_is_a_queue_with_its_count_overdue_first_then_the_longest_waiting(
    citizen: User, huangpu_clerk: User, item: ItemVersion
) -> None:
    today = timezone.localdate()
    now = timezone.now()
    newest, oldest, late = (f.submitted_case(applicant=citizen, version=item) for _ in range(3))
    put(newest, CaseState.ACCEPTED, state_changed_at=now, promised_due=today + dt.timedelta(days=9))
    put(oldest, CaseState.ACCEPTED, state_changed_at=now - dt.timedelta(days=3), promised_due=today)
    put(
        late, CaseState.ACCEPTED, state_changed_at=now - dt.timedelta(days=1), promised_due=today - dt.timedelta(days=1)
    )
    waiting = f.submitted_case(applicant=citizen, version=item)
    desk = workbench_for(huangpu_clerk)
    counts = {queue.state: (queue.count, queue.overdue) for queue in desk.queues}
    assert counts[CaseState.ACCEPTED] == (3, 1) and counts[CaseState.SUBMITTED] == (1, 0)
    assert counts[CaseState.IN_REVIEW] == (0, 0) and counts[CaseState.WITHDRAWN] == (0, 0)
    shown = {queue.state: references(queue.cases) for queue in desk.shown}
    assert shown == {
        CaseState.SUBMITTED: [waiting.reference],
        CaseState.ACCEPTED: [late.reference, oldest.reference, newest.reference],
    }
    assert desk.total == 4
    only = workbench_for(huangpu_clerk, WorkbenchFilters(state=CaseState.SUBMITTED))
    assert [queue.state for queue in only.shown] == [CaseState.SUBMITTED]


def test_the_filters_narrow_by_item_window_clerk_and_deadline(
    citizen: User, huangpu_clerk: User, item: ItemVersion
) -> None:
    today = timezone.localdate()
    other_item = f.make_item()
    a = put(
        f.submitted_case(applicant=citizen, version=item),
        CaseState.ACCEPTED,
        accepting_clerk=huangpu_clerk,
        promised_due=today - dt.timedelta(days=2),
    )
    b = put(f.submitted_case(applicant=citizen, version=other_item), CaseState.ACCEPTED, promised_due=today)
    c = f.submitted_case(applicant=citizen, version=item)

    def shown(**filters: object) -> set[str]:
        desk = workbench_for(huangpu_clerk, WorkbenchFilters.from_query(filters))
        return {case.reference for queue in desk.shown for case in queue.cases}

    assert shown() == {a.reference, b.reference, c.reference}
    assert shown(item=item.item.code) == {a.reference, c.reference}
    assert shown(clerk=str(huangpu_clerk.pk)) == {a.reference}
    assert shown(deadline="overdue") == {a.reference}
    assert shown(deadline="due_soon") == {b.reference}
    assert shown(deadline="none") == {c.reference}
    assert shown(window=a.accepting_window.code) == {a.reference, b.reference, c.reference}
    assert shown(window="NOPE") == set()
    assert shown(deadline="someday", state="nonsense") == {a.reference, b.reference, c.reference}  # ignored


def test_a_withdrawn_case_shows_in_both_districts_queues(
    citizen: User,
    huangpu_clerk: User,
    shushan_clerk: User,
    item: ItemVersion,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    with django_capture_on_commit_callbacks(execute=False):
        case = f.accept_checked(case, huangpu_clerk)
        services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
        services.case_withdraw(case=Case.objects.get(pk=case.pk), actor=citizen, reason="已在本地办理")
    for clerk in (huangpu_clerk, shushan_clerk):
        withdrawn = next(q for q in workbench_for(clerk).queues if q.state == CaseState.WITHDRAWN)
        assert withdrawn.count == 1, clerk
        page = page_for(clerk).get(reverse("cases-workbench")).content.decode()
        assert f'data-queue-state="{CaseState.WITHDRAWN}"' in page and case.reference in page
    # A third district sees nothing of it.
    gusu = f.make_user("clerk", code=f.GUSU)
    assert case.reference not in page_for(gusu).get(reverse("cases-workbench")).content.decode()


def test_a_case_withdrawn_before_it_reached_the_approving_district_stays_at_the_accepting_one(
    citizen: User, huangpu_clerk: User, shushan_clerk: User, item: ItemVersion
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    services.case_withdraw(case=case, actor=citizen, reason="不办了")
    assert next(q for q in workbench_for(huangpu_clerk).queues if q.state == CaseState.WITHDRAWN).count == 1
    assert next(q for q in workbench_for(shushan_clerk).queues if q.state == CaseState.WITHDRAWN).count == 0


def test_the_workbench_page_has_tabs_with_counts_filters_and_rows_that_open_the_case(
    citizen: User, huangpu_clerk: User, item: ItemVersion
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    page = page_for(huangpu_clerk).get(reverse("cases-workbench")).content.decode()
    assert f'data-queue-tab="{CaseState.SUBMITTED}"' in page and "已提交" in page
    assert "本区队列" in page and "district.310101" not in page  # no internal queue name shown
    for name in ("item", "window", "clerk", "deadline"):
        assert f'name="{name}"' in page
    assert 'class="table queue stack"' in page and 'data-label="办件编号"' in page  # cards at phone width
    assert reverse("cases-step", args=[case.reference, "accept"]) not in page  # no one-click 受理
    assert f'href="{reverse("cases-detail", args=[case.reference])}"' in page and "打开办件" in page
    filtered = page_for(huangpu_clerk).get(reverse("cases-workbench"), {"deadline": "overdue"}).content.decode()
    assert case.reference not in filtered
    one = page_for(huangpu_clerk).get(reverse("cases-workbench"), {"state": CaseState.SUBMITTED}).content.decode()
    assert case.reference in one and 'aria-current="true"' in one


def test_the_workbench_api_answers_clerks_with_the_same_queues(
    citizen: User, huangpu_clerk: User, item: ItemVersion
) -> None:
    from rest_framework.test import APIClient

    case = f.submitted_case(applicant=citizen, version=item)
    client = APIClient()
    client.force_authenticate(huangpu_clerk)
    body = client.get("/api/cases/workbench/", {"state": CaseState.SUBMITTED}).json()
    assert body["total"] == 1
    assert [(q["state"], q["count"]) for q in body["shown"]] == [(CaseState.SUBMITTED, 1)]
    assert body["shown"][0]["cases"][0]["reference"] == case.reference
    assert len(body["queues"]) == len(workbench_for(huangpu_clerk).queues)
    assert client.get("/api/cases/workbench/", {"deadline": "overdue"}).json()["total"] == 0
    citizen_client = APIClient()
    citizen_client.force_authenticate(citizen)
    assert citizen_client.get("/api/cases/workbench/").status_code == 403


def test_the_all_tab_lists_the_first_ten_of_a_state_and_opens_the_rest_in_statements_that_do_not_grow(
    citizen: User, huangpu_clerk: User, item: ItemVersion
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.selectors.queues import OVERVIEW_ROWS

    first = f.submitted_case(applicant=citizen, version=item)
    put(f.submitted_case(applicant=citizen, version=item), CaseState.ACCEPTED)
    client = page_for(huangpu_clerk)
    client.get(reverse("cases-workbench"))  # the session's first read
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("cases-workbench"))
    for _ in range(OVERVIEW_ROWS + 1):
        f.submitted_case(applicant=citizen, version=item)
    put(f.submitted_case(applicant=citizen, version=item), CaseState.CORRECTION_REQUESTED)  # a third state shown
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("cases-workbench")).content.decode()
    assert len(many) == len(few), [q["sql"][:90] for q in many.captured_queries]  # none per row or per state
    section = page.split(f'data-queue-state="{CaseState.SUBMITTED}"')[1].split("</section>")[0]
    assert section.count("<tr data-reference=") == OVERVIEW_ROWS
    assert first.reference in section  # the longest waiting first
    assert f'href="?state={CaseState.SUBMITTED}"' in section and "查看该队列全部" in section
    one = client.get(reverse("cases-workbench"), {"state": CaseState.SUBMITTED}).content.decode()
    assert one.count("<tr data-reference=") == OVERVIEW_ROWS + 2
    assert "查看该队列全部" not in one


def test_withdrawn_cases_are_listed_newest_first_beside_working_states_listed_oldest_first(
    citizen: User, huangpu_clerk: User, item: ItemVersion
) -> None:
    now = timezone.now()
    older, newer = (f.submitted_case(applicant=citizen, version=item) for _ in range(2))
    put(older, CaseState.WITHDRAWN, state_changed_at=now - dt.timedelta(days=2))
    put(newer, CaseState.WITHDRAWN, state_changed_at=now - dt.timedelta(days=1))
    first, second = (f.submitted_case(applicant=citizen, version=item) for _ in range(2))
    put(first, CaseState.SUBMITTED, state_changed_at=now - dt.timedelta(days=2))
    put(second, CaseState.SUBMITTED, state_changed_at=now - dt.timedelta(days=1))
    shown = {queue.state: references(queue.cases) for queue in workbench_for(huangpu_clerk).shown}
    assert shown == {
        CaseState.SUBMITTED: [first.reference, second.reference],
        CaseState.WITHDRAWN: [newer.reference, older.reference],
    }
    rows = {queue.state: [row["reference"] for row in queue.rows] for queue in workbench_for(huangpu_clerk).shown}
    assert rows == shown


def test_the_workbench_api_lists_whole_cases_in_statements_that_do_not_grow(
    citizen: User, huangpu_clerk: User, item: ItemVersion
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(huangpu_clerk)
    put(f.submitted_case(applicant=citizen, version=item), CaseState.ACCEPTED)
    client.get("/api/cases/workbench/")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/cases/workbench/")
    for _ in range(3):
        put(f.submitted_case(applicant=citizen, version=item), CaseState.ACCEPTED)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/api/cases/workbench/").json()
    assert len(many) == len(few), [q["sql"][:90] for q in many.captured_queries]
    case = body["shown"][0]["cases"][0]
    assert case["item_code"] == item.item.code and case["accepting_window"] and case["item_version_number"]


def test_the_queue_line_counts_clerks_in_the_singular_and_plural_in_english(huangpu_clerk: User) -> None:
    client = page_for(huangpu_clerk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "1 active clerk." in client.get(reverse("cases-workbench")).content.decode()
    f.make_clerk(f.HUANGPU)
    assert "2 active clerks." in client.get(reverse("cases-workbench")).content.decode()
