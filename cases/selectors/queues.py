"""The clerk's workbench (queues per state, filters, overdue and oldest first) and the district queues."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from django.db.models import Case as Choose
from django.db.models import Count, F, IntegerField, Q, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from accounts.models import User
from cases import life_cycle
from cases.deadlines import DUE_SOON_WORKING_DAYS, due_date
from cases.life_cycle import Queue, Step, queue_states
from cases.models import Case
from cases.selectors.steps import quick_step_for
from cases.selectors.visibility import cases_visible_to, districts_visible_to
from govservice.queues import district_queue
from standards.models import ServiceWindow

# With the approving district, past recognition: its load without the cases still waiting to be recognised.
_IN_REVIEW_STATES = tuple(sorted(set(life_cycle.LOAD_STATES) - {life_cycle.ROUTED}))

# The workbench's queues in the order a clerk works them; each state of a queue is a queue of its own.
WORKBENCH_QUEUES = (Queue.TO_ACCEPT, Queue.TO_APPROVE, Queue.TO_DELIVER, Queue.WAITING, Queue.WITHDRAWN)
# How many cases of one state the page lists (the count says how many there are): the first 50 when the
# clerk opened one state's tab, the first 10 of each state on the "All" tab (a district's desk has a dozen
# states: 50 of each was some 600 rows, half a second of rendering, for a page whose tabs open the rest).
QUEUE_ROWS = 50
OVERVIEW_ROWS = 10
# What a row of the queue table (cases/_queue_table.html) reads besides the case's own columns.
QUEUE_ROW_RELATED = ("item_version", "accepting_district", "approving_district", "accepting_clerk", "approving_clerk")
# The columns a row reads (queue_row, and the sides quick_step_for checks): the item version's texts and eight
# JSON lists, decoded per row, stay in the database.
QUEUE_ROW_FIELDS = (
    *("reference", "state", "applicant_name", "promised_due", "state_changed_at"),
    *("applicant", "agent", "counter_clerk", *QUEUE_ROW_RELATED),
    *(
        f"{district}__{name}"
        for district in ("accepting_district", "approving_district")
        for name in ("name", "name_en")
    ),
    *("item_version__name", "item_version__name_en"),
    *(f"{clerk}__{name}" for clerk in ("accepting_clerk", "approving_clerk") for name in ("username", "display_name")),
)
DEADLINE_FILTERS = ("overdue", "due_soon", "none")


@dataclass(frozen=True)
class WorkbenchFilters:
    """What the clerk narrows the queues to: one state, an item (its code), a window (its code), a clerk, a deadline."""

    state: str = ""
    item: str = ""
    window: str = ""
    clerk: int | None = None
    deadline: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> WorkbenchFilters:
        """From a page's query string or an API's parameters; values that mean nothing are ignored."""
        state = str(query.get("state") or "")
        deadline = str(query.get("deadline") or "")
        clerk = str(query.get("clerk") or "")
        return cls(
            state=state if life_cycle.STATES.get(state, None) and _queue_of(state) else "",
            item=str(query.get("item") or "").strip()[:40],
            window=str(query.get("window") or "").strip()[:20],
            clerk=int(clerk) if clerk.isdigit() else None,
            deadline=deadline if deadline in DEADLINE_FILTERS else "",
        )

    @property
    def active(self) -> bool:
        return bool(self.item or self.window or self.clerk or self.deadline)


class QueueRow(TypedDict):
    """One row of the workbench's queue table with its values ready to print: a desk lists a hundred rows, and the
    template's own lookups, URL reversals and date filters on each case cost more than the rest of the page."""

    reference: str
    url: str
    overdue: bool
    item: str
    applicant: str
    route: str
    state_label: str
    badge: str
    held: bool  # routed to the approving district, and no clerk there has taken it
    mine: bool  # the approving clerk is the one reading the desk
    promised: str
    waiting: dt.datetime  # since the case entered its state, local time
    clerk: str
    quick: Step | None  # the workbench's shortcut step (accept, recognise, deliver as pick-up)
    quick_url: str


def queue_row(case: Case, *, clerk: User) -> QueueRow:
    quick = quick_step_for(case=case, user=clerk)
    return {
        "reference": case.reference,
        "url": reverse("cases-detail", args=[case.reference]),
        "overdue": bool(getattr(case, "is_overdue", False)),
        "item": case.item_version.display_name,
        "applicant": case.applicant_name,
        "route": f"{case.accepting_district.display_name} → {case.approving_district.display_name}",
        "state_label": life_cycle.label(case.state),
        "badge": life_cycle.badge(case.state),
        "held": case.state == life_cycle.ROUTED and not case.approving_clerk_id,
        "mine": case.approving_clerk_id == clerk.pk,
        "promised": case.promised_due.isoformat() if case.promised_due else "—",
        "waiting": timezone.localtime(case.state_changed_at),
        "clerk": str(case.approving_clerk or case.accepting_clerk or "—"),
        "quick": quick,
        "quick_url": reverse("cases-step", args=[case.reference, quick.name]) if quick else "",
    }


