"""The accepting window's checks: 形式审查 per material and 身份核验, and what they mean for acceptance and 补正.

A check is taken while the case waits at the accepting window (the states the accept step leaves), by a
clerk of the accepting district. Each one is a row (MaterialCheck, IdentityCheck) and an event of the
case's hash chain carrying the same structured record (material, file SHA-256, verdict, reason, clerk,
time): the accepting district's acceptance record, which the approving district reads beside each document.

Acceptance needs every required material of the pinned version checked as conforming (a material an
electronic licence stands in for, with no file of its own, counts as satisfied), no current upload
checked as not conforming, and the identity recorded. A correction request lists exactly the failing ones.

A check does not change the case's state, so it is not announced to the open pages (they would reload under
the clerk who is still checking); the next step's announcement carries it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from cases import life_cycle
from cases.chain import event_append
from cases.models import Case, CaseMaterial, IdentityCheck, MaterialCheck
from cases.selectors.checks import (
    CorrectionItem,
    correction_answered,
    current_checks,
    identity_check_of,
    last_correction,
)
from cases.services.guards import invalid_field, lock, require_side, require_state
from cases.services.materials import case_required_materials
from govservice.errors import Invalid, NotFound
from standards.models import ItemMaterial

# Checks are taken where acceptance is decided: at the accepting window, before the accept step.
CHECK_STEP = life_cycle.STEPS["accept"]
NOTE_MAX = 300


def case_material_check(
    *, case: Case, material: CaseMaterial, verdict: str, reason: str = "", actor: User, request_id: str = ""
) -> MaterialCheck:
    """形式审查 of one current upload: conforming, or not with a reason. A newer check supersedes an older one."""
    reason = (reason or "").strip()
    with transaction.atomic():
        case = lock(case)
        require_side(CHECK_STEP, case=case, actor=actor)
        require_state(CHECK_STEP, case=case)
        if verdict not in MaterialCheck.Verdict.values:
            raise invalid_field("verdict", _("Choose conforming or not conforming."))
        if verdict == MaterialCheck.Verdict.NOT_CONFORMING and not reason:
            raise invalid_field("reason", _("Say why the material does not conform."), code="reason_required")
        found = (
            CaseMaterial.objects.filter(pk=material.pk, case=case)
            .select_related("item_material__material_type")
            .first()
        )
        if found is None:
            raise NotFound(_("No such material on this case."))
        material = found
        if not material.current or not material.file:
            raise invalid_field(
                "material", _("Only a current uploaded file can be checked."), code="material_not_checkable"
            )
        district = case.accepting_district
        event = event_append(
            case=case,
            action=life_cycle.MATERIAL_CHECKED,
            actor=actor,
            reason=reason,
            data={
                "material": material.pk,
                "item_material": material.item_material_id,
                "code": material.item_material.material_type.code,
                "name": material.item_material.name,
                "sha256": material.sha256,
                "verdict": verdict,
                "reason": reason,
                "clerk": actor.pk,
                "district": district.division_code,
            },
            request_id=request_id,
            district_code=district.division_code,
        )
        return MaterialCheck.objects.create(
            case=case,
            material=material,
            sha256=material.sha256,
            verdict=verdict,
            reason=reason,
            clerk=actor,
            district=district,
            checked_at=event.created_at,
            event_seq=event.seq,
        )


def case_identity_check(*, case: Case, method: str, note: str = "", actor: User, request_id: str = "") -> IdentityCheck:
    """身份核验: how the applicant's identity was verified (in person with the ID card, by video, electronic ID)."""
    note = (note or "").strip()
    with transaction.atomic():
        case = lock(case)
        require_side(CHECK_STEP, case=case, actor=actor)
        require_state(CHECK_STEP, case=case)
        if method not in IdentityCheck.Method.values:
            raise invalid_field("method", _("Choose how the identity was verified."))
        if len(note) > NOTE_MAX:
            raise invalid_field("note", _("The note is longer than %(n)s characters.") % {"n": NOTE_MAX})
        district = case.accepting_district
        event = event_append(
            case=case,
            action=life_cycle.IDENTITY_CHECKED,
            actor=actor,
            reason=note,
            data={"method": method, "note": note, "clerk": actor.pk, "district": district.division_code},
            request_id=request_id,
            district_code=district.division_code,
        )
        return IdentityCheck.objects.create(
            case=case,
            method=method,
            note=note,
            clerk=actor,
            district=district,
            checked_at=event.created_at,
            event_seq=event.seq,
        )


@dataclass
class AcceptanceGaps:
    """What still stands between a case and its acceptance (empty: it may be accepted)."""

    missing: list[ItemMaterial] = field(default_factory=list)  # required, not uploaded, no licence stands in
    unchecked: list[ItemMaterial] = field(default_factory=list)
    failing: list[MaterialCheck] = field(default_factory=list)
    identity_missing: bool = True

    @property
    def ready(self) -> bool:
        return not self.missing and not self.unchecked and not self.failing and not self.identity_missing


