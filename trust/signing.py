"""Signing a case's steps: the canonical record of each step, signed by the district that takes it.

`step_sign` is called by cases.services.transitions inside the step's own transaction, right after the step's
event is appended, so the record names that event as the chain's head and commits (or not) with the step.
The acceptance record holds what the accepting window answers for (国办发〔2020〕35号: 形式审查 and 身份核验):
the case, the pinned item version with the SHA-256 of its published content, each material with its file's
SHA-256 and the check's verdict and reason, how the identity was verified, the clerk, the window, the time
and the chain head. Returns, decisions and delivery carry their reason or outcome the same way.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import User
from c9verify import canonical_json, sha256_hex
from c9verify.checks import SIGNED_ACTIONS
from cases.models import Case, CaseEvent, CaseMaterial, IdentityCheck, MaterialCheck
from standards.models import District, ItemVersion
from trust.keys import Signer, signer_for
from trust.models import SignedRecord

# Fields of a version that are not its published content: bookkeeping, or set later (the next version's
# publication closes this one's effective_to).
_NOT_CONTENT = {"id", "status", "effective_to", "published_at", "published_by", "name_initials"}


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _fields(instance: models.Model, skip: set[str]) -> dict[str, Any]:
    return {
        field.attname: _json_value(field.value_from_object(instance))
        for field in instance._meta.concrete_fields
        if field.name not in skip
    }


def item_content(version: ItemVersion) -> bytes:
    """The canonical published content of an item version: its standard's fields and its materials."""
    body = _fields(version, _NOT_CONTENT)
    body["item_code"] = version.item.code
    body["materials"] = [_fields(m, {"id", "version"}) for m in version.materials.order_by("position", "pk")]
    return canonical_json(body)


# A published version never changes (standards refuses it), so its digest is kept per process.
# Keyed by id and publication time (an id alone can come back, e.g. on SQLite after a rollback).
_item_digests: dict[tuple[int, str], dict[str, Any]] = {}


def item_signed(version: ItemVersion) -> dict[str, Any]:
    """What the acceptance record says of the pinned version: item code, version number, content SHA-256."""
    key = (version.pk, version.published_at.isoformat() if version.published_at else "")
    signed = _item_digests.get(key)
    if signed is None:
        signed = {"code": version.item.code, "version": version.number, "sha256": sha256_hex(item_content(version))}
        if version.status == ItemVersion.Status.PUBLISHED and version.published_at is not None:
            _item_digests[key] = signed
    return dict(signed)


def _district_name(case: Case, code: str) -> str:
    for district in (case.accepting_district, case.approving_district):
        if district.division_code == code:
            return district.name
    return District.objects.values_list("name", flat=True).get(division_code=code)


def _base(case: Case, event: CaseEvent, actor: User | None, kind: str) -> dict[str, Any]:
    window = getattr(actor, "window", None) if actor is not None else None
    return {
        "v": 1,
        "kind": kind,
        "case": case.reference,
        "district": event.district_code,
        "district_name": _district_name(case, event.district_code),
        "window": event.window_code,
        "window_name": window.name if window is not None else "",
        "clerk": {"id": actor.pk, "name": actor.get_full_name() or actor.username} if actor is not None else None,
        "at": timezone.now().isoformat(timespec="microseconds"),
        "event_seq": event.seq,
        "chain_head": event.hash,
        "action": event.action,
    }


def acceptance_payload(case: Case, event: CaseEvent, actor: User | None) -> dict[str, Any]:
    """Read in two plain queries (the step's p95 budget is a few ms): the current uploads each with its newest
    check of the same bytes (as cases.selectors.checks.current_checks counts it), and the identity check."""
    payload = _base(case, event, actor, SignedRecord.Kind.ACCEPTANCE)
    version = case.item_version
    payload["item"] = item_signed(version)
    newest = MaterialCheck.objects.filter(material=OuterRef("pk"), sha256=OuterRef("sha256")).order_by(
        "-checked_at", "-id"
    )
    uploads = (
        CaseMaterial.objects.filter(case=case, current=True)
        .order_by("item_material__position", "id")
        .annotate(verdict=Subquery(newest.values("verdict")[:1]), reason=Subquery(newest.values("reason")[:1]))
        .values(
            "pk",
            "item_material_id",
            "item_material__material_type__code",
            "item_material__name",
            "sha256",
            "spared_by_elicence",
            "file",
            "verdict",
            "reason",
        )
    )
    materials = [
        {
            "material": upload["pk"] if upload["file"] else None,
            "item_material": upload["item_material_id"],
            "code": upload["item_material__material_type__code"],
            "name": upload["item_material__name"],
            "sha256": upload["sha256"],
            "spared_by_elicence": upload["spared_by_elicence"],
            "verdict": upload["verdict"],
            "reason": upload["reason"] or "",
        }
        for upload in uploads
    ]
    payload["materials"] = materials
    identity = (
        IdentityCheck.objects.filter(case=case).order_by("-checked_at", "-id").values("method", "event_seq").first()
    )
    payload["identity"] = dict(identity) if identity else None
    return payload


def step_payload(case: Case, event: CaseEvent, actor: User | None) -> dict[str, Any]:
    kind = SIGNED_ACTIONS[event.action]
    if kind == SignedRecord.Kind.ACCEPTANCE:
        return acceptance_payload(case, event, actor)
    payload = _base(case, event, actor, kind)
    payload["reason"] = event.reason
    payload["data"] = event.data
    if kind == SignedRecord.Kind.DECISION:
        payload["outcome"] = event.action
    return payload


def sign_payload(payload: dict[str, Any], signer: Signer) -> tuple[str, str, str]:
    """(canonical text, key id, base64 signature)."""
    text = canonical_json(payload)
    return text.decode(), signer.key_id, base64.b64encode(signer.sign(text)).decode()


def step_sign(case: Case, *, event: CaseEvent, actor: User | None) -> SignedRecord | None:
    """Sign the step `event` records, if it is one the district answers for (c9verify.checks.SIGNED_ACTIONS)."""
    if event.action not in SIGNED_ACTIONS:
        return None
    signer = signer_for(event.district_code)  # first: its key's period must hold the record's time
    payload = step_payload(case, event, actor)
    text, key_id, signature = sign_payload(payload, signer)
    return SignedRecord.objects.create(
        case=case,
        kind=payload["kind"],
        event_seq=event.seq,
        district_code=payload["district"],
        key_id=key_id,
        payload=text,
        signature=signature,
        signed_at=dt.datetime.fromisoformat(payload["at"]),
    )
