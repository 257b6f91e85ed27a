"""The accepting district's checks (形式审查, 身份核验) and the correction they led to, as pages and API read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cases import life_cycle
from cases.models import Case, CaseEvent, CaseMaterial, IdentityCheck, MaterialCheck
from standards.models import ItemMaterial

# Where the newest correction request still concerns the applicant and the accepting window: while it is open, and
# after the resubmission until the case leaves the window.
_CORRECTION_SHOWN_STATES = frozenset(
    {life_cycle.STEPS["request_correction"].target, *life_cycle.STEPS["accept"].sources}
)


@dataclass(frozen=True)
class CorrectionItem:
    """One material a correction request (补正) names, and why: what the applicant reads beside its upload."""

    item_material: int
    reason: str
    # The upload found failing (None: nothing was uploaded, or an older request without it).
    material: int | None = None
    sha256: str = ""


@dataclass
class MaterialRow:
    """One material of the pinned standard on a case: the current upload, its newest check, its correction."""

    item_material: ItemMaterial
    provided: CaseMaterial | None
    check: MaterialCheck | None
    correction: CorrectionItem | None = None
    required: bool = False
    checks: list[MaterialCheck] = field(default_factory=list)

    @property
    def replaced(self) -> bool:
        """The applicant replaced what the correction asked for (correction_answered)."""
        return self.correction is not None and correction_answered(self.correction, self.provided)


def correction_answered(item: CorrectionItem, upload: CaseMaterial | None) -> bool:
    """Whether the material's current upload answers a correction item: the one rule for the page's "replaced"
    and for refusing a resubmission that changes nothing (cases.services.checks.correction_unanswered).

    Other bytes than the file found failing answer it (the same file uploaded again does not); a material named
    while nothing was uploaded is answered by any upload.
    """
    if upload is None:
        return False
    if item.sha256:
        return upload.sha256 != item.sha256
    if item.material is not None:
        return upload.pk != item.material
    return True


def current_checks(case: Case) -> dict[int, MaterialCheck]:
    """The newest check of each current upload, by CaseMaterial id (a check of other bytes never counts)."""
    newest: dict[int, MaterialCheck] = {}
    rows = (
        MaterialCheck.objects.filter(case=case, material__current=True)
        .select_related("material", "clerk", "district")
        .order_by("checked_at", "id")
    )
    for check in rows:
        if check.sha256 == check.material.sha256:
            newest[check.material_id] = check
    return newest


def identity_check_of(case: Case) -> IdentityCheck | None:
    """The newest identity check of the case, if any."""
    return (
        IdentityCheck.objects.filter(case=case)
        .select_related("clerk", "district")
        .order_by("-checked_at", "-id")
        .first()
    )


def material_checks_of(case: Case) -> list[MaterialCheck]:
    """Every material check of the case, oldest first (the history; superseded ones included)."""
    return list(
        MaterialCheck.objects.filter(case=case)
        .select_related("material__item_material__material_type", "clerk", "district")
        .order_by("checked_at", "id")
    )


def last_correction(case: Case) -> list[CorrectionItem]:
    """The materials the newest correction request named, each with its reason ([] if none was asked)."""
    event = (
        CaseEvent.objects.filter(case=case, action=life_cycle.STEPS["request_correction"].action)
        .order_by("-seq")
        .first()
    )
    if event is None:
        return []
    data: dict[str, Any] = event.data or {}
    items = data.get("items")
    if isinstance(items, list):
        return [
            CorrectionItem(
                item_material=int(item["item_material"]),
                reason=str(item.get("reason", "")),
                material=item.get("material"),
                sha256=str(item.get("sha256", "")),
            )
            for item in items
        ]
    # A request written before the per-material reasons: the material type codes and the one reason.
    codes = data.get("materials") or []
    ids = dict(
        case.item_version.materials.filter(material_type__code__in=codes).values_list("material_type__code", "pk")
    )
    return [CorrectionItem(item_material=ids[code], reason=event.reason) for code in codes if code in ids]


def material_rows(case: Case, *, required: set[int] | None = None) -> list[MaterialRow]:
    """The pinned version's materials, each with the case's current upload, its newest check and its correction."""
    provided = {m.item_material_id: m for m in case.materials.filter(current=True)}
    checks = current_checks(case)
    # A correction is news while it is open and until the file that replaces it has been checked again.
    open_correction = case.state in _CORRECTION_SHOWN_STATES
    corrections = {item.item_material: item for item in last_correction(case)} if open_correction else {}
    rows = []
    for material in case.item_version.materials.select_related("material_type"):
        upload = provided.get(material.pk)
        row = MaterialRow(
            item_material=material,
            provided=upload,
            check=checks.get(upload.pk) if upload is not None else None,
            correction=corrections.get(material.pk),
            required=material.pk in (required or set()),
        )
        if row.check is not None and (row.check.conforming or row.replaced):
            row.correction = None  # settled: checked again since
        rows.append(row)
    return rows
