"""L15: an uploaded image that declares huge pixel dimensions (a decompression bomb) is refused with a clear
error before anything decodes it — a case's material and a call's snapshot alike; ordinary images still pass."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from rest_framework.test import APIClient

from cases.models import CaseMaterial
from govservice.uploads import ImageTooLarge, image_dimensions_check
from helpdesk.models import Snapshot
from tests import factories as f
from tests.helpdesk.test_api import _session, png_bytes

pytestmark = pytest.mark.django_db


def bomb_png(width: int = 10_000, height: int = 10_000) -> bytes:
    """A PNG of a few hundred bytes that declares width × height grey pixels (one row of data given).

    Decoded, 10,000 × 10,000 takes 100 MB (60,000 × 60,000: 3.6 GB); its header alone says so."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" * (width + 1), 9))
        + chunk(b"IEND", b"")
    )


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_check_reads_the_declared_size_and_refuses_beyond_the_limit(settings: Any) -> None:
    settings.UPLOAD_MAX_IMAGE_PIXELS = 64_000_000
    assert len(bomb_png()) < 1000
    assert image_dimensions_check(SimpleUploadedFile("ok.png", png_bytes())) == (2, 2)
    assert image_dimensions_check(SimpleUploadedFile("ok.png", bomb_png(8000, 8000))) == (8000, 8000)  # at the limit
    with pytest.raises(ImageTooLarge, match="8001"):
        image_dimensions_check(SimpleUploadedFile("big.png", bomb_png(8001, 8000)))
    # Beyond Pillow's own ceiling (its DecompressionBombError) the answer is the same.
    with translation.override("en"), pytest.raises(ImageTooLarge, match="more than 64 million pixels"):
        image_dimensions_check(SimpleUploadedFile("huge.png", bomb_png(60_000, 60_000)))
    with translation.override("zh-hans"), pytest.raises(ImageTooLarge, match="图片过大：超过 64 百万像素"):
        image_dimensions_check(SimpleUploadedFile("huge.png", bomb_png(60_000, 60_000)))
    # Not an image: nothing to measure (the caller's type check decides).
    assert image_dimensions_check(f.pdf_upload()) is None


def test_a_bomb_as_a_case_material_is_refused_with_a_clear_error_and_nothing_is_stored(
    settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    citizen = f.make_user("citizen")
    version = f.make_item()
    from cases.services import case_draft_create

    case = case_draft_create(applicant=citizen, item_version=version, actor=citizen)
    form = version.materials.get(material_type__code="M-FORM")  # accepts pdf, jpg and png
    url = f"/api/cases/{case.reference}/materials/"
    bomb = SimpleUploadedFile("scan.png", bomb_png(), content_type="image/png")
    refused = api(citizen).post(url, {"item_material": form.pk, "file": bomb}, format="multipart")
    assert refused.status_code == 400, refused.content
    body = refused.json()
    assert body["code"] == "invalid" and "10000 × 10000" in body["fields"]["file"][0]
    assert not CaseMaterial.objects.filter(case=case).exists()
    assert not any(tmp_path.rglob("*.png"))
    fine = SimpleUploadedFile("scan.png", png_bytes(), content_type="image/png")
    assert api(citizen).post(url, {"item_material": form.pk, "file": fine}, format="multipart").status_code == 201


def test_a_bomb_as_a_call_snapshot_is_refused_with_a_clear_error(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    session = _session()
    url = f"/api/assist/sessions/{session.pk}/snapshots/"
    bomb = SimpleUploadedFile("still.png", bomb_png(), content_type="image/png")
    refused = api(session.clerk).post(url, {"image": bomb}, format="multipart")
    assert refused.status_code == 409 and refused.json()["code"] == "image_too_large"
    assert "10000 × 10000" in refused.json()["detail"]
    assert not Snapshot.objects.filter(session=session).exists()
