"""The notices a case sends, through the notices app: the steps' declared ones and the staff's conditions.

The steps say who is told (`Step.notice` in cases.life_cycle); `step_notices` is called by `_move` inside the
step's transaction and writes the inbox entries and their deliveries there (the notices app sends them after
commit, in a worker). Staff notices (deadlines due soon or passed, a case held without a clerk, routing that
stopped, a bad rating) go to the handling district's clerk in charge (or all its clerks when none is) and to
the supervisors, once per case and condition (the notice's key). What a notice carries is the case's
reference, the item's name and the step's reason, with ID and phone numbers masked (notices.text).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from cases.life_cycle import Notify, Step
from cases.models import Case, CaseEvent, DeliveryMethod
from notices import services as notices
from notices.text import clean
from standards.models import District, ItemMaterial

# A bad rating: this score or less (the same as the follow-up's, cases.services.transitions.case_rate).
BAD_RATING = 2


def _link(case: Case) -> str:
    return reverse("cases-detail", args=[case.reference])


def _names(obj: Any) -> tuple[str, str]:
    """A bilingual name in Chinese and in English (English falls back to Chinese)."""
    with translation.override("zh-hans"):
        zh = str(obj.display_name)
    with translation.override("en"):
        en = str(obj.display_name)
    return zh, en


def _case_data(case: Case, **extra: Any) -> dict[str, Any]:
    item, item_en = _names(case.item_version)
    data: dict[str, Any] = {"reference": case.reference, "item": clean(item), "item_en": clean(item_en)}
    data.update({name: value for name, value in extra.items() if value not in (None, "")})
    return data


def step_notices(case: Case, *, step: Step, event: CaseEvent) -> None:
    """Inside the step's transaction: what the step declares in `notice`."""
    for audience in step.notice:
        if audience == Notify.APPLICANT:
            _to_applicant(case, step=step, event=event)
        elif audience == Notify.STAFF_ON_BAD_RATING:
            score = (event.data or {}).get("score")
            if isinstance(score, int) and score <= BAD_RATING:
                staff_notice(
                    case,
                    kind="case.bad_rating",
                    condition="bad_rating",
                    district=case.accepting_district,
                    clerk_id=case.accepting_clerk_id,
                    score=score,
                )


def _to_applicant(case: Case, *, step: Step, event: CaseEvent) -> None:
    data = event.data or {}
    kind = f"case.{step.action}"
    extra: dict[str, Any] = {"reason": clean(event.reason)}
    if step.action == "delivered":
        if case.delivery_method == DeliveryMethod.PICKUP:
            kind = "case.ready_for_pickup"
            extra["district"], extra["district_en"] = case.accepting_district.names()
        extra["detail"] = clean(case.delivery_detail, limit=120)
    if step.action == "correction_requested":
        names = [str(name) for name in data.get("names", [])]
        english = dict(
            ItemMaterial.objects.filter(version_id=case.item_version_id, name__in=names).values_list("name", "name_en")
        )
        extra["materials"] = clean("、".join(names))
        extra["materials_en"] = clean("; ".join(english.get(name) or name for name in names))
    if step.action == "accepted" and case.promised_due:
        extra["due"] = case.promised_due.isoformat()
    notices.notify(
        user_ids={case.applicant_id, case.agent_id},
        kind=kind,
        key=f"{case.reference}:{event.seq}",
        data=_case_data(case, **extra),
        link=_link(case),
    )


def staff_ids(*, district: District, clerk_id: int | None) -> set[int]:
    """The clerk in charge (or every active clerk of the handling district), and the district's and the
    alliance's supervisors (a supervisor with no district oversees all nine)."""
    people = User.objects.filter(is_active=True)
    clerks = (
        {clerk_id}
        if clerk_id
        else set(people.filter(role=User.Role.CLERK, district=district).values_list("pk", flat=True))
    )
    supervisors = people.filter(Q(district=district) | Q(district__isnull=True), role=User.Role.SUPERVISOR)
    return clerks | set(supervisors.values_list("pk", flat=True))


def staff_notice(
    case: Case,
    *,
    kind: str,
    condition: str,
    district: District,
    clerk_id: int | None,
    due: dt.date | None = None,
    **extra: Any,
) -> None:
    """Once per case and condition (a deadline's condition includes its date): to the staff of `district`."""
    key = f"{case.reference}:{condition}" + (f":{due.isoformat()}" if due else "")
    names = district.names()
    notices.notify(
        user_ids=staff_ids(district=district, clerk_id=clerk_id),
        kind=kind,
        key=key,
        data=_case_data(case, due=due.isoformat() if due else None, district=names[0], district_en=names[1], **extra),
        link=_link(case),
    )


def follow_up_closed_notice(case: Case, *, event: CaseEvent) -> None:
    """Inside the closing's transaction: the applicant (and their agent) told what the follow-up did."""
    notices.notify(
        user_ids={case.applicant_id, case.agent_id},
        kind="case.follow_up_closed",
        key=f"{case.reference}:{event.seq}",
        data=_case_data(case, reason=clean(event.reason)),
        link=_link(case),
    )


def follow_up_escalated_notice(
    case: Case, *, follow_up_id: int, district: District, due: dt.date | None, supervisor_ids: set[int]
) -> None:
    """Inside the escalation's transaction: the alliance supervisors, once per case (the notice's key)."""
    zh, en = district.names()
    notices.notify(
        user_ids=supervisor_ids,
        kind="case.follow_up_escalated",
        key=f"{case.reference}:follow_up_escalated",
        data=_case_data(case, due=due.isoformat() if due else None, district=zh, district_en=en),
        link=reverse("cases-follow-up", args=[follow_up_id]),
    )
