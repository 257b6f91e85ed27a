"""Writes to the catalogue. Each one runs in a transaction and writes its audit row in it.

Versioning rules (docs/domain.md): a standard is edited as a draft; publishing gives it an
effective date and ends the previous version the day before, so versions never overlap;
a published version never changes again (cases pin it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from standards.departments import department_for
from standards.districts import GENERAL_WINDOW, ZONE_WINDOW, window_code
from standards.generation import catalogue_changed
from standards.models import (
    CatalogueChange,
    Department,
    District,
    ItemImplementation,
    ItemMaterial,
    ItemVersion,
    MaterialType,
    SearchMiss,
    SearchSynonym,
    ServiceItem,
    ServiceWindow,
    promise_exceeds_statute,
)
from standards.selectors import (
    MATERIAL_CONTENT_FIELDS,
    VERSION_CONTENT_FIELDS,
    field_changes,
    item_version_in_force,
    materials_snapshot,
    version_diff,
    version_snapshot,
)

# A draft's plan for its publication, editable with its content but not copied into the next draft.
DRAFT_PLAN_FIELDS = ("effective_from", "correction_reason")


def _actor(user: User | None) -> User | None:
    return user if user is not None and user.is_authenticated else None


def catalogue_change_record(
    *,
    actor: User | None,
    action: str,
    item: ServiceItem | None = None,
    version: ItemVersion | None = None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
) -> CatalogueChange:
    return CatalogueChange.objects.create(
        actor=_actor(actor), action=action, item=item, version=version, summary=summary[:300], changes=changes or {}
    )


def _check_limits(fields: dict[str, Any]) -> None:
    statutory, promised = fields.get("statutory_limit"), fields.get("promised_limit")
    if promise_exceeds_statute(statutory, promised):
        raise ValidationError(
            {
                "promised_limit": _(
                    "The promised time limit (%(promised)s) cannot exceed the statutory one (%(statutory)s)."
                )
                % {"promised": promised, "statutory": statutory}
            }
        )


def _validated(version: ItemVersion) -> None:
    version.full_clean(
        exclude=["item", "published_by", "name_initials"], validate_unique=False, validate_constraints=False
    )


def _materials_replace(*, version: ItemVersion, materials: list[dict[str, Any]]) -> None:
    """Replace a draft's materials; each dict names its `material_type` by code."""
    codes = [m["material_type"] for m in materials]
    if len(set(codes)) != len(codes):
        raise ValidationError({"materials": _("A material type appears twice in this version.")})
    types = MaterialType.objects.in_bulk(codes, field_name="code")
    unknown = sorted(set(codes) - set(types))
    if unknown:
        raise ValidationError({"materials": _("Unknown material type: %(codes)s") % {"codes": ", ".join(unknown)}})
    version.materials.all().delete()
    rows = []
    for position, material in enumerate(materials, start=1):
        values = {f: material[f] for f in MATERIAL_CONTENT_FIELDS if f in material}
        values.setdefault("position", position)
        values.setdefault("name", types[material["material_type"]].name)
        row = ItemMaterial(version=version, material_type=types[material["material_type"]], **values)
        row.full_clean(exclude=["version"], validate_unique=False)
        if row.requirement == ItemMaterial.Requirement.CONDITIONAL and not row.condition:
            raise ValidationError({"materials": _("A conditional material must state its condition.")})
        rows.append(row)
    ItemMaterial.objects.bulk_create(rows)


@transaction.atomic
def item_create(
    *, actor: User | None, code: str, fields: dict[str, Any], materials: list[dict[str, Any]] | None = None
) -> ItemVersion:
    """A new item with its first version as a draft."""
    if ServiceItem.objects.filter(code=code).exists():
        raise ValidationError({"code": _("An item with code %(code)s already exists.") % {"code": code}})
    _check_limits(fields)
    item = ServiceItem.objects.create(code=code)
    draft = ItemVersion(item=item, number=1, status=ItemVersion.Status.DRAFT)
    for field, value in fields.items():
        if field not in VERSION_CONTENT_FIELDS and field not in DRAFT_PLAN_FIELDS:
            raise ValidationError({field: _("This field cannot be set.")})
        setattr(draft, field, value)
    _validated(draft)
    draft.save()
    if materials:
        _materials_replace(version=draft, materials=materials)
    catalogue_change_record(
        actor=actor,
        action=CatalogueChange.Action.ITEM_CREATE,
        item=item,
        version=draft,
        summary=f"{code} {draft.name}",
        changes={"fields": version_snapshot(draft)},
    )
    return draft


