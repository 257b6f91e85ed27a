"""Who looked at a case (谁查看了我的办件): staff views of the case, its materials and the full ID number.

A view is recorded when someone who is not on the case's applicant side — a clerk, a supervisor, a
standards administrator, an administrator — is shown the case page or the case's API answer, opens one
of its materials, or reads the applicant's full ID number. The applicant side reads the record
(cases.selectors.case_views).

Recording never delays the answer: `case_view_after_response` builds the row in memory (no SQL) and
hands it to the response, whose close — after the last byte has been sent to the client — writes
every row the request collected in one INSERT (`case_views_record`). A failed write is logged and
the page stays served: the view itself already happened.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TypeVar

from django.db import DatabaseError
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone

from accounts.models import User
from cases.models import Case, CaseMaterial, CaseView
from cases.selectors.visibility import case_is_applicant_side

logger = logging.getLogger(__name__)

ResponseT = TypeVar("ResponseT", bound=HttpResponseBase)

# Roles whose looks at a case are recorded for the applicant (besides is_staff / is_superuser accounts).
STAFF_ROLES = frozenset({User.Role.CLERK, User.Role.SUPERVISOR, User.Role.STANDARDS_ADMIN})

# The rows a request has collected, kept on the request until its response closes.
_PENDING = "_case_views_pending"


def case_view_is_recorded(*, case: Case, viewer: User) -> bool:
    """Whether this user's look at this case is recorded: staff, never the applicant side. No SQL."""
    if not viewer.is_authenticated:
        return False
    staff = viewer.role in STAFF_ROLES or viewer.is_staff or viewer.is_superuser
    return staff and not case_is_applicant_side(case=case, user=viewer)


def case_view_after_response(
    *,
    request: HttpRequest,
    response: ResponseT,
    case: Case,
    what: CaseView.What,
    via: CaseView.Via,
    material: CaseMaterial | None = None,
) -> ResponseT:
    """Record a staff member's view of `case` once `response` has been sent; returns the response.

    Adds no SQL statement to the request: the row is written by the response's close.
    """
    viewer = request.user
    if not isinstance(viewer, User) or not case_view_is_recorded(case=case, viewer=viewer):
        return response
    row = CaseView(
        case_id=case.pk,
        viewer_id=viewer.pk,
        viewer_role=viewer.role,
        district_id=viewer.district_id if viewer.role == User.Role.CLERK else None,
        what=what,
        material_id=material.pk if material is not None else None,
        via=via,
        viewed_at=timezone.now(),
        request_id=getattr(request, "request_id", ""),
    )
    pending: list[CaseView] | None = getattr(request, _PENDING, None)
    if pending is None:
        pending = []
        setattr(request, _PENDING, pending)
        # Django closes a response once it has been sent (ASGIHandler after the last body message, the
        # test client after the view) and runs these closers first, before request_finished closes the
        # database connection; HttpResponseBase.close swallows their errors, so case_views_record logs its own.
        # (`_resource_closers` is Django's list of them since 3.0; the stubs leave the private name out.)
        response._resource_closers.append(partial(case_views_record, views=pending))  # type: ignore[attr-defined]
    pending.append(row)
    return response


def case_views_record(*, views: list[CaseView]) -> None:
    """Write collected views in one statement (called when the response closes)."""
    if not views:
        return
    try:
        if len(views) == 1:
            # One autocommit INSERT; bulk_create would wrap even one row in BEGIN … COMMIT (three statements).
            views[0].save(force_insert=True)
        else:
            CaseView.objects.bulk_create(views)
    except DatabaseError:
        logger.exception("could not record %d case view(s) of case %s", len(views), views[0].case_id)
    views.clear()
