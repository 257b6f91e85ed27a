"""`{% trust_panel case user %}`: the case page's card of signed steps and their verification."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import User
from cases.models import Case
from trust.selectors import trust_summary

register = template.Library()


@register.inclusion_tag("trust/panel.html")
def trust_panel(case: Case, user: User) -> dict[str, Any]:
    return {
        "case": case,
        "trust": trust_summary(case=case, user=user),
        "is_staff_side": user.role in ("clerk", "supervisor"),
    }
