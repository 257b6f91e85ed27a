"""HTTP helpers of the pages and the API: the signed-in user, the request id, a document's response."""

from __future__ import annotations

from typing import Protocol

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest

from accounts.models import User


class Servable(Protocol):
    """A stored file as served: a case's uploaded material (selectors.Document) or a document it produced."""

    @property
    def path(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def inline(self) -> bool: ...
    @property
    def filename(self) -> str: ...


def signed_in_user(request: HttpRequest) -> User:
    """The request's user, signed in: every view of this app requires it (login_required on the pages,
    DRF's IsAuthenticated default on the API), so an anonymous user is refused here as there."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    return user


def request_id(request: HttpRequest) -> str:
    """The id govservice.request_id.RequestIdMiddleware gave the request, for the audit records."""
    return getattr(request, "request_id", "")


def document_response(document: Servable) -> FileResponse:
    """A case document as a response: inline only for the types browsers show safely, a download otherwise.

    Besides `X-Content-Type-Options: nosniff`, an image or a download gets a sandboxing
    Content-Security-Policy (nothing in it may run or load); every document stays out of shared
    caches and is not readable by other origins.
    """
    response = FileResponse(
        open(document.path, "rb"),  # noqa: SIM115 - FileResponse closes it when the response is sent
        content_type=document.content_type,
        as_attachment=not document.inline,
        filename=document.filename,
    )
    if document.content_type != "application/pdf":
        # Chromium refuses to show a PDF in a sandboxed document, so PDFs go without this one.
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
