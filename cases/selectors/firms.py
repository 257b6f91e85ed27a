"""Firms (精服务): the items recommended to a firm and why, its specialists, which firms a user sees."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Firm, FirmSpecialist, User
from cases import recommendation_rules as rules
from standards.generation import per_catalogue
from standards.models import District, ItemVersion


@dataclass(frozen=True)
class RecommendedItem:
    version: ItemVersion
    score: int
    reasons: tuple[str, ...]


def _legal_person_items_in_force() -> QuerySet[ItemVersion]:
    today = timezone.localdate()
    return (
        ItemVersion.objects.filter(status=ItemVersion.Status.PUBLISHED, for_legal_person=True)
        .filter(Q(effective_from__isnull=True) | Q(effective_from__lte=today))
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=today))
        .select_related("item")
    )


@per_catalogue
def _legal_person_item_views() -> tuple[rules.ItemView, ...]:
    """What the rules read of every item for firms in force (five columns of some thousand items), kept per
    catalogue generation rather than read on every page a firm opens."""
    return tuple(
        rules.ItemView(pk, code, name, tuple(stages or ()), mode)
        for pk, code, name, stages, mode in _legal_person_items_in_force().values_list(
            "pk", "item__code", "name", "growth_stages", "cross_province_mode"
        )
    )


def firm_recommendations(*, firm: Firm, limit: int = rules.LIMIT) -> list[RecommendedItem]:
    """At most `limit` items for the firm's industry and scope, growth stage and business mode, ranked,
    each with its reasons (the rules: cases/recommendation_rules.py)."""
    # Only the chosen versions are loaded whole.
    chosen = rules.recommend(rules.FirmView.of(firm), _legal_person_item_views(), limit=limit)
    versions = _legal_person_items_in_force().in_bulk([rec.version_id for rec in chosen])
    return [RecommendedItem(versions[rec.version_id], rec.score, rec.reasons) for rec in chosen]


def firm_recommended_items(*, firm: Firm) -> list[ItemVersion]:
    """The recommended item versions alone, in their rank."""
    return [row.version for row in firm_recommendations(firm=firm)]


def firm_specialists(*, firm: Firm) -> QuerySet[FirmSpecialist]:
    """The firm's active specialists, one per district at most, in the districts' order."""
    return (
        FirmSpecialist.objects.filter(firm=firm, active=True)
        .select_related("district", "clerk", "clerk__window", "assigned_by")
        .order_by("district__division_code")
    )


def specialist_candidates(*, district: District) -> QuerySet[User]:
    """The clerks a supervisor may name as a specialist in the district: its active clerks."""
    return User.objects.filter(role=User.Role.CLERK, district=district, is_active=True).order_by(
        "display_name", "username"
    )


def firms_visible_to(user: User) -> QuerySet[Firm]:
    if user.role in (User.Role.SUPERVISOR, User.Role.CLERK):
        return Firm.objects.all()
    if user.role == User.Role.FIRM and user.firm_id:
        return Firm.objects.filter(pk=user.firm_id)
    return Firm.objects.none()
