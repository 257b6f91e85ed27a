"""The case package: one zip file a standalone verifier checks offline.

Members: `manifest.json` (format, case, what each member holds and its SHA-256), `events.json` (each event's
canonical body and hash), `records.json` (the signed step records), `anchors.json` (the anchors covering the
case, each with the case's leaf and Merkle proof), `item.json` (the pinned item version's canonical content)
and `documents/<material id>-<code>.<ext>` (the files the acceptance record names).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from c9verify.checks import Bundle, Report, verify_bundle
from c9verify.registry import Registry

FORMAT = "c9-case-package/1"


def _json(archive: zipfile.ZipFile, name: str) -> Any:
    return json.loads(archive.read(name).decode())


def verify_package(path: str | Path, registry: Registry) -> Report:
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        manifest = _json(archive, "manifest.json")
        report = Report(str(manifest.get("case", "")))
        if manifest.get("format") != FORMAT:
            report.failed("package", f"unknown package format {manifest.get('format')!r}")
            return report
        listed: dict[str, str] = manifest.get("files", {})
        for name, expected in sorted(listed.items()):
            if name not in names:
                report.failed("package", f"{name} is listed but missing")
            elif hashlib.sha256(archive.read(name)).hexdigest() != expected:
                report.failed("package", f"{name} differs from the manifest's SHA-256")
        documents: dict[int, str] = {int(k): v for k, v in manifest.get("documents", {}).items()}

        def document_sha256(material_id: int) -> str | None:
            name = documents.get(material_id)
            if name is None or name not in names:
                return None
            digest = hashlib.sha256()
            with archive.open(name) as handle:
                for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                    digest.update(chunk)
            return digest.hexdigest()

        bundle = Bundle(
            reference=report.reference,
            events=_json(archive, "events.json"),
            records=_json(archive, "records.json"),
            anchors=_json(archive, "anchors.json"),
            item=archive.read("item.json") if "item.json" in names else None,
            document_sha256=document_sha256,
        )
        checked = verify_bundle(bundle, registry)
    report.checks.extend(checked.checks)
    return report
