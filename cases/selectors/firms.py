"""Firms (精服务): recommended items for a firm's growth stage, and which firms a user sees."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Firm, User
from standards.models import ItemVersion


def firm_recommended_items(*, firm: Firm) -> QuerySet[ItemVersion]:
    """Published items whose growth-stage tags include the firm's stage (精服务)."""
    today = timezone.localdate()
    versions = (
        ItemVersion.objects.filter(status=ItemVersion.Status.PUBLISHED, for_legal_person=True)
        .filter(Q(effective_from__isnull=True) | Q(effective_from__lte=today))
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=today))
        .select_related("item")
        .order_by("item__code")
    )
    # JSON containment is not on SQLite: filter the (small) tagged set in Python, keep a queryset.
    ids = [pk for pk, stages in versions.values_list("pk", "growth_stages") if firm.growth_stage in (stages or [])]
    return versions.filter(pk__in=ids)


def firms_visible_to(user: User) -> QuerySet[Firm]:
    if user.role in (User.Role.SUPERVISOR, User.Role.CLERK):
        return Firm.objects.all()
    if user.role == User.Role.FIRM and user.firm_id:
        return Firm.objects.filter(pk=user.firm_id)
    return Firm.objects.none()
