"""Follow-ups of bad ratings (好差评 整改) for the supervisors: who sees which, their standing, the list's filters.

A district's supervisor sees their district's follow-ups; the alliance supervisor (no district) sees all;
nobody else sees any. The list puts escalated ones first, then overdue, then open ones by deadline, then
closed ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case as When_
from django.db.models import IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import User
from cases.models import Case as CaseModel
from cases.models import FollowUp, Rating
from standards.models import District

OPEN = "open"
OVERDUE = "overdue"
ESCALATED = "escalated"
CLOSED = "closed"
# The standing of a follow-up, as the list's filter and badge name it.
STANDINGS = {
    OPEN: pgettext_lazy("follow-up", "Open"),
    OVERDUE: _("Overdue"),
    ESCALATED: _("Escalated"),
    CLOSED: pgettext_lazy("follow-up", "Closed"),
}
BADGES = {OPEN: "warn", OVERDUE: "bad", ESCALATED: "bad", CLOSED: "ok"}


def follow_ups_visible_to(user: User) -> QuerySet[FollowUp]:
    """The follow-ups this user may see and handle (the one access rule of pages, API and services)."""
    if not user.is_authenticated or not user.is_active or user.role != User.Role.SUPERVISOR:
        return FollowUp.objects.none()
    follow_ups = FollowUp.objects.all()
    if user.district_id is not None:
        follow_ups = follow_ups.filter(district_id=user.district_id)
    return follow_ups


def standing(follow_up: FollowUp, *, today: dt.date | None = None) -> str:
    if follow_up.status == FollowUp.Status.DONE:
        return CLOSED
    if follow_up.escalated_at is not None:
        return ESCALATED
    if follow_up.due_on is not None and follow_up.due_on < (today or timezone.localdate()):
        return OVERDUE
    return OPEN


def _standing_q(value: str, today: dt.date) -> Q:
    is_open = Q(status=FollowUp.Status.OPEN)
    late = Q(due_on__lt=today)
    return {
        CLOSED: Q(status=FollowUp.Status.DONE),
        ESCALATED: is_open & Q(escalated_at__isnull=False),
        OVERDUE: is_open & Q(escalated_at__isnull=True) & late,
        OPEN: is_open & Q(escalated_at__isnull=True) & ~late,
    }[value]


@dataclass(frozen=True)
class FollowUpFilters:
    district: str = ""  # a division code
    standing: str = ""

    @classmethod
    def from_query(cls, query: dict[str, str] | object) -> FollowUpFilters:
        get = getattr(query, "get", None)
        district = str(get("district", "") or "") if get else ""
        value = str(get("status", "") or "") if get else ""
        return cls(district=district[:6], standing=value if value in STANDINGS else "")


def follow_up_list(
    *, user: User, filters: FollowUpFilters | None = None, today: dt.date | None = None
) -> QuerySet[FollowUp]:
    """The user's follow-ups, filtered, escalated first, then overdue, open by deadline, closed last."""
    today = today or timezone.localdate()
    filters = filters or FollowUpFilters()
    follow_ups = follow_ups_visible_to(user).select_related("rating__case__item_version", "district")
    if filters.district:
        follow_ups = follow_ups.filter(district__division_code=filters.district)
    if filters.standing:
        follow_ups = follow_ups.filter(_standing_q(filters.standing, today))
    rank = When_(
        When(_standing_q(ESCALATED, today), then=Value(0)),
        When(_standing_q(OVERDUE, today), then=Value(1)),
        When(_standing_q(OPEN, today), then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return follow_ups.annotate(rank=rank).order_by("rank", "due_on", "-closed_at", "pk")


def follow_up_districts(user: User) -> QuerySet[District]:
    """The districts a user's list can be filtered by."""
    districts = District.objects.order_by("division_code")
    if user.district_id is not None:
        return districts.filter(pk=user.district_id)
    return districts


# A rating's sub-scores (the model's fields) and their labels, in the order the rating form asks them.
SUB_SCORES = (("attitude", _("service attitude")), ("speed", _("speed")), ("convenience", _("convenience")))


@dataclass(frozen=True)
class RatingShown:
    """A case's rating as its applicant sees it on the case page: the scores, and what became of a bad one."""

    rating: Rating
    scores: list[tuple[str, int]]  # (label, score) of each sub-score
    follow_up: FollowUp | None


def rating_shown(case: CaseModel) -> RatingShown | None:
    rating = Rating.objects.filter(case=case).first()
    if rating is None:
        return None
    scores = [(str(label), int(getattr(rating, name))) for name, label in SUB_SCORES]
    return RatingShown(rating=rating, scores=scores, follow_up=FollowUp.objects.filter(rating=rating).first())