@dataclass
class StateQueue:
    state: str
    queue: Queue
    count: int = 0
    overdue: int = 0
    cases: list[Case] = field(default_factory=list)
    rows: list[QueueRow] = field(default_factory=list)  # the cases as the page's table prints them

    @property
    def label(self) -> str:
        return life_cycle.label(self.state)

    @property
    def badge(self) -> str:
        return life_cycle.badge(self.state)


@dataclass
class Workbench:
    queues: list[StateQueue]
    shown: list[StateQueue]
    filters: WorkbenchFilters
    items: list[tuple[str, str]]
    windows: list[ServiceWindow]
    clerks: list[User]

    @property
    def total(self) -> int:
        return sum(queue.count for queue in self.queues)

    @property
    def item_options(self) -> str:
        """The item filter's <option>s, escaped here: a district's desk can list a thousand items, and a template
        loop spent some 80 ms on them."""
        selected = mark_safe(" selected")  # a constant
        return format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((code, selected if code == self.filters.item else "", name) for code, name in self.items),
        )


def _queue_of(state: str) -> Queue | None:
    queue = life_cycle.STATES[state].queue
    return queue if queue in WORKBENCH_QUEUES else None


def _district_side(queue: Queue, district_id: int | None) -> Q:
    """Whose queue a state is: the approving district's, both districts' (withdrawn), or the accepting one's."""
    if queue == Queue.TO_APPROVE:
        return Q(approving_district_id=district_id)
    if queue == Queue.WITHDRAWN:
        return Q(accepting_district_id=district_id) | Q(approving_district_id=district_id)
    return Q(accepting_district_id=district_id)


def _in_district_queues(district_id: int | None) -> Q:
    wanted = Q(pk__in=[])
    for queue in WORKBENCH_QUEUES:
        wanted |= Q(state__in=queue_states(queue)) & _district_side(queue, district_id)
    return wanted


def _overdue(today: dt.date) -> Q:
    # Only where the clock runs: a stopped clock's deadline moves on when it resumes.
    return Q(promised_due__lt=today, state__in=life_cycle.OPEN_STATES)


def _filtered(cases: QuerySet[Case], filters: WorkbenchFilters, *, today: dt.date) -> QuerySet[Case]:
    if filters.item:
        cases = cases.filter(item_version__item__code=filters.item)
    if filters.window:
        cases = cases.filter(Q(accepting_window__code=filters.window) | Q(approving_window__code=filters.window))
    if filters.clerk is not None:
        cases = cases.filter(Q(accepting_clerk_id=filters.clerk) | Q(approving_clerk_id=filters.clerk))
    if filters.deadline == "overdue":
        cases = cases.filter(_overdue(today))
    elif filters.deadline == "due_soon":
        horizon = due_date(start=today, limit=DUE_SOON_WORKING_DAYS, unit="working_days")
        cases = cases.filter(promised_due__gte=today, promised_due__lte=horizon, state__in=life_cycle.OPEN_STATES)
    elif filters.deadline == "none":
        cases = cases.filter(promised_due__isnull=True)
    return cases


