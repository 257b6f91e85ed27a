"""The citizen portal's reads: the items people apply for most, and who handles a case and how to reach them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User
from cases import life_cycle
from cases.competence_rules import CompetenceRefused, competent_district
from cases.models import Case
from cases.selectors.competence import active_implementations, applicant_places
from standards.models import UNVERIFIED, District, ItemVersion, ServiceWindow
from standards.selectors import versions_in_force

# "Often applied for" on the home page counts the applications of this many days.
OFTEN_APPLIED_DAYS = 90


def items_often_applied(*, limit: int = 8, days: int = OFTEN_APPLIED_DAYS) -> list[ItemVersion]:
    """The versions in force of the items with the most applications started in the last `days` days, most first
    (none: an empty list)."""
    since = timezone.now() - dt.timedelta(days=days)
    counted = (
        Case.objects.filter(created_at__gte=since)
        .values("item_version__item")
        .annotate(n=Count("pk"))
        .order_by("-n", "item_version__item")[:limit]
    )
    ids = [row["item_version__item"] for row in counted]
    in_force = {v.item_id: v for v in versions_in_force().filter(item_id__in=ids).select_related("item")}
    return [in_force[pk] for pk in ids if pk in in_force]


def as_list_rows(cases: QuerySet[Case], *, agent: bool = True) -> QuerySet[Case]:
    """A list of cases (my cases, the firm space) with what its rows show: the districts (and agent) joined, the
    item's name fetched for the listed cases only. Joined too, the 3000 item versions were read whole into a hash
    for every page of the list (some 7 ms of PostgreSQL's time for 400 cases)."""
    return (
        cases.select_related(None)
        .select_related("accepting_district", "approving_district", *(["agent"] if agent else []))
        .prefetch_related(Prefetch("item_version", queryset=ItemVersion.objects.only("id", "name", "name_en")))
    )


@dataclass(frozen=True)
class CaseContact:
    """Who handles a case now and how to reach them: the window of the side that holds it."""

    side: str  # "accepting" or "approving"
    district: District
    window: ServiceWindow | None
    clerk: User | None

    @property
    def phone(self) -> str:
        """The window's enquiry phone, or 待核实 while no district has confirmed it."""
        return (self.window.enquiry_phone if self.window is not None else "") or UNVERIFIED

    @property
    def phone_unverified(self) -> bool:
        return self.phone == UNVERIFIED

    @property
    def hours(self) -> str:
        if self.window is None:
            return ""
        return f"{self.window.opens_at:%H:%M}–{self.window.closes_at:%H:%M}"


def case_contact(case: Case) -> CaseContact:
    """The side that holds the case in its state: the approving district while it reviews it (the states that
    count towards its clerks' load), the accepting district before, after (delivery) and otherwise."""
    if life_cycle.STATES[case.state].load:
        window = case.approving_window
        if window is None:
            window = ServiceWindow.objects.filter(
                district=case.approving_district, kind=ServiceWindow.Kind.YRD_ZONE, active=True
            ).first()
        return CaseContact("approving", case.approving_district, window, case.approving_clerk)
    return CaseContact("accepting", case.accepting_district, case.accepting_window, case.accepting_clerk)


def nearest_district(home: District | None, candidates: list[District]) -> District | None:
    """The candidate nearest to `home`: itself, else one in the same city, else one in the same province (None:
    no home, or nothing that near: the person picks). The alliance's districts have no coordinates here, so
    nearness is administrative, never a guessed distance."""
    if home is None:
        return None
    for same in (
        lambda d: d.pk == home.pk,
        lambda d: d.city == home.city,
        lambda d: d.province_id == home.province_id,
    ):
        found = next((d for d in candidates if same(d)), None)
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class ApplyChoice:
    """What the apply form offers: the districts that accept the item, the one preselected (the nearest to the
    account's place), and the approving district when the item's rule already names it for this person."""

    accepting: list[District]
    nearest: District | None
    approving: District | None


def apply_choice(*, item_version: ItemVersion, user: User | AnonymousUser) -> ApplyChoice:
    implementations = active_implementations(item_version)
    accepting = sorted({i.district for i in implementations if i.can_accept}, key=lambda d: d.division_code)
    home = None
    approving = None
    if user.is_authenticated and isinstance(user, User):
        home_id = user.home_district_id
        home = next((d for d in accepting if d.pk == home_id), None) or (
            District.objects.filter(pk=home_id).first() if home_id else None
        )
        firm = user.firm if user.role == User.Role.FIRM else None
        places = applicant_places(principal="firm" if firm is not None else "person", account=user, firm=firm, given="")
        by_code = {i.district.division_code: i.district for i in implementations if i.can_approve}
        try:
            competence = competent_district(
                rule=item_version.competent_district_rule, approving=by_code.keys(), places=places
            )
        except CompetenceRefused:
            pass  # the form asks (a place, or a choice): shown once the case is started
        else:
            approving = by_code.get(competence.district)
    return ApplyChoice(accepting=accepting, nearest=nearest_district(home, accepting), approving=approving)