@transaction.atomic
def item_draft_create(*, actor: User | None, item: ServiceItem) -> ItemVersion:
    """A draft copying the version in force (else the newest published one) with its materials."""
    item = ServiceItem.objects.select_for_update().get(pk=item.pk)
    if item.versions.filter(status=ItemVersion.Status.DRAFT).exists():
        raise ValidationError(_("This item already has a draft: edit it or discard it first."))
    base = item_version_in_force(item=item) or item.versions.order_by("-number").first()
    number = (item.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    draft = ItemVersion(item=item, number=number, status=ItemVersion.Status.DRAFT)
    if base is not None:
        for field in VERSION_CONTENT_FIELDS:
            setattr(draft, field, getattr(base, field))
    draft.save()
    if base is not None:
        ItemMaterial.objects.bulk_create(
            [
                ItemMaterial(
                    version=draft,
                    material_type_id=m.material_type_id,
                    **{f: getattr(m, f) for f in MATERIAL_CONTENT_FIELDS},
                )
                for m in base.materials.order_by("position", "id")
            ]
        )
    catalogue_change_record(
        actor=actor,
        action=CatalogueChange.Action.DRAFT_CREATE,
        item=item,
        version=draft,
        summary=_("Draft v%(number)s from v%(base)s") % {"number": number, "base": base.number if base else "-"},
    )
    return draft


@transaction.atomic
def item_draft_update(
    *, actor: User | None, draft: ItemVersion, fields: dict[str, Any], materials: list[dict[str, Any]] | None = None
) -> ItemVersion:
    """Edit a draft's content (and, when given, replace its materials). Published versions refuse."""
    draft = ItemVersion.objects.select_for_update().get(pk=draft.pk)
    if draft.status != ItemVersion.Status.DRAFT:
        raise ValidationError(_("A published version cannot be changed: create a new draft instead."))
    before, materials_before = version_snapshot(draft), materials_snapshot(draft)
    plan_before = {f: getattr(draft, f) for f in DRAFT_PLAN_FIELDS}
    for field, value in fields.items():
        if field not in VERSION_CONTENT_FIELDS and field not in DRAFT_PLAN_FIELDS:
            raise ValidationError({field: _("This field cannot be set.")})
        setattr(draft, field, value)
    _check_limits({"statutory_limit": draft.statutory_limit, "promised_limit": draft.promised_limit})
    _validated(draft)
    draft.save()
    if materials is not None:
        _materials_replace(version=draft, materials=materials)
    changes: dict[str, Any] = {
        "fields": field_changes(ItemVersion, before, version_snapshot(draft), VERSION_CONTENT_FIELDS)
        + field_changes(
            ItemVersion, plan_before, {f: getattr(draft, f) for f in DRAFT_PLAN_FIELDS}, list(DRAFT_PLAN_FIELDS)
        )
    }
    if materials is not None:
        after = materials_snapshot(draft)
        changes["materials"] = {
            "added": sorted(set(after) - set(materials_before)),
            "removed": sorted(set(materials_before) - set(after)),
        }
    catalogue_change_record(
        actor=actor,
        action=CatalogueChange.Action.DRAFT_UPDATE,
        item=draft.item,
        version=draft,
        summary=", ".join(c["field"] for c in changes["fields"])[:300],
        changes=changes,
    )
    return draft


@transaction.atomic
def item_draft_discard(*, actor: User | None, draft: ItemVersion) -> None:
    draft = ItemVersion.objects.select_for_update().get(pk=draft.pk)
    if draft.status != ItemVersion.Status.DRAFT:
        raise ValidationError(_("A published version cannot be deleted."))
    catalogue_change_record(
        actor=actor,
        action=CatalogueChange.Action.DRAFT_DELETE,
        item=draft.item,
        summary=f"v{draft.number}",
        changes={"fields": version_snapshot(draft)},
    )
    draft.delete()


@transaction.atomic
def item_version_publish(
    *, actor: User | None, draft: ItemVersion, effective_from: dt.date | None = None, correction_reason: str = ""
) -> ItemVersion:
    """Publish a draft from a day on (given, else the draft's planned date, else today); the previous version ends the
    day before. Nothing overlaps. On the day the version in force took effect (today or later), a draft with a
    correction reason replaces it from that same day instead, and the replaced version is marked corrected."""
    # Lock the item: two maintainers publishing at once must not both end the same version.
    ServiceItem.objects.select_for_update().get(pk=draft.item_id)
    draft = ItemVersion.objects.select_related("item").get(pk=draft.pk)
    if draft.status != ItemVersion.Status.DRAFT:
        raise ValidationError(_("Only a draft can be published."))
    effective_from = effective_from or draft.effective_from or timezone.localdate()
    correction_reason = (correction_reason or draft.correction_reason).strip()
    _check_limits({"statutory_limit": draft.statutory_limit, "promised_limit": draft.promised_limit})
    _validated(draft)
    if not draft.materials.exists():
        raise ValidationError(_("A version needs at least one material before it is published."))
    published = draft.item.versions.filter(status__in=[ItemVersion.Status.PUBLISHED, ItemVersion.Status.SUPERSEDED])
    latest = published.order_by("-effective_from").first()
    corrected = _version_corrected_by(latest=latest, effective_from=effective_from, correction_reason=correction_reason)
    if corrected is not None:
        # In force part of the day it began; the correction is in force from that same day on.
        published.filter(pk=corrected.pk).update(
            status=ItemVersion.Status.CORRECTED, effective_to=corrected.effective_from
        )
        published = published.exclude(pk=corrected.pk)
    day_before = effective_from - dt.timedelta(days=1)
    # Every earlier version still valid on or after the new date ends the day before it.
    published.filter(effective_to__isnull=True).update(effective_to=day_before, status=ItemVersion.Status.SUPERSEDED)
    published.filter(effective_to__gte=effective_from).update(
        effective_to=day_before, status=ItemVersion.Status.SUPERSEDED
    )
    draft.status = ItemVersion.Status.PUBLISHED
    draft.effective_from = effective_from
    draft.effective_to = None
    draft.published_at = timezone.now()
    draft.published_by = _actor(actor)
    draft.correction_reason = correction_reason if corrected is not None else ""
    draft.save(
        update_fields=[
            "status",
            "effective_from",
            "effective_to",
            "published_at",
            "published_by",
            "correction_reason",
        ]
    )
    diff: dict[str, Any] = version_diff(latest, draft) if latest is not None else {"fields": version_snapshot(draft)}
    summary = _("v%(number)s in force from %(date)s") % {"number": draft.number, "date": effective_from.isoformat()}
    if corrected is not None:
        diff["corrects"] = {"version": corrected.number, "reason": correction_reason}
        summary = _("v%(number)s corrects v%(corrected)s from %(date)s: %(reason)s") % {
            "number": draft.number,
            "corrected": corrected.number,
            "date": effective_from.isoformat(),
            "reason": correction_reason,
        }
    catalogue_change_record(
        actor=actor,
        action=CatalogueChange.Action.PUBLISH,
        item=draft.item,
        version=draft,
        summary=summary[:300],
        changes=diff,
    )
    transaction.on_commit(catalogue_changed)
    return draft


def _version_corrected_by(
    *, latest: ItemVersion | None, effective_from: dt.date, correction_reason: str
) -> ItemVersion | None:
    """The version a publication on `effective_from` replaces the same day, None when it simply follows the latest;
    refuses a date that neither follows the latest version nor is a same-day correction with its reason."""
    if latest is None or latest.effective_from is None or effective_from > latest.effective_from:
        return None
    after = {"date": latest.effective_from.isoformat(), "number": latest.number}
    if effective_from == latest.effective_from and latest.effective_from >= timezone.localdate():
        if correction_reason:
            return latest
        raise ValidationError(
            {
                "correction_reason": _(
                    "Version %(number)s takes effect on %(date)s: to correct it from the same day, give the reason "
                    "for the correction; otherwise choose a later effective date."
                )
                % after
            }
        )
    raise ValidationError(
        {"effective_from": _("The effective date must be after %(date)s, when version %(number)s took effect.") % after}
    )


@transaction.atomic
def item_implementations_set(
    *,
    actor: User | None,
    item: ServiceItem,
    accepting: list[str],
    approving: list[str],
    sector: str | None = None,
    lookups: dict[str, Any] | None = None,
) -> dict[str, list[str]]:
    """Which districts accept and which approve an item. Districts left out stop (kept inactive, never deleted:
    cases may point at them). Returns and audits what changed."""
    if lookups is None:
        lookups = {
            "districts": {d.division_code: d for d in District.objects.all()},
            "departments": {
                (d.district.division_code, d.sector): d for d in Department.objects.select_related("district")
            },
            "windows": {w.code: w for w in ServiceWindow.objects.all()},
        }
    unknown = sorted({*accepting, *approving} - set(lookups["districts"]))
    if unknown:
        raise ValidationError({"districts": _("Unknown district: %(codes)s") % {"codes": ", ".join(unknown)}})
    if not accepting and not approving:
        raise ValidationError({"districts": _("Name at least one district that accepts or approves the item.")})
    if sector is None:
        version = item.versions.order_by("-number").first()
        sector = version.sector if version else "other"
    wanted = {code: (code in accepting, code in approving) for code in {*accepting, *approving}}
    current = {impl.district.division_code: impl for impl in item.implementations.select_related("district")}
    changed: dict[str, list[str]] = {"added": [], "changed": [], "stopped": []}
    for code, (accepts, approves) in sorted(wanted.items()):
        department = lookups["departments"].get((code, sector))
        if department is None:
            department = lookups["departments"][(code, sector)] = department_for(
                district=lookups["districts"][code], sector=sector
            )
        impl = current.get(code)
        if impl is None:
            ItemImplementation.objects.create(
                item=item,
                district=lookups["districts"][code],
                department=department,
                window=lookups["windows"][window_code(code, GENERAL_WINDOW if approves else ZONE_WINDOW)],
                implementation_code=f"{item.code}-{code}-{department.credit_code}",
                can_accept=accepts,
                can_approve=approves,
            )
            changed["added"].append(code)
        elif (impl.can_accept, impl.can_approve, impl.active) != (accepts, approves, True):
            ItemImplementation.objects.filter(pk=impl.pk).update(can_accept=accepts, can_approve=approves, active=True)
            changed["changed"].append(code)
    for code, impl in sorted(current.items()):
        if code not in wanted and impl.active:
            ItemImplementation.objects.filter(pk=impl.pk).update(active=False)
            changed["stopped"].append(code)
    if any(changed.values()):
        catalogue_change_record(
            actor=actor,
            action=CatalogueChange.Action.IMPLEMENTATION,
            item=item,
            summary=", ".join(f"{k}: {' '.join(v)}" for k, v in changed.items() if v),
            changes={**changed, "accepting": sorted(accepting), "approving": sorted(approving)},
        )
        transaction.on_commit(catalogue_changed)
    return changed


# --- Search vocabulary: synonyms and searches that found nothing ---------------------------------

MISS_QUERY_LENGTH = 100


def _miss_key(query: str) -> str:
    """How a missed query is counted: trimmed, spaces collapsed, lower case (no user, no session, no address)."""
    return " ".join((query or "").split()).lower()[:MISS_QUERY_LENGTH]


def search_miss_record(*, query: str) -> None:
    """Count a search that found nothing: the query, how often, when last. Nothing about who asked."""
    key = _miss_key(query)
    if not key:
        return
    now = timezone.now()
    if SearchMiss.objects.filter(query=key).update(count=F("count") + 1, last_seen=now):
        return
    try:
        with transaction.atomic():
            SearchMiss.objects.create(query=key, count=1, last_seen=now)
    except IntegrityError:  # another process counted the same query first
        SearchMiss.objects.filter(query=key).update(count=F("count") + 1, last_seen=now)


def search_misses_forget(*, actor: User | None, queries: list[str]) -> int:
    """Empty the log of these queries (answered by a synonym, or noise); audited."""
    keys = [_miss_key(q) for q in queries]
    deleted, _detail = SearchMiss.objects.filter(query__in=keys).delete()
    if deleted:
        catalogue_change_record(
            actor=actor,
            action=CatalogueChange.Action.SYNONYM,
            summary=f"searches without results cleared: {', '.join(keys)}",
            changes={"misses_cleared": keys},
        )
    return deleted


@transaction.atomic
def synonym_save(
    *, actor: User | None, word: str, synonym: str, note: str = "", instance: SearchSynonym | None = None
) -> SearchSynonym:
    """Add or change a pair of the search's dictionary; applies to the next search in every process.

    The pair is audited, and the log of searches without results forgets the queries it now answers.
    """
    pair = instance or SearchSynonym()
    before = {"word": pair.word, "synonym": pair.synonym, "note": pair.note}
    pair.word, pair.synonym, pair.note = word, synonym, note
    pair.full_clean()  # normalises both words, refuses an empty or a self-synonym
    pair.save()
    after = {"word": pair.word, "synonym": pair.synonym, "note": pair.note}
    catalogue_change_record(
        actor=actor,
        action=CatalogueChange.Action.SYNONYM,
        summary=f"synonym {'changed' if instance is not None else 'added'}: {pair}",
        changes={k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]},
    )
    SearchMiss.objects.filter(query__in=[_miss_key(pair.word), _miss_key(pair.synonym)]).delete()
    return pair


@transaction.atomic
def synonym_delete(*, actor: User | None, pair: SearchSynonym) -> None:
    catalogue_change_record(actor=actor, action=CatalogueChange.Action.SYNONYM, summary=f"synonym deleted: {pair}")
    pair.delete()
