"""Labels, badges and workbench shortcuts: read from the declared life cycle (cases.life_cycle)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django import template

from cases import life_cycle

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User
    from cases.life_cycle import Step
    from cases.models import Case
    from standards.models import ItemVersion

register = template.Library()


@register.filter
def state_badge(state: str) -> str:
    return life_cycle.badge(state)


@register.filter
def state_label(state: str) -> str:
    return life_cycle.label(state)


@register.filter
def action_label(action: str) -> str:
    return life_cycle.event_label(action)


@register.filter
def quick_step(case: Case, user: User | AnonymousUser) -> Step | None:
    """The step a clerk can take from the workbench's row (accept, recognise, approve, deliver), or None."""
    from cases.selectors import quick_step_for

    return quick_step_for(case=case, user=user)


@register.filter
def held_without_clerk(case: Case) -> bool:
    """Routed to the approving district, but no clerk there to take it (held in the district's queue)."""
    return case.state == life_cycle.ROUTED and not case.approving_clerk_id


@register.filter
def accepts_agents(item_version: ItemVersion) -> bool:
    """Whether the version's standard lists a power of attorney, so an agent may apply (代办)."""
    from cases.services import version_accepts_agents

    return version_accepts_agents(item_version)


@register.simple_tag
def competence_question(item_version: ItemVersion, user: User | AnonymousUser, *, agent: bool = False) -> Any:
    """What the apply form asks for the item's competence rule (a place or a choice), for this user.

    In an agent's form the principal's places are not known yet: a place rule always asks (optional there:
    a place the principal's account records wins).
    """
    from cases.competence_rules import Places
    from cases.selectors import applicant_places
    from cases.selectors import competence_question as question

    if agent or not user.is_authenticated:
        places = Places(principal="unknown")
    else:
        firm = user.firm if user.role == "firm" else None
        places = applicant_places(principal="firm" if firm is not None else "person", account=user, firm=firm, given="")
    return question(item_version=item_version, places=places)


@register.filter
def named_items(data: object) -> list[dict[str, object]]:
    """The materials an event lists with their reasons (a correction's `items`), or nothing.

    Not `event.data.items` in a template: on an event without that key it is the dict's own `items` method,
    and the history would list every key as an empty row."""
    items = data.get("items") if isinstance(data, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


@register.simple_tag
def apply_choice(item_version: ItemVersion, user: User | AnonymousUser) -> Any:
    """The apply form's accepting districts (the nearest preselected) and the approving district, if known."""
    from cases.selectors.portal import apply_choice as choice

    return choice(item_version=item_version, user=user)


@register.simple_tag
def case_contact(case: Case) -> Any:
    """Who handles the case now and how to reach them (cases.selectors.portal.case_contact)."""
    from cases.selectors.portal import case_contact as contact

    return contact(case)


@register.filter
def entries_for(table: Mapping[int, list[Any]] | None, key: int) -> list[Any]:
    """`table[key]`, or an empty list (the draft page's own files per material: my_materials_for)."""
    return list((table or {}).get(key, []))
