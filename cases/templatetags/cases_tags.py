from __future__ import annotations

from django import template

register = template.Library()

_GOOD = {"approved", "delivered", "closed", "rated", "accepted", "transferred", "in_review"}
_BAD = {"not_accepted", "refused", "returned"}
_WAIT = {"correction_requested", "special_procedure", "submitted"}


@register.filter
def state_badge(state: str) -> str:
    if state in _BAD:
        return "bad"
    if state in _WAIT:
        return "warn"
    return "ok" if state in _GOOD else ""


@register.filter
def action_label(action: str) -> str:
    from cases.labels import ACTION_LABELS

    return str(ACTION_LABELS.get(action, action))


@register.filter
def state_label(state: str) -> str:
    from cases.models import CaseState

    return str(CaseState(state).label) if state in CaseState.values else state


@register.filter
def limit_unit(unit: str) -> str:
    from cases.labels import LIMIT_UNITS

    return str(LIMIT_UNITS.get(unit, unit))


@register.filter
def requirement(value: str) -> str:
    from cases.labels import REQUIREMENTS

    return str(REQUIREMENTS.get(value, value))


@register.filter
def accepts_agents(item_version) -> bool:
    """Whether the version's standard lists a power of attorney, so an agent may apply (代办)."""
    from cases.services import version_accepts_agents

    return version_accepts_agents(item_version)
