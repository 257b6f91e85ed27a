"""What one citizen or one clerk may ask of the helpdesk: limits and trusted priority.

A citizen's flood must not fill the clerks' lists (one open callback, a few a day, a few
dozen help requests a day); a clerk must not walk the callback list to collect numbers
(claims per hour). A self-declared priority (disabled, appointment holder) is kept and shown
to the clerk, but only a priority the system can check — elderly by the ID number of the
account — moves anyone up the queue or the callback list.

Each check runs inside the caller's transaction with the person's row locked, so that two
requests at once cannot both pass.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from govservice.errors import Conflict, TooMany
from helpdesk.conf import AssistConf
from helpdesk.models import PRIORITY_OF_REASON, AssistEvent, AssistRequest, Callback, PriorityReason

ELDERLY_AGE = 65
DAY = dt.timedelta(days=1)


def _lock(user: User) -> None:
    """Serialise this person's requests (PostgreSQL row lock; SQLite already serialises writers)."""
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()


def age_from_id_number(id_number: str, today: dt.date) -> int | None:
    try:
        born = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except (ValueError, IndexError):
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def verified_priority_reason(citizen: User, now: dt.datetime) -> str:
    """The priority the system can check: elderly (65 or older by the account's ID number), else none."""
    age = age_from_id_number(citizen.id_number or "", timezone.localdate(now))
    return PriorityReason.ELDERLY if age is not None and age >= ELDERLY_AGE else PriorityReason.NONE


def trusted_priority(*, citizen: User, declared: str, now: dt.datetime) -> tuple[str, int]:
    """(the reason kept on the request, the priority used for ordering).

    The declared reason is kept (the clerk sees it, marked as declared); the ordering uses only the
    verified one. A citizen who declares nothing but is elderly by their ID number gets "elderly".
    """
    verified = verified_priority_reason(citizen, now)
    reason = declared if declared != PriorityReason.NONE else verified
    return reason, PRIORITY_OF_REASON[PriorityReason(verified)]


def check_request_allowed(*, citizen: User, now: dt.datetime, cfg: AssistConf) -> None:
    """A citizen's help requests in the last 24 h stay under `ASSIST_REQUESTS_PER_DAY`."""
    _lock(citizen)
    made = AssistRequest.objects.filter(citizen=citizen, created_at__gt=now - DAY).count()
    if made >= cfg.requests_per_day:
        raise TooMany(
            _("You have asked for assistance too often today. Please try again tomorrow or call the hotline."),
            code="request_limit",
        )


def check_callback_allowed(*, citizen: User, now: dt.datetime, cfg: AssistConf) -> None:
    """One open callback per citizen, and at most `ASSIST_CALLBACKS_PER_DAY` in 24 h."""
    _lock(citizen)
    mine = Callback.objects.filter(request__citizen=citizen)
    if mine.filter(status__in=Callback.OPEN_STATUSES).exists():
        raise Conflict(_("A clerk will already call you back: please wait for that call."), code="callback_open")
    if mine.filter(created_at__gt=now - DAY).count() >= cfg.callbacks_per_day:
        raise TooMany(
            _("You have asked to be called back too often today. Please try again tomorrow."), code="callback_limit"
        )


def check_claim_allowed(*, clerk: User, now: dt.datetime, cfg: AssistConf) -> None:
    """A clerk claims at most `ASSIST_CALLBACK_CLAIMS_PER_HOUR` callbacks an hour (each shows a number)."""
    _lock(clerk)
    claims = AssistEvent.objects.filter(
        kind=AssistEvent.Kind.CALLBACK_CLAIMED, actor=clerk, at__gt=now - dt.timedelta(hours=1)
    ).count()
    if claims >= cfg.callback_claims_per_hour:
        raise TooMany(
            _("You have claimed too many callbacks in the last hour. Finish the calls you have made first."),
            code="claim_limit",
        )
