"""Pages: the supervisors' follow-ups of bad ratings (好差评 整改) — the list and one follow-up's page, where a
return visit, the rectification and the closing are recorded. Thin over cases.services.follow_ups; who sees
which follow-up is cases.selectors.follow_ups_visible_to."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from cases import selectors, services
from cases.http import request_id, signed_in_user
from cases.models import FollowUp, ReturnVisit
from cases.selectors import follow_ups as fu
from govservice import errors

# The list shows this many, the most urgent first; the filters narrow it (200 rows took some 150 ms to render).
LISTED = 50


def _supervisor(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if user.role != User.Role.SUPERVISOR:
        raise PermissionDenied
    return user


def _follow_up(request: HttpRequest, pk: int) -> FollowUp:
    return get_object_or_404(selectors.follow_ups_visible_to(signed_in_user(request)), pk=pk)


@login_required
def follow_up_list(request: HttpRequest) -> HttpResponse:
    user = _supervisor(request)
    filters = selectors.FollowUpFilters.from_query(request.GET)
    follow_ups = selectors.follow_up_list(user=user, filters=filters)
    today = timezone.localdate()
    rows = [(item, fu.standing(item, today=today)) for item in follow_ups[:LISTED]]
    return render(
        request,
        "cases/follow_ups.html",
        {
            "rows": [(item, value, fu.STANDINGS[value], fu.BADGES[value]) for item, value in rows],
            "filters": filters,
            "standings": list(fu.STANDINGS.items()),
            "districts": selectors.follow_up_districts(user),
            "count": follow_ups.count(),
            "listed": LISTED,
        },
    )


@login_required
def follow_up_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _supervisor(request)
    follow_up = _follow_up(request, pk)
    value = fu.standing(follow_up)
    return render(
        request,
        "cases/follow_up_detail.html",
        {
            "fu": follow_up,
            "case": follow_up.rating.case,
            "rating": selectors.rating_shown(follow_up.rating.case),
            "visits": follow_up.visits.select_related("visitor"),
            "standing": value,
            "standing_label": fu.STANDINGS[value],
            "badge": fu.BADGES[value],
            "methods": ReturnVisit.Method.choices,
            "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )


def _done(request: HttpRequest, pk: int, message: str, error: Exception | None) -> HttpResponse:
    if error is None:
        messages.success(request, message)
    else:
        domain = errors.as_domain_error(error)
        if isinstance(domain, errors.NotFound | errors.NotAllowed):
            raise PermissionDenied(domain.message) from error
        messages.error(request, " ".join(dict.fromkeys(errors.error_messages(error))))
    return redirect("cases-follow-up", pk=pk)


@login_required
@require_POST
def follow_up_visit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _supervisor(request)
    follow_up = _follow_up(request, pk)
    when = parse_datetime(request.POST.get("visited_at", "") or "")
    try:
        if when is None:
            message = _("Give the date and time of the return visit.")
            raise errors.Invalid(message, fields={"visited_at": [message]})
        services.follow_up_record_visit(
            follow_up=follow_up,
            actor=actor,
            visited_at=when if timezone.is_aware(when) else timezone.make_aware(when),
            method=request.POST.get("method", ""),
            citizen_said=request.POST.get("citizen_said", ""),
            request_id=request_id(request),
        )
    except (errors.DomainError, ValidationError) as error:
        return _done(request, pk, "", error)
    return _done(request, pk, _("Return visit recorded."), None)


@login_required
@require_POST
def follow_up_rectify(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _supervisor(request)
    follow_up = _follow_up(request, pk)
    try:
        services.follow_up_record_rectification(
            follow_up=follow_up,
            actor=actor,
            rectification=request.POST.get("rectification", ""),
            rectified_by=request.POST.get("rectified_by", ""),
            request_id=request_id(request),
        )
    except (errors.DomainError, ValidationError) as error:
        return _done(request, pk, "", error)
    return _done(request, pk, _("Rectification recorded."), None)


@login_required
@require_POST
def follow_up_close(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _supervisor(request)
    follow_up = _follow_up(request, pk)
    try:
        services.follow_up_close(
            follow_up=follow_up, actor=actor, note=request.POST.get("note", ""), request_id=request_id(request)
        )
    except (errors.DomainError, ValidationError) as error:
        return _done(request, pk, "", error)
    return _done(request, pk, _("Follow-up closed; the applicant is told the result."), None)
