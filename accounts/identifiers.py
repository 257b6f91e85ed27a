"""Chinese identifiers: resident ID numbers (GB 11643) and unified social credit codes (GB 32100)."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# [0-9] and re.ASCII, not \d: \d also matches full-width and other scripts' digits (３１０１…), which int() reads,
# and a number stored that way never matches the person's account; fullmatch, not match with $: $ also matches
# before a final newline.
_ID_PATTERN = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_PATTERN = re.compile(rf"[{_USCC_CHARS}]{{18}}")


def id_number_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def normalize_id_number(value: str | None) -> str:
    """What a person typed, as the number is stored: NFKC (full-width ０-９ and Ｘ become ASCII), no spaces, X upper.

    Inputs go through this before `validate_id_number`, which accepts ASCII digits and X only.
    """
    return unicodedata.normalize("NFKC", value or "").strip().upper()


def validate_id_number(value: str) -> None:
    """Raise unless `value` is 17 ASCII digits and the right check digit (0-9 or X), as it is stored."""
    value = (value or "").upper()
    if not _ID_PATTERN.fullmatch(value):
        raise ValidationError(_("A resident ID number has 17 digits and a check digit (0-9 or X)."), code="format")
    if id_number_check_digit(value[:17]) != value[17]:
        raise ValidationError(_("The check digit of this ID number is wrong: please check for a typo."), code="check")


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    value = (value or "").upper()
    if not _USCC_PATTERN.fullmatch(value):
        raise ValidationError(
            _("A unified social credit code has 18 characters (digits and capitals except I, O, S, V, Z)."),
            code="format",
        )
    if uscc_check_char(value[:17]) != value[17]:
        raise ValidationError(
            _("The check character of this credit code is wrong: please check for a typo."), code="check"
        )


def mask_phone(value: str | None) -> str:
    """13800138000 -> 138****8000: the first three and the last four digits only."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_id_number(value: str | None) -> str:
    """310101199001011234 -> 310101********1234: region and last four only."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_person_name(name: str | None) -> str:
    """王小明 -> 王**, Li Hua -> L*****: the first character only (how staff appear to the public)."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)
