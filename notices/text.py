"""What a notice may carry: no full ID numbers, no phone numbers, no hashes (a reason is typed by a clerk)."""

from __future__ import annotations

import re

from accounts.identifiers import mask_id_number, mask_phone

# An ID number (17 digits and a check digit), a mainland mobile number, a hex digest (SHA-1 and longer).
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])", re.ASCII)
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])", re.ASCII)
_DIGEST = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{40,}(?![0-9A-Fa-f])", re.ASCII)


def clean(text: str | None, *, limit: int = 500) -> str:
    """Mask ID numbers (310101********1234) and mobile numbers (138****8000), drop digests, cut to `limit`."""
    text = (text or "").strip()
    text = _ID_NUMBER.sub(lambda match: mask_id_number(match.group(0).upper()), text)
    text = _MOBILE.sub(lambda match: mask_phone(match.group(0)), text)
    text = _DIGEST.sub("…", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mask_email(address: str) -> str:
    """zhang.san@example.com -> z***@example.com."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"
