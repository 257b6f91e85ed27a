"""The clerks' list of citizens to phone back: claim, release, done, and forgotten claims."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from govservice.errors import Conflict, NotFound
from helpdesk import selectors
from helpdesk.conf import AssistConf, conf
from helpdesk.models import Callback
from helpdesk.services import limits
from helpdesk.services.audit import Kind, assist_audit
from helpdesk.services.clock import current
from helpdesk.services.fanout import callbacks_changed_on_commit
from helpdesk.services.presence import clerk_profile_for

# The clerk's outcome of a phone call, as its audit kind.
OUTCOME_KINDS = {Callback.Outcome.REACHED: Kind.CALLBACK_REACHED, Callback.Outcome.NO_ANSWER: Kind.CALLBACK_NO_ANSWER}


def _callback_for(*, callback_id: int, clerk: User) -> Callback:
    """The callback if the clerk may handle it (the skills of a ring: language, sector or item)."""
    clerk_profile_for(clerk)
    callback = Callback.objects.select_related("request").filter(pk=callback_id).first()
    if callback is None or not selectors.callback_may_handle(clerk=clerk, callback=callback):
        raise NotFound(_("No such callback in your list."), code="not_found")
    return callback


def callback_claim(*, callback_id: int, clerk: User, now: dt.datetime | None = None) -> Callback:
    """The clerk takes the callback: only they see the number until they record the outcome or give it back.

    The claim shows the number, so it is recorded as shown (`callback.number_shown`), and a clerk claims
    at most `ASSIST_CALLBACK_CLAIMS_PER_HOUR` an hour: claiming and releasing in turn does not collect
    the list's numbers.
    """
    now = current(now)
    callback = _callback_for(callback_id=callback_id, clerk=clerk)
    try:
        with transaction.atomic():
            limits.check_claim_allowed(clerk=clerk, now=now, cfg=conf())
            # Compare-and-set: of two clerks claiming at once, the second UPDATE re-reads the
            # committed row (PostgreSQL) or waits for the first writer (SQLite) and matches nothing.
            if not Callback.objects.filter(pk=callback.pk, status=Callback.Status.OPEN).update(
                status=Callback.Status.CLAIMED, claimed_by=clerk, claimed_at=now
            ):
                raise Conflict(_("Another clerk has already claimed this callback."), code="already_claimed")
            assist_audit(
                kind=Kind.CALLBACK_CLAIMED,
                at=now,
                actor_id=clerk.pk,
                request_id=callback.request_id,
                callback=callback.pk,
            )
            assist_audit(
                kind=Kind.CALLBACK_NUMBER_SHOWN,
                at=now,
                actor_id=clerk.pk,
                request_id=callback.request_id,
                callback=callback.pk,
            )
            callbacks_changed_on_commit()
    except IntegrityError as exc:  # one claimed callback per clerk
        raise Conflict(_("Finish the callback you have claimed first."), code="callback_in_hand") from exc
    callback.refresh_from_db()
    return callback


def callback_release(*, callback_id: int, clerk: User, now: dt.datetime | None = None) -> Callback:
    """The clerk gives a claimed callback back to the list, untried."""
    now = current(now)
    callback = _callback_for(callback_id=callback_id, clerk=clerk)
    with transaction.atomic():
        if not Callback.objects.filter(pk=callback.pk, status=Callback.Status.CLAIMED, claimed_by=clerk).update(
            status=Callback.Status.OPEN, claimed_by=None, claimed_at=None
        ):
            raise Conflict(_("You have not claimed this callback."), code="not_claimed")
        assist_audit(
            kind=Kind.CALLBACK_RELEASED, at=now, actor_id=clerk.pk, request_id=callback.request_id, callback=callback.pk
        )
        callbacks_changed_on_commit()
    callback.refresh_from_db()
    return callback


def callback_done(
    *, callback_id: int, clerk: User, outcome: str, note: str = "", now: dt.datetime | None = None
) -> Callback:
    """The clerk phoned: reached closes it; no answer puts it back on the list, or closes it as
    unreachable after the last allowed attempt (`ASSIST_CALLBACK_MAX_ATTEMPTS`)."""
    now = current(now)
    cfg = conf()
    if outcome not in Callback.Outcome.values:
        raise Conflict(_("Choose an outcome."), code="outcome_required")
    callback = _callback_for(callback_id=callback_id, clerk=clerk)
    note = note.strip()[:500]
    attempts = callback.attempts + 1
    fields: dict[str, Any] = {"attempts": attempts, "last_attempt_at": now, "last_note": note}
    if outcome == Callback.Outcome.REACHED:
        fields.update(status=Callback.Status.REACHED, closed_at=now)
    elif attempts >= cfg.callback_max_attempts:
        fields.update(status=Callback.Status.UNREACHABLE, closed_at=now)
    else:
        fields.update(status=Callback.Status.OPEN, claimed_by=None, claimed_at=None)
    with transaction.atomic():
        # Compare-and-set on the attempt count too: a double submit counts one attempt.
        if not Callback.objects.filter(
            pk=callback.pk, status=Callback.Status.CLAIMED, claimed_by=clerk, attempts=callback.attempts
        ).update(**fields):
            raise Conflict(_("You have not claimed this callback."), code="not_claimed")
        assist_audit(
            kind=OUTCOME_KINDS[Callback.Outcome(outcome)],
            at=now,
            actor_id=clerk.pk,
            request_id=callback.request_id,
            callback=callback.pk,
            attempt=attempts,
            note=note,
        )
        if fields["status"] == Callback.Status.UNREACHABLE:
            assist_audit(
                kind=Kind.CALLBACK_UNREACHABLE,
                at=now,
                actor_id=clerk.pk,
                request_id=callback.request_id,
                callback=callback.pk,
                attempts=attempts,
            )
        callbacks_changed_on_commit()
    callback.refresh_from_db()
    return callback


def callback_claims_expire(*, now: dt.datetime | None = None, cfg: AssistConf | None = None) -> int:
    """A claim nobody closed (the clerk left, say) goes back to the list after `ASSIST_CALLBACK_CLAIM_TIMEOUT`."""
    now = current(now)
    cfg = cfg or conf()
    cutoff = now - dt.timedelta(seconds=cfg.callback_claim_timeout)
    released = 0
    for pk, request_id, clerk_id in Callback.objects.filter(
        status=Callback.Status.CLAIMED, claimed_at__lt=cutoff
    ).values_list("pk", "request_id", "claimed_by_id"):
        with transaction.atomic():
            if Callback.objects.filter(
                pk=pk, status=Callback.Status.CLAIMED, claimed_by_id=clerk_id, claimed_at__lt=cutoff
            ).update(status=Callback.Status.OPEN, claimed_by=None, claimed_at=None):
                assist_audit(
                    kind=Kind.CALLBACK_CLAIM_EXPIRED, at=now, request_id=request_id, actor_id=clerk_id, callback=pk
                )
                released += 1
    if released:
        callbacks_changed_on_commit()
    return released
