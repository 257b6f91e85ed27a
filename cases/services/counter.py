"""窗口收件: a clerk registers a walk-in applicant and files the case at their own window, on their behalf."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import User
from cases import life_cycle
from cases.models import Case
from cases.selectors.competence import applicant_places
from cases.selectors.counter import citizen_account, normalised_id_number
from cases.services.applications import _draft_insert, _require_published
from cases.services.competence import given_place
from cases.services.form import PHONE
from cases.services.guards import invalid_field
from govservice.errors import Invalid, NotAllowed
from standards.models import ItemVersion

# The form's phone rule (ASCII digits, a leading + and inner spaces or hyphens allowed), declared once.
_PHONE = PHONE


def case_counter_intake(
    *,
    clerk: User,
    item_version: ItemVersion,
    id_number: str,
    consent: bool,
    name: str = "",
    phone: str = "",
    approving_place: str = "",
    request_id: str = "",
) -> Case:
    """A walk-in applicant's case, filed by the clerk at their window (the case's accepting window).

    The applicant is found by ID number (a citizen account holding it becomes the case's applicant), or
    recorded by name, ID number and phone; either way only with their consent, which the clerk records.
    The clerk then adds the materials and submits on their behalf (Side.COUNTER_CLERK); the applicant's
    own account — any citizen account whose verified ID number matches — sees the case (cases.selectors).
    """
    if clerk.role != User.Role.CLERK or clerk.district is None or clerk.window is None or not clerk.is_active:
        raise NotAllowed(_("Only a window clerk registers applicants at the counter."))
    _require_published(item_version)
    number = normalised_id_number(id_number)
    if not item_version.for_natural_person:
        raise Invalid(_("This item is not for natural persons."))
    if not consent:
        raise invalid_field(
            "consent",
            _("Record the applicant's consent to filing this application and their data on their behalf."),
            code="consent_required",
        )
    given = given_place(approving_place)
    phone = (phone or "").strip()
    if phone and not _PHONE.fullmatch(phone):
        raise invalid_field("phone", _("A phone number has 7 to 19 digits (0-9)."))
    account = citizen_account(number)
    if account is not None:
        name, phone = str(account), phone or account.phone
    else:
        name = (name or "").strip()
        if not name:
            raise invalid_field("name", _("Give the applicant's name as on their ID card."))
        if not phone:
            raise invalid_field("phone", _("Give a phone number the applicant can be reached at."))
    return _draft_insert(
        item_version=item_version,
        actor=clerk,
        accepting_district=clerk.district,
        accepting_window=clerk.window,
        places=applicant_places(principal="person", account=account, firm=None, given=given),
        values={
            "applicant": account,
            "applicant_id_number": number,
            "applicant_name": name[:200],
            "applicant_phone": phone,
            "counter_clerk": clerk,
        },
        # Never the ID number or the phone in the chain: events are shown to everyone who sees the case.
        event_data={"window": clerk.window.code, "consent": True, "account": account is not None},
        request_id=request_id,
        action=life_cycle.COUNTER_INTAKE,
    )
