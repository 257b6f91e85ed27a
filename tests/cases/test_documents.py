"""A case's documents: served only through the authorised view, to those who may see the case, whole or not at all."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from cases import services
from cases.models import Case, CaseMaterial
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed_case(cast: dict[str, User], django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> Case:
    """The owner's case, accepted in Huangpu and routed to Shushan: both districts may see it."""
    case = f.submitted_case(applicant=cast["owner"], version=f.make_item())
    with django_capture_on_commit_callbacks(execute=False):
        case = f.accept_checked(case, cast["huangpu_clerk"])
    services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
    return Case.objects.get(pk=case.pk)


def document(case: Case) -> CaseMaterial:
    return case.materials.current_files().first()  # type: ignore[return-value]


def url(case: Case, material: CaseMaterial) -> str:
    return reverse("cases-document", args=[case.reference, material.pk])


def api_url(case: Case, material: CaseMaterial) -> str:
    return f"/api/cases/{case.reference}/materials/{material.pk}/file/"


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["owner", "colleague", "huangpu_clerk", "shushan_clerk", "supervisor"])
def test_those_who_may_see_the_case_open_its_pdf_inline_with_safe_headers(
    routed_case: Case, cast: dict[str, User], who: str
) -> None:
    material = document(routed_case)
    response = client_for(cast[who]).get(url(routed_case, material))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline;")
    assert routed_case.reference in response["Content-Disposition"]  # a name the server made
    assert "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == f.PDF_BYTES  # type: ignore[attr-defined]


@pytest.mark.parametrize("who", [None, "other_firm", "citizen", "gusu_clerk", "standards_admin"])
def test_everyone_else_gets_404_on_the_page_and_the_api(routed_case: Case, cast: dict[str, User], who: str) -> None:
    material = document(routed_case)
    user = cast[who] if who else None
    assert client_for(user).get(url(routed_case, material)).status_code == 404
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    response = api.get(api_url(routed_case, material))
    if user is None:
        # The API refuses anonymous callers before it looks anything up, the same for every case reference.
        assert (response.status_code, response.json()["code"]) == (403, "not_authenticated")
    else:
        assert response.status_code == 404


def test_a_document_of_another_case_is_not_reachable_through_this_cases_address(
    routed_case: Case, cast: dict[str, User]
) -> None:
    other = f.submitted_case(applicant=cast["citizen"])
    response = client_for(cast["owner"]).get(url(routed_case, document(other)))
    assert response.status_code == 404


def test_a_tampered_file_is_reported_as_damaged_and_never_served(routed_case: Case, cast: dict[str, User]) -> None:
    material = document(routed_case)
    with open(material.file.path, "r+b") as handle:
        handle.seek(10)
        handle.write(b"X")
    page = client_for(cast["shushan_clerk"]).get(url(routed_case, material))
    assert page.status_code == 409
    assert "损坏" in page.content.decode() or "damaged" in page.content.decode()
    assert f.PDF_BYTES[:8] not in page.content
    api = APIClient()
    api.force_authenticate(cast["shushan_clerk"])
    response = api.get(api_url(routed_case, material))
    assert response.status_code == 409 and response.json()["code"] == "document_damaged"


@pytest.mark.parametrize(
    ("stored_type", "body"),
    [("text/html", b"<script>alert(1)</script>"), ("image/svg+xml", b"<svg onload='alert(1)'/>")],
)
def test_html_or_svg_is_never_rendered_even_if_the_stored_type_says_so(
    routed_case: Case, cast: dict[str, User], stored_type: str, body: bytes
) -> None:
    # Uploads are checked by their bytes and refuse both; a row changed behind the service's back is
    # still served only as a sandboxed download.
    material = document(routed_case)
    with open(material.file.path, "wb") as handle:
        handle.write(body)
    CaseMaterial.objects.filter(pk=material.pk).update(
        content_type=stored_type, sha256=hashlib.sha256(body).hexdigest()
    )
    response = client_for(cast["owner"]).get(url(routed_case, material))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]


def test_an_html_or_svg_upload_is_refused_by_its_bytes(cast: dict[str, User]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from govservice.errors import DomainError

    case = services.case_draft_create(applicant=cast["citizen"], item_version=f.make_item(), actor=cast["citizen"])
    material = case.item_version.materials.first()
    assert material is not None
    for name, body in [("a.html", b"<html><script>alert(1)</script></html>"), ("b.svg", b"<svg xmlns='x'/>")]:
        with pytest.raises(DomainError):
            services.case_material_add(
                case=case,
                item_material=material,
                uploaded_file=SimpleUploadedFile(name, body, content_type="application/pdf"),
                actor=cast["citizen"],
            )


def test_the_case_page_links_each_uploaded_document_to_the_authorised_view(
    routed_case: Case, cast: dict[str, User]
) -> None:
    page = client_for(cast["owner"]).get(reverse("cases-detail", args=[routed_case.reference])).content.decode()
    assert url(routed_case, document(routed_case)) in page
    assert "/media/" not in page
