"""A case's documents (uploaded materials) as those who may see the case read them.

Files are served only through an authorised view (cases.views.case_document, and the API's
`materials/<id>/file/`): never from a public media URL. The file's SHA-256, recorded at upload,
is checked again on every read, so a file changed on disk is reported as damaged instead of
being served as if it were whole. Only the types a browser shows safely are served inline;
everything else is a download of type application/octet-stream (never HTML or SVG on the
site's origin, whatever the stored type says).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from accounts.models import User
from cases.models import CaseMaterial
from cases.selectors.visibility import cases_visible_to
from govservice.errors import Conflict, NotFound

logger = logging.getLogger(__name__)

# Types a browser renders without running anything of the document's: PDFs in its viewer, raster images.
INLINE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"})
DOWNLOAD_TYPE = "application/octet-stream"
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Document:
    material: CaseMaterial
    path: str
    content_type: str
    inline: bool
    filename: str


def case_document_for(*, user: User | AnonymousUser, reference: str, material_id: int) -> Document:
    """The document, if `user` may see its case and the file is whole; NotFound or Conflict otherwise.

    Outsiders, clerks of other districts and anonymous users get NotFound (404), as for the case itself.
    """
    material = (
        CaseMaterial.objects.filter(
            pk=material_id, case__reference=reference, case__in=cases_visible_to(user).values("pk")
        )
        .select_related("case", "item_material__material_type")
        .first()
    )
    if material is None or not material.file:
        raise NotFound(_("No such document."))
    if not document_intact(material):
        logger.error(
            "case %s: material %s no longer matches its SHA-256; not served", material.case.reference, material.pk
        )
        raise Conflict(
            _("This document is damaged: the stored file no longer matches the one uploaded. Ask for it again."),
            code="document_damaged",
        )
    inline = material.content_type in INLINE_TYPES
    return Document(
        material=material,
        path=material.file.path,
        content_type=material.content_type if inline else DOWNLOAD_TYPE,
        inline=inline,
        # A name the server makes (ASCII: reference, material type, extension), not the uploader's.
        filename=f"{material.case.reference}-{material.item_material.material_type.code}.{material.extension or 'bin'}",
    )


def document_intact(material: CaseMaterial) -> bool:
    """Whether the stored file still has the SHA-256 recorded at upload (a missing file is not intact)."""
    return stored_file_matches(material.file, material.sha256)


def stored_file_matches(file: FieldFile, sha256: str) -> bool:
    """Whether a stored file still has the SHA-256 recorded for it (a missing file, or no hash, never matches)."""
    if not sha256:
        return False
    digest = hashlib.sha256()
    try:
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                digest.update(chunk)
    except (OSError, ValueError):
        return False
    return digest.hexdigest() == sha256
