"""Uploads: images measured before anyone decodes them, and a full disk answered as such.

A full media disk (ENOSPC, or a quota: EDQUOT) while a file is written is `StorageFull`, a domain error
answered 507 `storage_full` with a clear message (`upload_save`); the caller writes inside its transaction,
so the row, the chain event and the "current" flag of an earlier upload roll back with it: nothing is lost.

Decompression bombs:

A PNG of a few kilobytes can declare 50,000 × 50,000 pixels; decoding it (a thumbnail, a viewer, a PDF) takes
gigabytes. Pillow reads only the image's header on `Image.open` (no pixel is decoded), so the dimensions it
declares are checked against `UPLOAD_MAX_IMAGE_PIXELS` first. Pillow's own guard (`DecompressionBombError`,
raised by `open` beyond twice `Image.MAX_IMAGE_PIXELS`) is caught and answered the same way.
"""

from __future__ import annotations

import errno
import warnings
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from govservice.errors import DomainError

_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


class StorageFull(DomainError):
    """The file could not be written: the storage is full. 507; nothing of the request was kept."""

    status_code = 507
    default_code = "storage_full"


def upload_save(field_file: Any, name: str, content: Any) -> None:
    """`FieldFile.save(name, content, save=False)`, a full disk turned into StorageFull."""
    try:
        field_file.save(name, content, save=False)
    except OSError as exc:
        if exc.errno in _DISK_FULL:
            raise StorageFull(_("The file could not be stored: the storage is full. Nothing was saved.")) from exc
        raise


class ImageTooLarge(ValueError):
    """The image declares more pixels than an upload may have; `str()` is the message for the user."""


def image_dimensions_check(uploaded_file: Any) -> tuple[int, int] | None:
    """The width and height an uploaded image declares, refused (ImageTooLarge) above the pixel limit.

    None when Pillow does not recognise the file as an image (a PDF, or bytes the caller's type check
    already judged). The file's position is put back at its start.
    """
    limit: int = settings.UPLOAD_MAX_IMAGE_PIXELS
    uploaded_file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(uploaded_file) as image:  # reads the header only
                width, height = image.size
    except Image.DecompressionBombError as exc:  # beyond Pillow's own ceiling, far beyond ours
        raise ImageTooLarge(
            _("The image is too large: more than %(megapixels)s million pixels.") % {"megapixels": limit // 1_000_000}
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    finally:
        uploaded_file.seek(0)
    if width * height > limit:
        raise ImageTooLarge(
            _("The image is too large: %(width)s × %(height)s pixels; at most %(megapixels)s million pixels.")
            % {"width": width, "height": height, "megapixels": limit // 1_000_000}
        )
    return width, height
