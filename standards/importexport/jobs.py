"""The import as a job: store an upload with its check, queue it once, apply it in a worker, report progress.

The apply runs in a Celery worker (standards.tasks) in one transaction: a failure half-way
rolls everything back. Each changed item becomes a new version through the same services as
manual edits, so versions never overlap and every change is audited. Progress goes to the
cache so that the maintainer's page can show it while the transaction is still open.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from standards import services
from standards.importexport.checking import catalogue_import_check
from standards.importexport.reading import MAX_IMPORT_BYTES, looks_like_xlsx
from standards.models import (
    CatalogueChange,
    CatalogueImport,
    Department,
    District,
    ServiceItem,
    ServiceWindow,
)

log = logging.getLogger(__name__)

PROGRESS_EVERY = 20


def catalogue_import_upload(
    *, actor: User | None, file_name: str, content: bytes, materials_content: bytes | None = None
) -> CatalogueImport:
    """Store an uploaded file with its check: a preview when clean, the row-by-row errors otherwise."""
    checked = catalogue_import_check(file_name=file_name, content=content, materials_content=materials_content)
    oversized = len(content) > MAX_IMPORT_BYTES or len(materials_content or b"") > MAX_IMPORT_BYTES
    return CatalogueImport.objects.create(
        created_by=actor if actor is not None and actor.is_authenticated else None,
        file_name=file_name[:200],
        file_format="xlsx" if looks_like_xlsx(content) else "csv",
        content=b"" if oversized else content,
        materials_content=None if oversized else materials_content,
        status=CatalogueImport.Status.INVALID if checked.errors else CatalogueImport.Status.READY,
        errors=[e.as_dict() for e in checked.errors[:500]],
        preview={**checked.preview, "error_count": len(checked.errors)},
        total_rows=len(checked.items),
    )


def catalogue_import_queue(*, actor: User | None, job: CatalogueImport) -> bool:
    """Hand a checked file to a worker. Compare-and-set, so a double click queues it once."""
    from standards.tasks import catalogue_import_apply_task

    with transaction.atomic():
        queued = CatalogueImport.objects.filter(pk=job.pk, status=CatalogueImport.Status.READY).update(
            status=CatalogueImport.Status.QUEUED
        )
        if queued:
            cache.set(_progress_key(job.pk), 0, timeout=3600)
            # celery-types lacks Task.delay_on_commit (Celery 5.4).
            catalogue_import_apply_task.delay_on_commit(job.pk)  # type: ignore[attr-defined]
    return bool(queued)


def _progress_key(job_id: int) -> str:
    return f"standards:import:{job_id}:progress"


def import_progress(job: CatalogueImport) -> dict[str, Any]:
    job.refresh_from_db(fields=["status", "processed_rows", "total_rows", "finished_at"])
    processed = job.processed_rows
    if job.status in (CatalogueImport.Status.QUEUED, CatalogueImport.Status.APPLYING):
        try:
            processed = int(cache.get(_progress_key(job.pk)) or 0)
        except Exception:  # noqa: BLE001 - progress is a nicety; the status is in the database
            processed = 0
    total = job.total_rows or 0
    return {
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "processed": processed,
        "total": total,
        "percent": int(100 * processed / total) if total else (100 if job.status == CatalogueImport.Status.DONE else 0),
        "finished": job.status
        in (CatalogueImport.Status.DONE, CatalogueImport.Status.FAILED, CatalogueImport.Status.INVALID),
    }


def catalogue_import_apply(*, job: CatalogueImport, actor: User | None = None) -> dict[str, int]:
    """Apply a checked file in one transaction: new items, new versions for changed ones. All or nothing."""
    checked = catalogue_import_check(
        file_name=job.file_name,
        content=bytes(job.content),
        materials_content=bytes(job.materials_content) if job.materials_content is not None else None,
    )
    if checked.errors:
        raise ValidationError([e.message for e in checked.errors[:20]])
    lookups = {
        "districts": {d.division_code: d for d in District.objects.all()},
        "departments": {(d.district.division_code, d.sector): d for d in Department.objects.select_related("district")},
        "windows": {w.code: w for w in ServiceWindow.objects.all()},
    }
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    with transaction.atomic():
        for done, parsed in enumerate(checked.items, start=1):
            state = parsed.fields.pop("_state", "changed")
            counts[state] += 1
            if state == "new":
                draft = services.item_create(
                    actor=actor, code=parsed.code, fields=parsed.fields, materials=parsed.materials
                )
                services.item_version_publish(actor=actor, draft=draft, effective_from=parsed.effective_from)
            elif state == "changed":
                item = ServiceItem.objects.get(code=parsed.code)
                draft = services.item_draft_create(actor=actor, item=item)
                services.item_draft_update(actor=actor, draft=draft, fields=parsed.fields, materials=parsed.materials)
                services.item_version_publish(actor=actor, draft=draft, effective_from=parsed.effective_from)
            item = ServiceItem.objects.get(code=parsed.code)
            services.item_implementations_set(
                actor=actor,
                item=item,
                sector=parsed.fields["sector"],
                accepting=parsed.accepting,
                approving=parsed.approving,
                lookups=lookups,
            )
            if done % PROGRESS_EVERY == 0:
                try:
                    cache.set(_progress_key(job.pk), done, timeout=3600)
                except Exception:  # noqa: BLE001 - progress must never break the import
                    log.warning("catalogue import %s: progress not stored", job.pk, exc_info=True)
        services.catalogue_change_record(
            actor=actor,
            action=CatalogueChange.Action.IMPORT,
            summary=_("Import of %(file)s: %(new)s new, %(changed)s changed, %(unchanged)s unchanged")
            % {"file": job.file_name, **counts},
            changes={"import": job.pk, **counts},
        )
    return counts


def catalogue_import_mark(
    *, job_id: int, status: str, processed: int | None = None, errors: list[dict[str, Any]] | None = None
) -> None:
    values: dict[str, Any] = {"status": status}
    if processed is not None:
        values["processed_rows"] = processed
    if errors is not None:
        values["errors"] = errors
    if status in (CatalogueImport.Status.DONE, CatalogueImport.Status.FAILED):
        values["finished_at"] = timezone.now()
    CatalogueImport.objects.filter(pk=job_id).update(**values)
