"""Uploaded images are measured before anyone decodes them: a decompression bomb is refused.

A PNG of a few kilobytes can declare 50,000 × 50,000 pixels; decoding it (a thumbnail, a viewer, a PDF) takes
gigabytes. Pillow reads only the image's header on `Image.open` (no pixel is decoded), so the dimensions it
declares are checked against `UPLOAD_MAX_IMAGE_PIXELS` first. Pillow's own guard (`DecompressionBombError`,
raised by `open` beyond twice `Image.MAX_IMAGE_PIXELS`) is caught and answered the same way.
"""

from __future__ import annotations

import warnings
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError


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
