"""Pages of the documents a case produced (文书): the print view, the PDF, and the public check page."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin

from cases import selectors
from cases.http import document_response
from cases.models import CaseEvent, CasePaper
from cases.services.paperwork import paper_content, paper_html
from govservice import errors


def _paper(request: HttpRequest, reference: str, number: str) -> CasePaper:
    try:
        return selectors.case_paper_for(user=request.user, reference=reference, number=number)
    except errors.NotFound as error:
        raise Http404(str(error)) from error


@xframe_options_sameorigin
def paper_pdf(request: HttpRequest, reference: str, number: str) -> HttpResponseBase:
    """The PDF as issued, for those who may see the case (404 for everyone else); checked against its hash."""
    paper = _paper(request, reference, number)
    try:
        served = selectors.case_paper_file(paper)
    except errors.Conflict as error:
        return render(request, "cases/document_damaged.html", {"reference": reference, "error": error}, status=409)
    return document_response(served)


def paper_print(request: HttpRequest, reference: str, number: str) -> HttpResponse:
    """The print view: the HTML the PDF was drawn from (to print at the window)."""
    paper = _paper(request, reference, number)
    event = CaseEvent.objects.get(case=paper.case, seq=paper.event_seq)
    content = paper_content(
        paper.case, event, kind=paper.kind, number=paper.number, token=paper.verify_token, issued_at=paper.issued_at
    )
    response = HttpResponse(paper_html(content, csp_nonce=str(getattr(request, "csp_nonce", ""))))
    response["Cache-Control"] = "private, no-store"
    return response


def paper_verify(request: HttpRequest, token: str) -> HttpResponse:
    """Public: what a QR code on a document confirms — its number, kind, date, issuer and hash. Nothing of the
    person: no name, no ID number, not even the item applied for."""
    try:
        paper = selectors.paper_by_token(token)
    except errors.NotFound:
        return render(request, "cases/paper_verify.html", {"paper": None}, status=404)
    return render(request, "cases/paper_verify.html", {"paper": paper, "intact": selectors.paper_intact(paper)})
