"""The application form: the values a case gives for its pinned version's form fields (standards.forms).

One service fills them, validated per kind, while the case takes materials (a draft, a correction): the
applicant side, the accepting district's clerks (the counter among them), or a clerk the applicant let
fill it in a video assistance call (`consented_by`). Each change is a new current row naming who filled
it and when, and an event of the case's chain (the values' SHA-256, never the values: events are shown
to everyone who sees the case). Required fields must be filled before submission (cases.services.transitions).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.identifiers import normalize_id_number, validate_id_number
from accounts.models import User
from cases import life_cycle
from cases.chain import event_append
from cases.models import Case, CaseFormValue
from cases.selectors.visibility import actor_on_a_side, case_is_applicant_side
from cases.services.guards import TransitionNotAllowed, announce, lock
from govservice.errors import Invalid, NotAllowed
from standards.forms import FieldKind, field_label, field_max_length

# ASCII digits (a leading + and inner spaces or hyphens allowed): 13800138000, 021-63211234, +86 138…
PHONE = re.compile(r"\+?[0-9][0-9 -]{5,17}[0-9]")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def form_fields(case: Case) -> list[dict[str, Any]]:
    """The pinned version's form fields (empty when its standard declares no form)."""
    return list(case.item_version.application_form or [])


def form_value_clean(field: dict[str, Any], raw: Any) -> str:
    """The value as stored for one field of its kind ("" when left empty); a ValidationError says why not."""
    value = "" if raw is None else str(raw)
    if "\x00" in value:
        raise DjangoValidationError(_("The value contains a NUL character."))
    kind = field["kind"]
    value = value.strip() if kind == FieldKind.LONG_TEXT else " ".join(value.split())
    if not value:
        return ""
    limit = field_max_length(field)
    if kind == FieldKind.ID_NUMBER:
        value = normalize_id_number(value)
        validate_id_number(value)
    elif kind == FieldKind.PHONE:
        if not PHONE.fullmatch(value):
            raise DjangoValidationError(_("A phone number has 7 to 19 digits (0-9)."))
    elif kind == FieldKind.DATE:
        try:
            value = dt.date.fromisoformat(value).isoformat()
        except ValueError as exc:
            raise DjangoValidationError(_("Give a date as YYYY-MM-DD.")) from exc
    elif kind == FieldKind.NUMBER:
        if not _NUMBER.match(value):
            raise DjangoValidationError(_("Give a number (digits, a point for decimals)."))
        try:
            value = str(Decimal(value))
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimals
            raise DjangoValidationError(_("Give a number (digits, a point for decimals).")) from exc
    elif kind == FieldKind.CHOICE:
        if value not in {c["value"] for c in field.get("choices") or []}:
            raise DjangoValidationError(_("Choose one of the options offered."))
    if len(value) > limit:
        raise DjangoValidationError(_("At most %(n)s characters.") % {"n": limit})
    return value


def current_form_values(case: Case) -> dict[str, CaseFormValue]:
    return {v.key: v for v in case.form_values.filter(current=True).select_related("filled_by")}


def missing_form_fields(case: Case) -> list[dict[str, Any]]:
    """The required fields without a value."""
    filled = {key for key, row in current_form_values(case).items() if row.value}
    return [f for f in form_fields(case) if f.get("required") and f["key"] not in filled]


def case_form_fill(
    *,
    case: Case,
    values: dict[str, Any],
    actor: User,
    consented_by: User | None = None,
    request_id: str = "",
    event_data: dict[str, Any] | None = None,
    on_change: Callable[[Case, list[CaseFormValue]], None] | None = None,
) -> list[CaseFormValue]:
    """Fill (or change, or clear) fields of the case's application form; returns the rows that changed.

    Every value is checked before anything is written: one bad value refuses them all, each named.
    `event_data`: where it was filled (e.g. the call), added to the chain event. `on_change`: called with the
    changed rows in the transaction, before the case's announcement is queued (a call's screens hear first).
    """
    helping = (
        consented_by is not None
        and actor.role == User.Role.CLERK
        and case_is_applicant_side(case=case, user=consented_by)
    )
    if not helping and not actor_on_a_side(life_cycle.MATERIAL_SIDES, case=case, actor=actor):
        raise NotAllowed(_("Only the applicant or a clerk of the accepting district may fill in the form."))
    fields = {f["key"]: f for f in form_fields(case)}
    if not fields:
        raise Invalid(_("This item's standard declares no application form."), code="no_form")
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise Invalid(
            _("Not fields of this application form: %(keys)s") % {"keys": ", ".join(unknown)}, code="unknown_field"
        )
    cleaned: dict[str, str] = {}
    problems: dict[str, list[str]] = {}
    for key, raw in values.items():
        try:
            cleaned[key] = form_value_clean(fields[key], raw)
        except DjangoValidationError as error:
            problems[key] = [f"{field_label(fields[key])}: {m}" for m in error.messages]
    if problems:
        raise Invalid(" ".join(m for ms in problems.values() for m in ms), code="form_invalid", fields=problems)
    now = timezone.now()
    with transaction.atomic():
        case = lock(case)
        if case.state not in life_cycle.MATERIALS_OPEN_STATES:
            raise TransitionNotAllowed(_("The form can only be filled in before acceptance or during a correction."))
        existing = current_form_values(case)
        changed = []
        for key, value in cleaned.items():
            before = existing.get(key)
            if (before.value if before is not None else "") == value:
                continue
            if before is not None:
                CaseFormValue.objects.filter(pk=before.pk).update(current=False)
            changed.append(
                CaseFormValue.objects.create(
                    case=case,
                    key=key,
                    value=value,
                    filled_by=actor,
                    filled_at=now,
                    on_behalf_of=consented_by if helping else None,
                )
            )
        if changed:
            event_append(
                case=case,
                action=life_cycle.FORM_FILLED,
                actor=actor,
                data={
                    "fields": {row.key: hashlib.sha256(row.value.encode()).hexdigest() for row in changed},
                    **({"on_behalf_of": consented_by.pk} if helping and consented_by is not None else {}),
                    **(event_data or {}),
                },
                request_id=request_id,
            )
            if on_change is not None:
                on_change(case, changed)
            announce(case, action=life_cycle.FORM_FILLED)
    return changed
