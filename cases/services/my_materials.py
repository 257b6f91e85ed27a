"""我的材料: a file of one's earlier cases used again in a draft, and taken out of the list.

Reuse **copies** the file into the new case through `case_material_add`, so it is checked against the new item's
standard like any upload (format by its bytes, size, image dimensions), hashed again and recorded on the new case's
chain; each case keeps its own stored file, and nothing done to one case touches another's. The source must be the
person's own upload, still intact (its SHA-256 checked before it is read).

Removing a file from "my materials" removes it from the list only (a MaterialRemoval by SHA-256): the cases that hold
it keep it, since a submitted case's files are part of its hash-chained record. A draft's file is replaced on the
draft's own page.
"""

from __future__ import annotations

from django.core.files import File
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases.models import Case, CaseMaterial, MaterialRemoval
from cases.selectors.documents import document_intact
from cases.selectors.my_materials import my_material_uploads
from cases.services.materials import case_material_add
from govservice.errors import Conflict, NotFound
from standards.models import ItemMaterial


def case_material_reuse(
    *, case: Case, item_material: ItemMaterial, source_id: int, actor: User, request_id: str = ""
) -> CaseMaterial:
    """Add one of the actor's own materials (a CaseMaterial of theirs, by id) to `case` as `item_material`."""
    source = my_material_uploads(actor).filter(pk=source_id).first()
    if source is None:
        raise NotFound(_("That file is not among your materials."))
    if not document_intact(source):
        raise Conflict(
            _("That file is damaged: the stored file no longer matches the one uploaded. Upload it again."),
            code="document_damaged",
        )
    with source.file.open("rb") as handle:
        upload = File(handle, name=source.original_name or f"material.{source.extension}")
        return case_material_add(
            case=case,
            item_material=item_material,
            uploaded_file=upload,
            actor=actor,
            request_id=request_id,
            reused=True,
        )


def my_material_remove(*, user: User, sha256: str) -> int:
    """Take a file (every upload of it so far) out of the person's materials; returns how many uploads it hid.

    The cases keep their files. Uploading the same file again later lists it again."""
    hidden = my_material_uploads(user).filter(sha256=sha256).count()
    if not hidden:
        raise NotFound(_("That file is not among your materials."))
    MaterialRemoval.objects.update_or_create(user=user, sha256=sha256, defaults={"removed_at": timezone.now()})
    return hidden
