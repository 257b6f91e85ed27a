"""Which declared steps a user may take on a case now (the pages offer them; the services check again)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from cases import life_cycle
from cases.life_cycle import Step
from cases.models import Case
from cases.selectors.visibility import actor_on_a_side


def case_steps_for(*, case: Case, user: User | AnonymousUser) -> list[str]:
    """The names of the steps leaving the case's state whose declared sides include the user's.

    In declaration order; "material" (an upload, not a transition) comes first wherever "submit" is offered.
    """
    steps = [spec.name for spec in offered_steps(case=case, user=user)]
    if "submit" in steps:
        steps.insert(0, life_cycle.MATERIAL)
    return steps


def offered_steps(*, case: Case, user: User | AnonymousUser) -> list[Step]:
    if not user.is_authenticated:
        return []
    return [
        spec
        for spec in life_cycle.steps_from(case.state)
        if spec.url_path is not None and actor_on_a_side(spec.sides, case=case, actor=user)
    ]


def quick_step_for(*, case: Case, user: User | AnonymousUser) -> Step | None:
    """The first offered step with a workbench shortcut (accept, recognise, approve, deliver as pick-up)."""
    return next((spec for spec in offered_steps(case=case, user=user) if spec.quick_label), None)
