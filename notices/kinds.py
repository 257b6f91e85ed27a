"""The kinds of notice, declared once: who they are for, their title and text, and the channels they may use.

A notice stores its kind and a few plain values (`data`: the case's reference, the item's name, a reason
already cleaned by notices.text); the title and text are drawn here when the inbox shows it (in the reader's
language) and when the worker sends it (in Chinese, the language of the service's messages).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Audience(enum.StrEnum):
    APPLICANT = "applicant"  # inbox, email and SMS as the person chose (both on unless turned off)
    STAFF = "staff"  # inbox, and email when the clerk or supervisor turned it on (off by default); no SMS


@dataclass(frozen=True)
class Kind:
    name: str
    audience: Audience
    title: Promise
    body: Promise
    # Shown in the inbox and on the pages as a badge: "ok", "warn" or "bad".
    tone: str = ""


APPLICANT, STAFF = Audience.APPLICANT, Audience.STAFF

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        # To the applicant (and their agent): the case's steps that ask something of them or decide
        # (cases.life_cycle, Step.notice).
        Kind(
            "case.accepted",
            APPLICANT,
            _("Application %(reference)s accepted"),
            _("Your application for %(item)s was accepted (受理). Promised by %(due)s."),
            "ok",
        ),
        Kind(
            "case.correction_requested",
            APPLICANT,
            _("Correction needed: %(reference)s"),
            _(
                "Please correct these materials and submit your application for %(item)s again: %(materials)s. "
                "Reason: %(reason)s"
            ),
            "warn",
        ),
        Kind(
            "case.not_accepted",
            APPLICANT,
            _("Application %(reference)s not accepted"),
            _("Your application for %(item)s was not accepted (不予受理). Reason: %(reason)s"),
            "bad",
        ),
        Kind(
            "case.returned",
            APPLICANT,
            _("Application %(reference)s returned to the accepting window"),
            _(
                "The approving district returned your application for %(item)s to the accepting window. "
                "Reason: %(reason)s"
            ),
            "warn",
        ),
        Kind(
            "case.special_procedure_started",
            APPLICANT,
            _("Special procedure for %(reference)s"),
            _(
                "A special procedure started for your application for %(item)s; the deadline stands still until it "
                "ends. Reason: %(reason)s"
            ),
            "warn",
        ),
        Kind(
            "case.approved",
            APPLICANT,
            _("Application %(reference)s approved"),
            _("Your application for %(item)s was approved (准予). The result will be delivered as you chose."),
            "ok",
        ),
        Kind(
            "case.refused",
            APPLICANT,
            _("Application %(reference)s refused"),
            _("Your application for %(item)s was refused (不予). Reason: %(reason)s"),
            "bad",
        ),
        Kind(
            "case.delivered",
            APPLICANT,
            _("Result of %(reference)s delivered"),
            _("The result of your application for %(item)s was delivered (%(detail)s); see the case's page for how."),
            "ok",
        ),
        Kind(
            "case.ready_for_pickup",
            APPLICANT,
            _("Result of %(reference)s ready for pick-up"),
            _("The result of your application for %(item)s is ready for pick-up at the window of %(district)s."),
            "ok",
        ),
        Kind(
            "case.withdrawn",
            APPLICANT,
            _("Application %(reference)s withdrawn"),
            _("Your application for %(item)s was withdrawn. Nothing was deleted: it stays on record."),
            "bad",
        ),
        Kind(
            "case.follow_up_closed",
            APPLICANT,
            _("Your rating of %(reference)s was followed up"),
            _("The follow-up (整改) of your rating of %(item)s is closed. What was done: %(reason)s"),
            "ok",
        ),
        # To the staff: the handling district's clerks (the clerk in charge, when there is one) and the
        # supervisors; once per case and condition.
        Kind(
            "case.due_soon",
            STAFF,
            _("Case %(reference)s due soon"),
            _("%(item)s: the promised deadline is %(due)s; working days left: %(left)s."),
            "warn",
        ),
        Kind(
            "case.overdue",
            STAFF,
            _("Case %(reference)s overdue"),
            _("%(item)s: the promised deadline %(due)s has passed."),
            "bad",
        ),
        Kind(
            "case.statutory_overdue",
            STAFF,
            _("Case %(reference)s past its statutory limit"),
            _("%(item)s: the statutory deadline %(due)s has passed."),
            "bad",
        ),
        Kind(
            "case.held",
            STAFF,
            _("Case %(reference)s held: no clerk to take it"),
            _(
                "%(item)s was routed to %(district)s, but no clerk there could take it: "
                "it waits in the district's queue."
            ),
            "warn",
        ),
        Kind(
            "case.routing_stopped",
            STAFF,
            _("Routing of case %(reference)s stopped"),
            _("%(item)s: routing to %(district)s failed again and again and stopped; a supervisor must look at it."),
            "bad",
        ),
        Kind(
            "case.bad_rating",
            STAFF,
            _("Bad rating on case %(reference)s"),
            _("%(item)s was rated %(score)s of 5: follow it up."),
            "bad",
        ),
        Kind(
            "case.follow_up_escalated",
            STAFF,
            _("Follow-up of case %(reference)s overdue"),
            _(
                "%(item)s: the follow-up of its bad rating by %(district)s passed its deadline %(due)s and is "
                "escalated to the alliance supervisor."
            ),
            "bad",
        ),
    )
}


class _Values(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "—"


def render(kind: str, data: dict[str, Any]) -> tuple[str, str]:
    """The notice's title and text, in the active language (a value `x_en` stands for `x` in English)."""
    spec = KINDS.get(kind)
    values = _Values({name: value for name, value in (data or {}).items() if value not in (None, "")})
    if (get_language() or "").startswith("en"):
        values.update({name[:-3]: value for name, value in list(values.items()) if name.endswith("_en")})
    if spec is None:
        return kind, ""
    return str(spec.title) % values, str(spec.body) % values


def tone(kind: str) -> str:
    spec = KINDS.get(kind)
    return spec.tone if spec else ""
