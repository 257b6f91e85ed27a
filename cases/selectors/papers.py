"""The documents a case produced (文书), as those who may see the case read them, and their public check."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from cases.models import Case, CasePaper
from cases.selectors.documents import stored_file_matches
from cases.selectors.visibility import cases_visible_to
from govservice.errors import Conflict, NotFound


@dataclass(frozen=True)
class PaperFile:
    """A document as cases.http.document_response serves it."""

    paper: CasePaper
    path: str
    content_type: str = "application/pdf"
    inline: bool = True

    @property
    def filename(self) -> str:
        return f"{self.paper.number}.pdf"


def case_papers(case: Case) -> QuerySet[CasePaper]:
    """A case's documents, oldest first (the caller has checked that the case is visible)."""
    return CasePaper.objects.filter(case=case).order_by("issued_at", "id")


def case_paper_for(*, user: User | AnonymousUser, reference: str, number: str) -> CasePaper:
    """The document, if `user` may see its case; NotFound (404) for everyone else, as for the case itself."""
    paper = (
        CasePaper.objects.filter(number=number, case__reference=reference, case__in=cases_visible_to(user).values("pk"))
        .select_related("case")
        .first()
    )
    if paper is None:
        raise NotFound(_("No such document."))
    return paper


def case_paper_file(paper: CasePaper) -> PaperFile:
    """The stored PDF if it still has the SHA-256 written to the chain; Conflict (409) if it is damaged."""
    if not paper_intact(paper):
        raise Conflict(
            _("This document is damaged: the stored file no longer matches the one issued."), code="document_damaged"
        )
    return PaperFile(paper=paper, path=paper.file.path)


def paper_intact(paper: CasePaper) -> bool:
    return stored_file_matches(paper.file, paper.sha256)


def paper_by_token(token: str) -> CasePaper:
    """The document a QR code names (anyone may check it); NotFound for an unknown token."""
    paper = (
        CasePaper.objects.filter(verify_token=token)
        .select_related("case__accepting_district", "case__approving_district", "case__item_version")
        .first()
    )
    if paper is None or not token:
        raise NotFound(_("No document has this check code."))
    return paper