def acceptance_gaps(case: Case) -> AcceptanceGaps:
    """The rule of acceptance: every required material conforming (or spared), no upload failing, identity recorded."""
    current = {m.item_material_id: m for m in case.materials.filter(current=True)}
    checks = current_checks(case)
    gaps = AcceptanceGaps(identity_missing=identity_check_of(case) is None)
    for material in case_required_materials(case):
        upload = current.get(material.pk)
        if upload is not None and upload.file:
            check = checks.get(upload.pk)
            if check is None:
                gaps.unchecked.append(material)
        elif not (material.elicence_exempt or (upload is not None and upload.spared_by_elicence)):
            gaps.missing.append(material)
    gaps.failing = [check for check in checks.values() if not check.conforming]
    gaps.failing.sort(key=lambda check: (check.material.item_material.position, check.material_id))
    return gaps


def require_acceptable(case: Case) -> None:
    """Refuse the acceptance while a material or a check is missing or a check failed (a stable code for each)."""
    gaps = acceptance_gaps(case)
    if gaps.missing:
        raise Invalid(_("Required materials are missing: ask for a correction instead."), code="materials_missing")
    if gaps.failing:
        names = "、".join(check.material.item_material.name for check in gaps.failing)
        raise Invalid(
            _("Materials did not pass the check: %(names)s. Ask for a correction instead.") % {"names": names},
            code="materials_not_conforming",
            fields={"materials": [names]},
        )
    if gaps.unchecked:
        names = "、".join(material.name for material in gaps.unchecked)
        raise Invalid(
            _("Check every required material first: %(names)s.") % {"names": names},
            code="materials_unchecked",
            fields={"materials": [names]},
        )
    if gaps.identity_missing:
        message = _("Record how the applicant's identity was verified first.")
        raise Invalid(message, code="identity_unverified", fields={"identity": [message]})


def correction_items(case: Case, *, named: list[ItemMaterial], reason: str) -> list[CorrectionItem]:
    """What a correction request lists: every upload whose newest check failed (with its reason), then any
    other material the clerk names (with the request's reason). A material checked as conforming cannot be named."""
    current = {m.item_material_id: m for m in case.materials.filter(current=True)}
    checks = current_checks(case)
    items: dict[int, CorrectionItem] = {}
    for check in sorted(
        (c for c in checks.values() if not c.conforming), key=lambda c: (c.material.item_material.position, c.pk)
    ):
        upload = check.material
        items[upload.item_material_id] = CorrectionItem(
            item_material=upload.item_material_id, reason=check.reason, material=upload.pk, sha256=check.sha256
        )
    for material in named:
        if material.pk in items:
            continue
        named_upload = current.get(material.pk)
        newest = checks.get(named_upload.pk) if named_upload is not None else None
        if newest is not None and newest.conforming:
            raise invalid_field(
                "materials",
                _("%(name)s was checked as conforming: check it again before asking for its correction.")
                % {"name": material.name},
                code="material_conforming",
            )
        items[material.pk] = CorrectionItem(
            item_material=material.pk,
            reason=reason,
            material=named_upload.pk if named_upload is not None and named_upload.file else None,
            sha256=named_upload.sha256 if named_upload is not None else "",
        )
    return list(items.values())


def return_items(case: Case, *, materials: list[tuple[ItemMaterial, str]]) -> list[CorrectionItem]:
    """What a return (退回) lists: each material the approving district found wanting, with its own reason and
    the current upload it judged."""
    items = []
    for material, why in materials:
        if material.version_id != case.item_version_id:
            raise invalid_field("materials", _("These materials are not part of the case's item version."))
        why = (why or "").strip()[:500]
        if not why:
            raise invalid_field(
                "materials", _("Give the reason for each material you return."), code="material_reason_required"
            )
        upload = CaseMaterial.objects.filter(case=case, item_material=material, current=True).first()
        items.append(
            CorrectionItem(
                item_material=material.pk,
                reason=why,
                material=upload.pk if upload else None,
                sha256=upload.sha256 if upload else "",
            )
        )
    return items


def item_rows(items: list[CorrectionItem], materials: dict[int, ItemMaterial]) -> list[dict[str, Any]]:
    """The rows a correction request or a return stores in its event (`data["items"]`, signed with the step):
    each material's id, type code and name (from `materials`, by id), the upload judged and its SHA-256, the
    reason."""
    rows = []
    for item in items:
        material = materials[item.item_material]
        rows.append(
            {
                "item_material": item.item_material,
                "code": material.material_type.code,
                "name": material.name,
                "material": item.material,
                "sha256": item.sha256,
                "reason": item.reason,
            }
        )
    return rows


def correction_unanswered(case: Case) -> list[ItemMaterial]:
    """The materials the open correction request (补正) names that the applicant has not replaced yet ([] when no
    correction is open). A resubmission is refused while any is left: it would change nothing."""
    if case.state != life_cycle.STEPS["request_correction"].target:
        return []
    current = {m.item_material_id: m for m in case.materials.filter(current=True)}
    left = [
        item.item_material
        for item in last_correction(case)
        if not correction_answered(item, current.get(item.item_material))
    ]
    return list(case.item_version.materials.filter(pk__in=left).order_by("position", "pk"))
