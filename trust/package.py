"""Exporting a case as one zip file that c9verify checks offline (format: c9verify.package)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

from django.utils import timezone

from c9verify.package import FORMAT
from cases.models import Case, CaseMaterial
from trust.models import SignedRecord
from trust.verification import case_bundle, registry


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1).encode()


def package_material_ids(case: Case) -> set[int]:
    """The uploads the package holds: those the case's acceptance records name."""
    return {
        int(m["material"])
        for record in SignedRecord.objects.filter(case=case, kind=SignedRecord.Kind.ACCEPTANCE)
        for m in record.data.get("materials", [])
        if m.get("material")
    }


def case_package(case: Case, *, holder: str) -> bytes:
    """The package: the manifest, the event chain, the signed records, the anchors in the holder district's
    store that cover the case, the item version's content, and the documents the acceptance record names."""
    bundle = case_bundle(case, holder=holder, reg=registry())
    members: dict[str, bytes] = {
        "events.json": _dump(bundle.events),
        "records.json": _dump(bundle.records),
        "anchors.json": _dump(bundle.anchors),
        "item.json": bundle.item or b"",
    }
    documents: dict[str, str] = {}
    named = package_material_ids(case)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        listed: dict[str, str] = {}
        for material in CaseMaterial.objects.filter(pk__in=named).select_related("item_material__material_type"):
            name = f"documents/{material.pk}-{material.item_material.material_type.code}.{material.extension or 'bin'}"
            digest = hashlib.sha256()
            try:
                with material.file.open("rb") as source, archive.open(name, "w", force_zip64=True) as target:
                    for chunk in iter(lambda: source.read(1024 * 1024), b""):
                        digest.update(chunk)
                        target.write(chunk)
            except (OSError, ValueError):
                continue  # a missing file: the verifier reports the document as missing
            documents[str(material.pk)] = name
            listed[name] = digest.hexdigest()
        for name, body in members.items():
            archive.writestr(name, body)
            listed[name] = hashlib.sha256(body).hexdigest()
        manifest = {
            "format": FORMAT,
            "case": case.reference,
            "exported_at": timezone.now().isoformat(),
            "holder": holder,
            "files": listed,
            "documents": documents,
        }
        archive.writestr("manifest.json", _dump(manifest))
    return buffer.getvalue()
