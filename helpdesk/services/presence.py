"""Clerks' presence: the console's toggle, heartbeats, and the console closing."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from govservice import events
from govservice.errors import Conflict, DomainError, NotAllowed
from helpdesk.models import CallInvite, ClerkProfile, Offer
from helpdesk.realtime import clerk_group
from helpdesk.services import members, routing
from helpdesk.services.audit import Kind, assist_audit
from helpdesk.services.clock import current

Status = ClerkProfile.Status

# The presence a clerk may set themselves, as its audit kind.
PRESENCE_KINDS = {
    Status.AVAILABLE: Kind.CLERK_AVAILABLE,
    Status.AWAY: Kind.CLERK_AWAY,
    Status.OFFLINE: Kind.CLERK_OFFLINE,
}


def clerk_profile_for(clerk: User) -> ClerkProfile:
    if not clerk.is_clerk:
        raise NotAllowed(_("Only clerks answer calls."), code="not_a_clerk")
    profile, _created = ClerkProfile.objects.get_or_create(clerk=clerk)
    return profile


def clerk_presence_set(*, clerk: User, status: str, now: dt.datetime | None = None, route: bool = True) -> ClerkProfile:
    """The clerk's own toggle: available or away (a clerk in a call or ringing finishes that first)."""
    now = current(now)
    if status not in PRESENCE_KINDS:
        raise Conflict(_("A clerk can only make themselves available, away or offline."), code="invalid_state")
    profile = clerk_profile_for(clerk)
    allowed_from = [Status.OFFLINE, Status.AVAILABLE, Status.AWAY, Status.WRAP_UP]
    with transaction.atomic():
        fields: dict[str, Any] = {"status": status, "status_since": now, "last_heartbeat": now}
        if status == Status.AVAILABLE:
            # Idle time counts from now unless the clerk was already available.
            updated = ClerkProfile.objects.filter(pk=profile.pk, status=Status.AVAILABLE).update(last_heartbeat=now)
            if not updated:
                fields["idle_since"] = now
                updated = ClerkProfile.objects.filter(pk=profile.pk, status__in=allowed_from).update(**fields)
        else:
            updated = ClerkProfile.objects.filter(pk=profile.pk, status__in=allowed_from).update(**fields)
        if not updated:
            profile.refresh_from_db()
            raise Conflict(
                _("Finish the current call first (status: %(status)s).") % {"status": profile.get_status_display()},
                code="invalid_state",
            )
        assist_audit(kind=PRESENCE_KINDS[Status(status)], at=now, actor_id=clerk.pk)
        events.send_on_commit(
            [clerk_group(clerk.pk)], handler=events.ASSIST_PUSH, payload={"type": "presence", "status": status}
        )
    if route and status == Status.AVAILABLE:
        routing.assist_route(now=now)
    profile.refresh_from_db()
    return profile


def clerk_heartbeat(*, clerk: User, now: dt.datetime | None = None) -> ClerkProfile:
    now = current(now)
    profile = clerk_profile_for(clerk)
    ClerkProfile.objects.filter(pk=profile.pk).update(last_heartbeat=now)
    profile.refresh_from_db()
    return profile


def clerk_console_closed(*, clerk: User, now: dt.datetime | None = None) -> None:
    """The console socket closed: a ringing offer is declined and an idle clerk goes offline."""
    now = current(now)
    for offer in Offer.objects.filter(clerk=clerk, outcome=Offer.Outcome.RINGING):
        with contextlib.suppress(DomainError):  # answered or timed out meanwhile
            routing.assist_offer_decline(offer_id=offer.pk, clerk=clerk, now=now, route=False, reason="console_closed")
    for invite in CallInvite.objects.filter(clerk=clerk, outcome=CallInvite.Outcome.RINGING):
        with contextlib.suppress(DomainError):  # answered or timed out meanwhile
            members.call_invite_decline(invite_id=invite.pk, clerk=clerk, now=now, reason="console_closed")
    with transaction.atomic():
        if ClerkProfile.objects.filter(clerk=clerk, status__in=[Status.AVAILABLE, Status.AWAY]).update(
            status=Status.OFFLINE, status_since=now
        ):
            assist_audit(kind=Kind.CLERK_OFFLINE, at=now, actor_id=clerk.pk, reason="console_closed")
    routing.assist_route(now=now)
