from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.core.exceptions import ValidationError

from standards.importexport import catalogue_import_apply, catalogue_import_mark
from standards.models import CatalogueImport

log = logging.getLogger(__name__)


def _file_error(message: str) -> dict[str, Any]:
    """A failure of the whole file, in the shape of the import report's rows (ImportError_.as_dict)."""
    return {"sheet": "file", "sheet_label": "", "row": None, "column": "", "column_label": "", "message": message}


@shared_task(acks_late=True)
def catalogue_import_apply_task(job_id: int) -> None:
    """Apply a checked catalogue file. The job row moves queued -> applying -> done | failed exactly once."""
    # Compare-and-set: a redelivered message finds the job no longer queued and stops.
    if not CatalogueImport.objects.filter(pk=job_id, status=CatalogueImport.Status.QUEUED).update(
        status=CatalogueImport.Status.APPLYING
    ):
        return
    job = CatalogueImport.objects.select_related("created_by").get(pk=job_id)
    try:
        counts = catalogue_import_apply(job=job, actor=job.created_by)
    except ValidationError as error:
        catalogue_import_mark(
            job_id=job_id,
            status=CatalogueImport.Status.FAILED,
            errors=[_file_error(m) for m in error.messages],
        )
        return
    except Exception as error:
        log.exception("catalogue import %s failed", job_id)
        catalogue_import_mark(
            job_id=job_id,
            status=CatalogueImport.Status.FAILED,
            errors=[_file_error(f"{type(error).__name__}: {error}")],
        )
        return
    catalogue_import_mark(job_id=job_id, status=CatalogueImport.Status.DONE, processed=sum(counts.values()))
