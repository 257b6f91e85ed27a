"""Verifying a case from this system's own records, with the same checks the offline verifier runs.

`case_bundle` reads the case as c9verify sees it — the events from the database, the signed records, the
anchors from the holding district's own store (trust.anchors), each document hashed as stored on disk — and
`recognition_check` runs c9verify.verify_bundle against the registry at the approving district's 互认. A
failure is recorded (Verification), shown to both districts on the case, and sent to the supervisors.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from c9verify import Bundle, Registry, Report, verify_bundle
from cases.models import Case, CaseEvent, CaseMaterial
from cases.services.guards import supervisor_ids
from govservice import events
from trust.anchors import anchors_covering
from trust.keys import registry_dict
from trust.models import SignedRecord, Verification
from trust.signing import item_content

logger = logging.getLogger(__name__)

# c9verify's kinds of check, as people read them.
CHECK_LABELS = {
    "chain": gettext_lazy("Event chain"),
    "record": gettext_lazy("Signed record"),
    "step": gettext_lazy("Signed step"),
    "item": gettext_lazy("Item version"),
    "document": gettext_lazy("Document"),
    "anchor": gettext_lazy("Anchor"),
    "package": gettext_lazy("Package"),
}
_CHUNK = 1024 * 1024


def registry() -> Registry:
    return Registry.from_dict(registry_dict())


def event_entries(case: Case) -> list[dict[str, Any]]:
    return [
        {"body": json.loads(event.canonical()), "hash": event.hash}
        for event in CaseEvent.objects.filter(case=case).select_related("case").order_by("seq")
    ]


def file_sha256(material: CaseMaterial) -> str | None:
    if not material.file:
        return None
    digest = hashlib.sha256()
    try:
        with material.file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                digest.update(chunk)
    except (OSError, ValueError):
        return None
    return digest.hexdigest()


def case_bundle(case: Case, *, holder: str, reg: Registry) -> Bundle:
    materials = {m.pk: m for m in CaseMaterial.objects.filter(case=case)}

    def document_sha256(material_id: int) -> str | None:
        material = materials.get(material_id)
        return file_sha256(material) if material is not None else None

    return Bundle(
        reference=case.reference,
        events=event_entries(case),
        records=[record.as_signed() for record in SignedRecord.objects.filter(case=case).order_by("event_seq")],
        anchors=anchors_covering(case.reference, holder=holder, registry=reg),
        item=item_content(case.item_version),
        document_sha256=document_sha256,
    )


def case_verify(case: Case, *, holder: str) -> Report:
    reg = registry()
    return verify_bundle(case_bundle(case, holder=holder, reg=reg), reg)


def recognition_check(*, case: Case, actor: User) -> Verification:
    """互认's verification, recorded: on failure both districts and the supervisors hear of it after commit."""
    holder = case.approving_district.division_code
    report = case_verify(case, holder=holder)
    verification = Verification.objects.create(
        case=case,
        ok=report.ok,
        checks=[{"ok": c.ok, "what": c.what, "message": c.message, "data": c.data} for c in report.checks],
        checked_by=actor,
        district_code=holder,
    )
    if not report.ok:
        problems = failure_messages(verification)
        logger.error("case %s does not verify at recognition: %s", case.reference, "; ".join(problems))
        events.send_on_commit(
            events.recipients(
                user_ids=set(supervisor_ids()),
                division_codes={case.accepting_district.division_code, holder},
            ),
            {"type": "case.verification_failed", "reference": case.reference, "problems": problems},
        )
    return verification


def failure_text(failure: dict[str, Any]) -> str:
    """A failed check as people read it (the page's language); c9verify's English detail where none is declared."""
    data: dict[str, Any] = failure.get("data") or {}
    problem = str(data.get("problem", ""))
    what = str(failure.get("what", ""))
    kind = SignedRecord.Kind(data["kind"]).label if data.get("kind") in SignedRecord.Kind.values else ""
    texts = {
        ("chain", "hash"): _("event %(seq)s: its content no longer matches its hash (it was changed)"),
        ("chain", "unlinked"): _("event %(seq)s does not point at the event before it"),
        ("chain", "missing"): _("event %(seq)s is missing"),
        ("record", "wrong_district"): _("signed with another district's key"),
        ("record", "unknown_key"): _("signed with a key the alliance registry does not know"),
        ("record", "outside_period"): _("signed outside the key's validity period"),
        ("record", "bad_signature"): _("the signature does not verify"),
        ("record", "head"): _("the %(kind)s record names a different chain head than event %(seq)s has"),
        ("step", "unsigned"): _("event %(seq)s has no verified signed %(kind)s record"),
        ("step", "other_district"): _("event %(seq)s was signed by another district than the one that took it"),
        ("item", "mismatch"): _("the item version's content differs from the one signed at acceptance"),
        ("document", "missing"): _("%(name)s: the document is missing"),
        ("document", "mismatch"): _("%(name)s: the stored file does not match the SHA-256 signed at acceptance"),
        ("anchor", "rewritten"): _(
            "event %(seq)s no longer has the hash %(district)s anchored on %(at)s: the history was rewritten after"
            " the anchor"
        ),
    }
    text = texts.get((what, problem))
    if text is None:
        return str(failure.get("message", ""))
    return str(text) % {**data, "kind": kind}


def failure_messages(verification: Verification) -> list[str]:
    return [failure_text(check) for check in verification.failures]
