"""Firms (精服务): a supervisor names a clerk as a firm's specialist in a district."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Firm, FirmSpecialist, User
from cases.services.guards import invalid_field
from govservice import events
from govservice.errors import NotAllowed
from standards.models import District


def firm_specialist_assign(*, firm: Firm, district: District, clerk: User, actor: User) -> FirmSpecialist:
    """A supervisor names a clerk of the district as the firm's specialist there (replacing any other)."""
    if actor.role != User.Role.SUPERVISOR:
        raise NotAllowed(_("Only a supervisor assigns firm specialists."))
    if clerk.role != User.Role.CLERK or clerk.district_id != district.pk or not clerk.is_active:
        raise invalid_field("clerk", _("The specialist must be an active clerk of that district."))
    with transaction.atomic():
        FirmSpecialist.objects.select_for_update().filter(firm=firm, district=district, active=True).update(
            active=False
        )
        specialist = FirmSpecialist.objects.create(firm=firm, district=district, clerk=clerk, assigned_by=actor)
        events.send_on_commit(
            events.recipients(user_ids={clerk.pk}, division_codes=set()),
            {"type": "firm.specialist_assigned", "firm": firm.name},
        )
    return specialist
