"""Materials: uploads checked against the pinned version's standard, and what a case must provide."""

from __future__ import annotations

import hashlib
from typing import Any

import filetype
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from cases import life_cycle
from cases.chain import event_append
from cases.models import Case, CaseMaterial
from cases.selectors.visibility import actor_on_a_side, case_is_applicant_side
from cases.services.applications import AGENT_MATERIAL_TYPES
from cases.services.guards import TransitionNotAllowed, announce, invalid_field, lock
from govservice.errors import Invalid, NotAllowed
from govservice.uploads import ImageTooLarge, image_dimensions_check, upload_save
from standards.models import ItemMaterial

_FORMAT_ALIASES = {"jpeg": "jpg", "tif": "tiff"}
_DEFAULT_FORMATS = ["pdf", "jpg", "png"]


def _normalise_format(name: str) -> str:
    name = name.lower().lstrip(".")
    return _FORMAT_ALIASES.get(name, name)


def case_material_add(
    *,
    case: Case,
    item_material: ItemMaterial,
    uploaded_file: Any,
    actor: User,
    request_id: str = "",
    consented_by: User | None = None,
    reused: bool = False,
) -> CaseMaterial:
    """Attach a file to a case, checked against the pinned version's material standard.

    `reused`: the file comes from the applicant's own materials (cases.services.my_materials), checked here like
    any upload; the event says so.

    `consented_by`: the applicant who let a clerk (of any district) fill their application in a video
    assistance call, their consent recorded by the helpdesk; the clerk then adds with the applicant's right.
    """
    if item_material.version_id != case.item_version_id:
        raise Invalid(_("This material is not part of the item version the case is pinned to."))
    helping = (
        consented_by is not None
        and actor.role == User.Role.CLERK
        and case_is_applicant_side(case=case, user=consented_by)
    )
    if not helping and not actor_on_a_side(life_cycle.MATERIAL_SIDES, case=case, actor=actor):
        raise NotAllowed(_("Only the applicant or a clerk of the accepting district may add materials."))
    limit = item_material.max_size_mb * 1024 * 1024
    size = getattr(uploaded_file, "size", None)
    if size is None or size > limit:
        raise invalid_field("file", _("The file is larger than %(mb)s MB.") % {"mb": item_material.max_size_mb})
    if size == 0:
        raise invalid_field("file", _("The file is empty."))
    uploaded_file.seek(0)
    head = uploaded_file.read(8192)
    uploaded_file.seek(0)
    kind = filetype.guess(head)
    allowed = [_normalise_format(f) for f in (item_material.formats or _DEFAULT_FORMATS)]
    detected = _normalise_format(kind.extension) if kind else ""
    if detected not in allowed:
        raise invalid_field(
            "file",
            _("The file's content is %(found)s; accepted formats: %(allowed)s.")
            % {"found": detected or _("not recognised"), "allowed": ", ".join(allowed)},
        )
    if kind and kind.mime.startswith("image/"):
        try:
            image_dimensions_check(uploaded_file)  # a decompression bomb is refused before anything decodes it
        except ImageTooLarge as exc:
            raise invalid_field("file", str(exc)) from exc
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    with transaction.atomic():
        case = lock(case)
        if case.state not in life_cycle.MATERIALS_OPEN_STATES:
            raise TransitionNotAllowed(_("Materials can only be added before acceptance or during a correction."))
        case.materials.filter(item_material=item_material, current=True).update(current=False)
        material = CaseMaterial(
            case=case,
            item_material=item_material,
            original_name=(getattr(uploaded_file, "name", "") or "")[:200],
            content_type=kind.mime,
            extension=detected,
            size=size,
            sha256=digest.hexdigest(),
            uploaded_by=actor,
        )
        upload_save(material.file, f"{detected}", uploaded_file)  # a full disk: 507, the transaction rolls back
        material.save()
        event_append(
            case=case,
            action=life_cycle.MATERIAL_ADDED,
            actor=actor,
            data={
                "material": item_material.material_type.code,
                "name": item_material.name,
                "sha256": material.sha256,
                "size": size,
                "content_type": kind.mime,
                **({"on_behalf_of": consented_by.pk} if helping and consented_by is not None else {}),
                **({"from_my_materials": True} if reused else {}),
            },
            request_id=request_id,
        )
        announce(case, action=life_cycle.MATERIAL_ADDED)
    return material


def case_required_materials(case: Case) -> list[ItemMaterial]:
    """The materials this case must provide: the standard's required ones, and in an agent's
    application also the conditional ones for agents (power of attorney, the agent's ID)."""
    wanted = Q(requirement=ItemMaterial.Requirement.REQUIRED)
    if case.agent_id is not None:
        wanted |= Q(requirement=ItemMaterial.Requirement.CONDITIONAL, material_type__code__in=AGENT_MATERIAL_TYPES)
    return list(case.item_version.materials.filter(wanted).select_related("material_type"))


def missing_materials(case: Case) -> list[ItemMaterial]:
    present = set(case.materials.filter(current=True).values_list("item_material_id", flat=True))
    return [m for m in case_required_materials(case) if m.pk not in present and not m.elicence_exempt]


def spare_by_elicence(case: Case, actor: User) -> list[str]:
    """Required materials an electronic licence stands in for are marked so, not asked for."""
    present = set(case.materials.filter(current=True).values_list("item_material_id", flat=True))
    spared = []
    for material in case.item_version.materials.filter(elicence_exempt=True).select_related("material_type"):
        if material.pk not in present:
            CaseMaterial.objects.create(case=case, item_material=material, spared_by_elicence=True, uploaded_by=actor)
            spared.append(material.material_type.code)
    return spared
