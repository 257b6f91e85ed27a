"""我的材料: the files a person uploaded to their own cases, offered again for a new application.

One entry per file content (SHA-256): the same file reused in three cases is one material used by three cases.
Only what the person uploaded themselves, in cases they still see; never a file an electronic licence stood in
for, nor one they removed from the list (cases.models.MaterialRemoval).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import User
from cases.models import CaseMaterial, MaterialRemoval
from cases.selectors.visibility import cases_visible_to
from standards.models import ItemMaterial

# How many uploads the list reads at most (newest first): a person's files, not an archive.
MY_MATERIALS_LIMIT = 300
_DEFAULT_FORMATS = ("pdf", "jpg", "png")
_FORMAT_ALIASES = {"jpeg": "jpg", "tif": "tiff"}


@dataclass
class MyMaterial:
    """A file of mine: its newest upload (what a preview opens), and the cases it is part of."""

    material: CaseMaterial
    references: list[str] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return self.material.sha256

    @property
    def name(self) -> str:
        return self.material.original_name or self.material.item_material.display_name


def my_material_uploads(user: User) -> QuerySet[CaseMaterial]:
    """The person's own uploads with a file, in cases they see, not removed from their list; newest first."""
    removed = MaterialRemoval.objects.filter(
        user_id=user.pk, sha256=OuterRef("sha256"), removed_at__gte=OuterRef("uploaded_at")
    )
    return (
        CaseMaterial.objects.filter(
            uploaded_by_id=user.pk, spared_by_elicence=False, case__in=cases_visible_to(user).values("pk")
        )
        .exclude(file="")
        .exclude(sha256="")
        .exclude(Exists(removed))
        .select_related("case", "item_material", "item_material__material_type")
        .order_by("-uploaded_at", "-id")
    )


def my_materials(user: User) -> list[MyMaterial]:
    """One entry per file (by SHA-256), newest first, each with the references of the cases that hold it."""
    entries: dict[str, MyMaterial] = {}
    for material in my_material_uploads(user)[:MY_MATERIALS_LIMIT]:
        entry = entries.setdefault(material.sha256, MyMaterial(material=material))
        if material.case.reference not in entry.references:
            entry.references.append(material.case.reference)
    return list(entries.values())


def _formats(item_material: ItemMaterial) -> set[str]:
    names = item_material.formats or _DEFAULT_FORMATS
    return {_FORMAT_ALIASES.get(name.lower().lstrip("."), name.lower().lstrip(".")) for name in names}


def my_materials_for(user: User, item_materials: Iterable[ItemMaterial]) -> dict[int, list[MyMaterial]]:
    """For each material a draft asks for, the files of mine that fit its standard's formats and size (the upload
    check runs again when one is chosen)."""
    mine = my_materials(user)
    fitting: dict[int, list[MyMaterial]] = {}
    for item_material in item_materials:
        formats, limit = _formats(item_material), item_material.max_size_mb * 1024 * 1024
        fitting[item_material.pk] = [
            entry for entry in mine if entry.material.extension in formats and entry.material.size <= limit
        ]
    return fitting