def workbench_for(clerk: User, filters: WorkbenchFilters | None = None) -> Workbench:
    """A clerk's desk: one queue per state with its count (and how many are overdue), the cases of each
    overdue first and then the longest waiting (withdrawn ones newest first), narrowed by the filters."""
    filters = filters or WorkbenchFilters()
    today = timezone.localdate()
    district_id = clerk.district_id or 0  # a clerk without a district sees nothing (cases_visible_to)
    mine = cases_visible_to(clerk).filter(_in_district_queues(district_id))
    cases = _filtered(mine, filters, today=today)
    counts = {
        row["state"]: row
        for row in cases.order_by().values("state").annotate(n=Count("id"), late=Count("id", filter=_overdue(today)))
    }
    queues = [
        StateQueue(
            state=state,
            queue=queue,
            count=counts.get(state, {}).get("n", 0),
            overdue=counts.get(state, {}).get("late", 0),
        )
        for queue in WORKBENCH_QUEUES
        for state in queue_states(queue)
    ]
    shown = [q for q in queues if q.state == filters.state] if filters.state else [q for q in queues if q.count]
    # The rows load only what the queue table shows (cases_visible_to joins nine tables: planning a dozen such
    # statements on PostgreSQL took longer than running them; the API reloads its cases whole: with_whole_cases).
    limit = QUEUE_ROWS if filters.state else OVERVIEW_ROWS
    # The first rows of every shown state in one statement (a window per state), not one statement per state:
    # the withdrawn ones newest first, the others overdue first and then the longest waiting. Each state is a
    # partition of its own, so the keys of withdrawn states (NULL elsewhere) order only those.
    withdrawn = Q(state__in=queue_states(Queue.WITHDRAWN))
    order = [
        Choose(When(withdrawn, then=F("state_changed_at"))).desc(),
        Choose(When(withdrawn, then=F("id"))).desc(),
        F("is_overdue").desc(),
        F("state_changed_at").asc(),
        F("id").asc(),
    ]
    by_state: dict[str, list[Case]] = {queue.state: [] for queue in shown}
    if shown:
        rows = (
            cases.filter(state__in=list(by_state))
            .select_related(None)
            .select_related(*QUEUE_ROW_RELATED)
            .only(*QUEUE_ROW_FIELDS)
            .annotate(
                is_overdue=Choose(When(_overdue(today), then=Value(1)), default=Value(0), output_field=IntegerField())
            )
            .annotate(row_number=Window(RowNumber(), partition_by=[F("state")], order_by=order))
            .filter(row_number__lte=limit)
            .order_by("state", "row_number")
        )
        for case in rows:
            by_state[case.state].append(case)
    for queue in shown:
        queue.cases = by_state[queue.state]
        queue.rows = [queue_row(case, clerk=clerk) for case in queue.cases]
    items = dict(
        mine.order_by("item_version__item__code")
        .values_list("item_version__item__code", "item_version__name")
        .distinct()
    )
    return Workbench(
        queues=queues,
        shown=shown,
        filters=filters,
        items=sorted(items.items()),
        windows=list(ServiceWindow.objects.filter(district_id=district_id).order_by("code")),
        clerks=list(User.objects.filter(role=User.Role.CLERK, district_id=district_id, is_active=True).order_by("pk")),
    )


def with_whole_cases(desk: Workbench, *, clerk: User) -> Workbench:
    """The desk with its shown cases loaded whole, in one statement, for the API (its serializer reads every column
    and the related rows that the page's table does not)."""
    whole = cases_visible_to(clerk).in_bulk([case.pk for queue in desk.shown for case in queue.cases])
    for queue in desk.shown:
        queue.cases = [whole[case.pk] for case in queue.cases]
    return desk


_ROUTING_STOPPED = Q(state=life_cycle.AWAITING_ROUTING, routing_poisoned=True)


def routing_stopped_cases() -> QuerySet[Case]:
    """Accepted cases whose routing stopped after its attempts (poison): a supervisor must look at them."""
    return Case.objects.filter(_ROUTING_STOPPED)


def district_queues(*, user: User) -> list[dict[str, Any]]:
    """Every district queue for a supervisor; the clerk's own for a clerk."""
    districts = districts_visible_to(user)
    if not districts:
        return []
    rows = []
    active_clerks = dict(
        User.objects.filter(role=User.Role.CLERK, is_active=True)
        .values("district_id")
        .annotate(n=Count("id"))
        .values_list("district_id", "n")
    )
    routed = Q(state=life_cycle.ROUTED)  # routed here and waiting to be recognised (the routing step's target)
    stopped = _ROUTING_STOPPED
    counts = {
        row["approving_district_id"]: row
        for row in Case.objects.filter(approving_district__in=districts)
        .filter(routed | Q(state__in=_IN_REVIEW_STATES) | stopped)
        .values("approving_district_id")
        .annotate(
            waiting=Count("id", filter=routed),
            held_without_clerk=Count("id", filter=routed & Q(approving_clerk__isnull=True)),
            in_review=Count("id", filter=Q(state__in=_IN_REVIEW_STATES)),
            routing_stopped=Count("id", filter=stopped),
        )
    }
    for district in districts:
        figures = counts.get(district.pk, {})
        rows.append(
            {
                "division_code": district.division_code,
                "district": str(district),
                "queue": district_queue(district.division_code),
                "active_clerks": active_clerks.get(district.pk, 0),
                **{
                    name: figures.get(name, 0)
                    for name in ("waiting", "held_without_clerk", "in_review", "routing_stopped")
                },
                "cases": list(
                    Case.objects.filter(routed, approving_district=district)
                    .order_by("routed_at")
                    .values_list("reference", flat=True)[:50]
                ),
            }
        )
    return rows
