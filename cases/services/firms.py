"""Firms (精服务): a supervisor names a clerk as a firm's specialist in a district; a firm's representative
keeps the firm's profile (growth stage, business mode, industry, scope) that its recommendations read."""

from __future__ import annotations

import json

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Firm, FirmSpecialist, User
from cases.services.guards import invalid_field
from govservice import events
from govservice.errors import NotAllowed
from standards.models import District

# What a representative may change on the firm's page; the name, credit code and registered district are
# the business licence's, kept by administrators.
PROFILE_FIELDS = ("growth_stage", "business_mode", "industry", "business_scope")
SCOPE_MAX_LENGTH = 2000


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


def firm_profile_update(
    *, firm: Firm, actor: User, growth_stage: str, business_mode: str, industry: str, business_scope: str
) -> Firm:
    """The firm's representative declares its growth stage, business mode, industry and scope.

    Each change is recorded in the firm's history (the admin's log: who, when, old and new values).
    """
    if actor.role != User.Role.FIRM or actor.firm_id != firm.pk:
        raise NotAllowed(_("Only the firm's own representatives change its profile."))
    business_scope = business_scope.strip()
    for name, value, choices in (
        ("growth_stage", growth_stage, Firm.GrowthStage.values),
        ("business_mode", business_mode, Firm.BusinessMode.values),
        ("industry", industry, Firm.Industry.values),
    ):
        if value not in choices:
            raise invalid_field(name, _("Choose one of the listed values."))
    if len(business_scope) > SCOPE_MAX_LENGTH:
        raise invalid_field("business_scope", _("At most %(n)d characters, please.") % {"n": SCOPE_MAX_LENGTH})
    new = {
        "growth_stage": growth_stage,
        "business_mode": business_mode,
        "industry": industry,
        "business_scope": business_scope,
    }
    with transaction.atomic():
        locked = Firm.objects.select_for_update().get(pk=firm.pk)
        changed = {
            name: [getattr(locked, name), value] for name, value in new.items() if getattr(locked, name) != value
        }
        if not changed:
            return locked
        for name, (_old, value) in changed.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(changed))
        LogEntry.objects.log_actions(
            user_id=actor.pk,
            queryset=[locked],
            action_flag=CHANGE,
            change_message=json.dumps([{"changed": {"fields": list(changed), "values": changed}}], ensure_ascii=False),
            single_object=True,
        )
    return locked
