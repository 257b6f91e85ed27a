"""Reads of the catalogue: the version in force, version history and diffs, districts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Field, Model, Prefetch, Q, QuerySet
from django.utils import timezone

from standards.generation import per_catalogue
from standards.models import (
    VERIFIABLE_FIELDS,
    District,
    ItemImplementation,
    ItemMaterial,
    ItemVersion,
    ServiceItem,
    ServiceWindow,
)
from standards.vocabulary import Sector

# The fields that make up a standard's content (copied into a draft, compared by a diff).
VERSION_CONTENT_FIELDS: tuple[str, ...] = tuple(
    f.name
    for f in ItemVersion._meta.concrete_fields
    if f.name
    not in {
        "id",
        "item",
        "number",
        "status",
        "effective_from",
        "effective_to",
        "published_at",
        "published_by",
        "name_initials",
        "correction_reason",  # the publication's reason, not the standard's content
    }
)
LIMIT_FIELDS = ("handling_kind", "limit_unit", "statutory_limit", "promised_limit")
MATERIAL_CONTENT_FIELDS: tuple[str, ...] = tuple(
    f.name for f in ItemMaterial._meta.concrete_fields if f.name not in {"id", "version", "material_type"}
)


def today() -> dt.date:
    return timezone.localdate()


def in_force_q(on: dt.date, prefix: str = "") -> Q:
    return Q(
        **{
            f"{prefix}status__in": [ItemVersion.Status.PUBLISHED, ItemVersion.Status.SUPERSEDED],
            f"{prefix}effective_from__lte": on,
        }
    ) & (Q(**{f"{prefix}effective_to__isnull": True}) | Q(**{f"{prefix}effective_to__gte": on}))


def item_version_in_force(item: ServiceItem, *, on: dt.date | None = None) -> ItemVersion | None:
    """The published version in force on a day (today by default), or None (not yet or no longer in force)."""
    return ItemVersion.objects.filter(in_force_q(on or today()), item=item).order_by("-effective_from").first()


def versions_in_force(*, on: dt.date | None = None) -> QuerySet[ItemVersion]:
    return ItemVersion.objects.filter(in_force_q(on or today()))


def item_get(*, code: str) -> ServiceItem | None:
    return ServiceItem.objects.filter(code=code).first()


def item_versions(*, item: ServiceItem) -> QuerySet[ItemVersion]:
    return item.versions.select_related("published_by").order_by("-number")


def item_draft(*, item: ServiceItem) -> ItemVersion | None:
    return item.versions.filter(status=ItemVersion.Status.DRAFT).first()


def version_with_materials(*, version_id: int) -> ItemVersion:
    return (
        ItemVersion.objects.select_related("item")
        .prefetch_related(Prefetch("materials", queryset=ItemMaterial.objects.select_related("material_type")))
        .get(pk=version_id)
    )


def item_implementations(*, item: ServiceItem) -> QuerySet[ItemImplementation]:
    return item.implementations.select_related("district", "department", "window").order_by("district__division_code")


def district_list() -> QuerySet[District]:
    return District.objects.select_related("province").prefetch_related(
        Prefetch("windows", queryset=ServiceWindow.objects.order_by("code"))
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _label(model: type[Model], field: str) -> str:
    found = model._meta.get_field(field)
    return str(found.verbose_name) if isinstance(found, Field) else field


def field_changes(
    model: type[Model], before: dict[str, Any], after: dict[str, Any], fields: Iterable[str]
) -> list[dict[str, Any]]:
    return [
        {"field": f, "label": _label(model, f), "from": _jsonable(before.get(f)), "to": _jsonable(after.get(f))}
        for f in fields
        if before.get(f) != after.get(f)
    ]


def version_snapshot(version: ItemVersion) -> dict[str, Any]:
    return {f: getattr(version, f) for f in VERSION_CONTENT_FIELDS}


def materials_snapshot(version: ItemVersion) -> dict[str, dict[str, Any]]:
    """Materials keyed by their material type code (stable across versions and districts)."""
    rows = {}
    for material in version.materials.select_related("material_type").order_by("position", "id"):
        rows[material.material_type.code] = {f: getattr(material, f) for f in MATERIAL_CONTENT_FIELDS}
    return rows


def version_diff(a: ItemVersion, b: ItemVersion) -> dict[str, Any]:
    """What changed from version a to version b: fields, time limits, fees, materials by material type."""
    before, after = version_snapshot(a), version_snapshot(b)
    plain = [f for f in VERSION_CONTENT_FIELDS if f not in LIMIT_FIELDS and f != "fees"]
    materials_a, materials_b = materials_snapshot(a), materials_snapshot(b)
    added = [
        {"material_type": code, "name": materials_b[code]["name"]} for code in materials_b if code not in materials_a
    ]
    removed = [
        {"material_type": code, "name": materials_a[code]["name"]} for code in materials_a if code not in materials_b
    ]
    changed = []
    for code in materials_a:
        if code in materials_b:
            changes = field_changes(ItemMaterial, materials_a[code], materials_b[code], MATERIAL_CONTENT_FIELDS)
            # A new position alone is a reordering, not a change of the requirement.
            changes = [c for c in changes if c["field"] != "position"]
            if changes:
                changed.append({"material_type": code, "name": materials_b[code]["name"], "changes": changes})
    fields = field_changes(ItemVersion, before, after, plain)
    limits = field_changes(ItemVersion, before, after, LIMIT_FIELDS)
    fees = {"from": before["fees"], "to": after["fees"]} if before["fees"] != after["fees"] else None
    return {
        "from_version": a.number,
        "to_version": b.number,
        "changed": bool(fields or limits or fees or added or removed or changed),
        "fields": fields,
        "limits": limits,
        "fees": fees,
        "materials": {"added": added, "removed": removed, "changed": changed},
    }


@per_catalogue
def catalogue_counts(*, on: dt.date | None = None) -> dict[str, Any]:
    """Honest counts: distinct standardised items in force, and district implementations (item × district
    that handles it) separately, by role; and the share of the versions' checkable values still 待核实.

    Kept per catalogue generation: reading the 3000 versions' 待核实 lists took some 50 ms a home page."""
    in_force = versions_in_force(on=on)
    versions = list(in_force.values_list("item_id", "unverified_fields"))
    item_ids = {item_id for item_id, _fields in versions}
    # One grouped statement, the items in force as a subquery (a list of 3000 ids made the statement itself slow).
    implementations = ItemImplementation.objects.filter(active=True, item_id__in=in_force.values("item_id"))
    figures = implementations.aggregate(
        both=Count("pk", filter=Q(can_accept=True, can_approve=True)),
        accepts=Count("pk", filter=Q(can_accept=True, can_approve=False)),
        approves=Count("pk", filter=Q(can_accept=False)),
        districts=Count("district", distinct=True),
    )
    roles = {role: figures[role] for role in ("accepts", "approves", "both")}
    checked = len(versions) * len(VERIFIABLE_FIELDS)
    verifiable = set(VERIFIABLE_FIELDS)
    unverified = sum(len(verifiable.intersection(fields or ())) for _item, fields in versions)
    return {
        "items": len(item_ids),
        "implementations": sum(roles.values()),
        "implementations_by_role": roles,
        "districts": figures["districts"],
        "values_checked": checked,
        "values_unverified": unverified,
        "unverified_share": round(unverified / checked, 3) if checked else 0.0,
        "unverified_percent": round(100 * unverified / checked) if checked else 0,
    }


@per_catalogue
def departments_with_items(*, on: dt.date | None = None) -> list[tuple[str, str, int]]:
    """Browsing by department: each sector (a district has one department per sector) with the number of items
    in force it handles, largest first; sectors without items are left out."""
    counted = (
        versions_in_force(on=on).values("sector").annotate(n=Count("item", distinct=True)).order_by("-n", "sector")
    )
    labels = dict(Sector.choices)
    return [(row["sector"], str(labels.get(row["sector"], row["sector"])), row["n"]) for row in counted]
