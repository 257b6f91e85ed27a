"""Applications: drafts in one's own name or as an agent (代办), and the audited reading of the full ID number."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.identifiers import validate_credit_code, validate_id_number
from accounts.models import Firm, User
from cases import life_cycle
from cases.chain import event_append
from cases.competence_rules import Places
from cases.models import Case
from cases.selectors.competence import POWER_OF_ATTORNEY, accepts_agents, applicant_places
from cases.selectors.portal import nearest_district
from cases.services.competence import competent_implementation, given_place
from cases.services.guards import invalid_field, lock
from govservice.errors import Invalid, NotAllowed
from standards.models import District, ItemImplementation, ItemVersion, ServiceWindow

# Materials an item's standard lists "when someone else applies on the applicant's behalf"
# (委托他人代为办理的): conditional in general, required in an agent's application.
AGENT_MATERIAL_TYPES = (POWER_OF_ATTORNEY, "AGENT_ID")  # and 经办人身份证件


def _new_reference(division_code: str) -> str:
    return f"C9{division_code}{timezone.localdate():%Y%m%d}{secrets.token_hex(3).upper()}"


def case_draft_create(
    *,
    applicant: User,
    item_version: ItemVersion,
    actor: User,
    firm: Firm | None = None,
    accepting_district: District | None = None,
    agent: User | None = None,
    approving_place: str = "",
    request_id: str = "",
) -> Case:
    """Start an application for a published item version (by the applicant, or a clerk helping them).

    A firm representative applies for their own firm (the default `firm`); nobody else for a firm.
    `approving_place`: what the form gave for the item's competence rule — the applicant's place when
    the account records none, or the chosen approving district (a division code, or competence_rules.OUTSIDE).
    """
    given = given_place(approving_place)
    if actor.pk != applicant.pk and actor.role != User.Role.CLERK and (agent is None or actor.pk != agent.pk):
        raise NotAllowed(_("Only the applicant, their agent or a clerk may start an application."))
    _require_published(item_version)
    if applicant.role == User.Role.FIRM:
        firm = firm or applicant.firm
        if firm is None or firm.pk != applicant.firm_id:
            raise NotAllowed(_("A firm representative applies for their own firm only."))
    elif firm is not None:
        raise Invalid(_("Only a firm representative can apply for a firm."))
    if firm is not None and not item_version.for_legal_person:
        raise Invalid(_("This item is not for legal persons."))
    if agent is not None:
        _require_power_of_attorney_standard(item_version)
    return _draft_insert(
        item_version=item_version,
        actor=actor,
        accepting_district=accepting_district,
        places=applicant_places(
            principal="firm" if firm is not None else "person", account=applicant, firm=firm, given=given
        ),
        values={
            "applicant": applicant,
            "firm": firm,
            "agent": agent,
            "applicant_id_number": applicant.id_number,
            "applicant_name": firm.name if firm else str(applicant),
            "applicant_credit_code": firm.credit_code if firm else "",
        },
        event_data={"agent": agent.pk} if agent is not None else {},
        request_id=request_id,
    )


def case_agent_draft_create(
    *,
    agent: User,
    item_version: ItemVersion,
    principal_name: str = "",
    principal_id_number: str = "",
    principal_credit_code: str = "",
    accepting_district: District | None = None,
    approving_place: str = "",
    request_id: str = "",
) -> Case:
    """代办: a citizen or firm user starts an application on behalf of a person (ID number) or a firm (credit code).

    The agent acts on the case like an applicant; the principal's account, if there is one (matched by
    ID number or by firm), sees it and may act too. Before submission the agent attaches the item's power
    of attorney (授权委托书), checked like every material against the pinned version's standard.
    """
    if agent.role not in (User.Role.CITIZEN, User.Role.FIRM) or not agent.is_active:
        raise NotAllowed(_("Only a citizen or a firm representative may apply on someone's behalf."))
    _require_published(item_version)
    given = given_place(approving_place)
    principal_id_number = (principal_id_number or "").strip().upper()
    principal_credit_code = (principal_credit_code or "").strip().upper()
    principal_name = (principal_name or "").strip()
    if bool(principal_id_number) == bool(principal_credit_code):
        raise Invalid(_("Name the principal by a resident ID number (a person) or a credit code (a firm), not both."))
    firm = None
    applicant = None
    if principal_id_number:
        try:
            validate_id_number(principal_id_number)
        except DjangoValidationError as error:
            raise Invalid(error.messages[0], fields={"principal_id_number": error.messages}) from error
        if principal_id_number == (agent.id_number or "").upper():
            raise invalid_field("principal_id_number", _("This is your own ID number: apply in your own name instead."))
        if not item_version.for_natural_person:
            raise Invalid(_("This item is not for natural persons."))
        # The principal's own account, when exactly one citizen holds the number (set after real-name checks).
        holders = list(User.objects.filter(role=User.Role.CITIZEN, is_active=True, id_number=principal_id_number)[:2])
        applicant = holders[0] if len(holders) == 1 else None
    else:
        try:
            validate_credit_code(principal_credit_code)
        except DjangoValidationError as error:
            raise Invalid(error.messages[0], fields={"principal_credit_code": error.messages}) from error
        if not item_version.for_legal_person:
            raise Invalid(_("This item is not for legal persons."))
        firm = Firm.objects.filter(credit_code=principal_credit_code).first()
        if firm is not None and agent.role == User.Role.FIRM and agent.firm_id == firm.pk:
            raise invalid_field("principal_credit_code", _("This is your own firm: apply for it directly instead."))
        # The register's name wins over what the agent typed.
        principal_name = firm.name if firm is not None else principal_name
    if not principal_name:
        raise invalid_field("principal_name", _("Give the principal's name as on the power of attorney."))
    _require_power_of_attorney_standard(item_version)
    return _draft_insert(
        item_version=item_version,
        actor=agent,
        accepting_district=accepting_district,
        places=applicant_places(
            principal="firm" if principal_credit_code else "person", account=applicant, firm=firm, given=given
        ),
        values={
            "applicant": applicant,
            "firm": firm,
            "agent": agent,
            "applicant_id_number": principal_id_number,
            "applicant_name": principal_name[:200],
            "applicant_credit_code": principal_credit_code,
        },
        # Never the principal's number in the chain: events are shown to everyone who sees the case.
        event_data={"agent": agent.pk, "principal": "firm" if principal_credit_code else "person"},
        request_id=request_id,
    )


def _require_published(item_version: ItemVersion) -> None:
    if item_version.status != ItemVersion.Status.PUBLISHED:
        raise Invalid(_("Only a published item version can be applied for."))


def _require_power_of_attorney_standard(item_version: ItemVersion) -> None:
    # The accepting and the approving district check the same standard (互认): a power of attorney
    # accepted here must be one the standard asks for, so an item without it takes no agents.
    if not accepts_agents(item_version):
        raise Invalid(_("This item's material standard lists no power of attorney (授权委托书): apply in person."))


def _draft_insert(
    *,
    item_version: ItemVersion,
    actor: User,
    accepting_district: District | None,
    places: Places,
    values: dict[str, Any],
    event_data: dict[str, Any],
    request_id: str,
    accepting_window: ServiceWindow | None = None,
    action: str = life_cycle.DRAFT_CREATED,
) -> Case:
    implementations = ItemImplementation.objects.filter(item_id=item_version.item_id, active=True).select_related(
        "district", "window"
    )
    if accepting_district is None and actor.role == User.Role.CLERK:
        accepting_district = actor.district
    accepting = [i for i in implementations if i.can_accept]
    approving = [i for i in implementations if i.can_approve]
    if accepting_district is not None:
        accepting = [i for i in accepting if i.district_id == accepting_district.pk]
    else:
        # None chosen (the API without `accepting_district`): the district nearest to the actor's place, if any.
        home = District.objects.filter(pk=actor.home_district_id).first() if actor.home_district_id else None
        nearest = nearest_district(home, [i.district for i in accepting])
        if nearest is not None:
            accepting = [i for i in accepting if i.district_id == nearest.pk]
    if not accepting:
        raise Invalid(_("No district accepts this item here."))
    accept_at = accepting[0]
    # The competent district, by the rule the item's standard names (never the first in the list).
    approve_at, competence = competent_implementation(item_version=item_version, approving=approving, places=places)

    with transaction.atomic():
        case = Case.objects.create(
            reference=_new_reference(accept_at.district.division_code),
            item_version=item_version,
            accepting_district=accept_at.district,
            accepting_window=accepting_window or accept_at.window,
            approving_district=approve_at.district,
            approving_basis=competence.basis,
            **values,
        )
        event_append(
            case=case,
            action=action,
            actor=actor,
            to_state=life_cycle.INITIAL_STATE,
            data={
                "item": item_version.item.code,
                "version": item_version.number,
                "approving_district": approve_at.district.division_code,
                "approving_basis": str(competence.basis),
                **event_data,
            },
            request_id=request_id,
        )
    return case


def case_id_number_reveal(*, case: Case, actor: User, request_id: str = "") -> str:
    """The full ID number for a user with the permission; the reading itself joins the case's chain."""
    if not actor.has_perm("cases.view_full_id_number"):
        raise NotAllowed(_("You may not read full ID numbers."))
    with transaction.atomic():
        case = lock(case)
        event_append(case=case, action=life_cycle.ID_NUMBER_REVEALED, actor=actor, request_id=request_id)
    return case.applicant_id_number
