"""窗口收件: a clerk finds a walk-in applicant's account by ID number (never shown in full)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.identifiers import mask_id_number, validate_id_number
from accounts.models import User
from govservice.errors import Invalid, NotAllowed
from standards.models import District


def normalised_id_number(value: str, *, field: str = "id_number") -> str:
    """A resident ID number as stored (capital X), checked: ASCII digits only, the check digit right."""
    value = (value or "").strip().upper()
    try:
        validate_id_number(value)
    except ValidationError as error:
        raise Invalid(error.messages[0], fields={field: error.messages}) from error
    return value


def citizen_account(id_number: str) -> User | None:
    """The citizen account holding this (verified) ID number, when exactly one does."""
    holders = list(User.objects.filter(role=User.Role.CITIZEN, is_active=True, id_number=id_number)[:2])
    return holders[0] if len(holders) == 1 else None


@dataclass(frozen=True)
class Walkin:
    """What the counter shows of a walk-in applicant: never the full ID number."""

    masked_id_number: str
    has_account: bool
    name: str = ""
    phone_on_record: bool = False
    household_district: District | None = None
    insured_district: District | None = None


def counter_lookup(*, clerk: User, id_number: str) -> Walkin:
    """A clerk looks a walk-in applicant up by ID number: whether an account holds it, and its name."""
    if clerk.role != User.Role.CLERK or clerk.district_id is None:
        raise NotAllowed(_("Only a window clerk registers applicants at the counter."))
    number = normalised_id_number(id_number)
    account = citizen_account(number)
    if account is None:
        return Walkin(masked_id_number=mask_id_number(number), has_account=False)
    return Walkin(
        masked_id_number=mask_id_number(number),
        has_account=True,
        name=str(account),
        phone_on_record=bool(account.phone),
        household_district=account.household_district,
        insured_district=account.insured_district,
    )
