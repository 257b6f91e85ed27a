"""A call's links to the cases app: the caller's case (by its reference), a snapshot filed as one of
its materials, a new draft case started by the clerk.

Cases are addressed by their reference (e.g. C93101012026112600A1B2), never by primary key, and
only among the cases the caller may see (as applicant, agent or principal). The cases app checks
every upload and draft itself; its refusals come back as one helpdesk code, `case_refused`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from govservice.errors import Conflict, DomainError, Invalid
from helpdesk.models import CallSession, Snapshot
from helpdesk.services.audit import Kind, assist_audit
from helpdesk.services.clock import current

if TYPE_CHECKING:  # the link to cases stays inside the functions that use it
    from cases.models import Case
    from standards.models import ItemVersion


def _case_refused(exc: Exception) -> Conflict:
    messages = getattr(exc, "messages", None) or [str(exc)]
    return Conflict(" ".join(str(m) for m in messages), code="case_refused")


def call_case_for(*, session: CallSession, case_ref: str) -> Case:
    """A case the caller may see, by its reference (their own, as applicant, agent or principal):
    never another person's."""
    from cases.selectors import cases_visible_to

    case = cases_visible_to(session.citizen).filter(reference=(case_ref or "").strip()).first()
    if case is None:
        raise Conflict(_("This case does not belong to the caller."), code="case_not_found")
    return case


def request_context_check(*, citizen: User, item_version: ItemVersion | None, case_ref: str) -> None:
    """The context a citizen gives a request must be theirs to see: a published item version, and a case
    they may see (as applicant, agent or principal). A clerk would otherwise be shown a draft's name or
    another person's case reference on the ring."""
    from cases.selectors import cases_visible_to
    from standards.models import ItemVersion

    if item_version is not None and item_version.status != ItemVersion.Status.PUBLISHED:
        raise Invalid(_("Unknown item."), code="unknown_item", fields={"item_version": [_("Unknown item.")]})
    if case_ref and not cases_visible_to(citizen).filter(reference=case_ref).exists():
        raise Conflict(_("This case does not belong to the caller."), code="case_not_found")


def call_snapshot_file_to_case(
    *, snapshot: Snapshot, clerk: User, case_ref: str, item_material_id: int, now: dt.datetime | None = None
) -> None:
    """File a snapshot as a material of the caller's case (checked like any upload by the cases app)."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.core.files import File

    from cases.services import case_material_add
    from standards.models import ItemMaterial

    now = current(now)
    session = snapshot.session
    case = call_case_for(session=session, case_ref=case_ref)
    item_material = ItemMaterial.objects.filter(pk=item_material_id, version_id=case.item_version_id).first()
    if item_material is None:
        raise Conflict(_("This material is not asked for by the case's item."), code="bad_material")
    # Into the application the caller shared in this call: with their right (any clerk in the call).
    shared = bool(session.shared_case_ref) and session.shared_case_ref == case.reference
    try:
        with snapshot.image.open("rb") as handle:
            case_material_add(
                case=case,
                item_material=item_material,
                uploaded_file=File(handle, name=handle.name),
                actor=clerk,
                consented_by=session.citizen if shared else None,
            )
    # The cases app refuses with Django's errors or with govservice.errors kinds: one code here.
    except (ValidationError, PermissionDenied, DomainError) as exc:
        raise _case_refused(exc) from exc
    with transaction.atomic():
        Snapshot.objects.filter(pk=snapshot.pk).update(filed_as_case_material=True)
        if not session.case_ref:
            CallSession.objects.filter(pk=session.pk, case_ref="").update(case_ref=case.reference)
        assist_audit(
            kind=Kind.CALL_SNAPSHOT_FILED,
            at=now,
            actor_id=clerk.pk,
            session_id=session.pk,
            snapshot=snapshot.pk,
            case=case.reference,
            material=item_material.pk,
        )
        if shared:
            from helpdesk.services.drafts import draft_changed_on_commit

            draft_changed_on_commit(session_id=session.pk, case_ref=case.reference, by=clerk.display_name)


def call_case_draft_create(*, session: CallSession, clerk: User) -> str:
    """A new draft case for the item the citizen called about, started by the clerk for them; its reference."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from cases.services import case_draft_create

    request = session.request
    if request.item_version is None:
        raise Conflict(_("The call is not about an item: no draft case can be started."), code="no_item")
    try:
        case = case_draft_create(
            applicant=session.citizen,
            item_version=request.item_version,
            actor=clerk,
            firm=request.firm if request.firm_id else None,
        )
    except (ValidationError, PermissionDenied, DomainError) as exc:
        raise _case_refused(exc) from exc
    return case.reference
