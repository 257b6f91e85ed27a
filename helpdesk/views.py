"""Pages of the one-click response: the citizen's call page and the clerk's console."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.models import User
from govservice.errors import DomainError, NotFound, error_messages
from helpdesk import services
from helpdesk.models import WRAP_UP_OUTCOMES, AssistRequest, CallSession, ClerkProfile, Language, PriorityReason
from standards.models import District, ItemVersion


class SignedInRequest(HttpRequest):
    """The request of a view behind @login_required: its user is signed in (for the type checker)."""

    user: User


# What the one-click button carries from its page: kept through signing in (as the query of the login's `next`).
START_CONTEXT = ("item_version", "case", "language", "priority_reason", "district")


@require_http_methods(["GET", "POST"])
def assist_start(request: HttpRequest) -> HttpResponse:
    """The one-click button, from any page, signed in or out.

    POST joins the queue. Signed out, the button's POST (or a GET) leads to the login, then back here by GET with
    the page's context: GET only shows a confirm page whose button POSTs (never a GET side effect).
    """
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        source = request.POST if request.method == "POST" else request.GET
        query = urlencode({name: source[name] for name in START_CONTEXT if source.get(name)})
        start = reverse("helpdesk:start") + (f"?{query}" if query else "")
        return redirect_to_login(start)
    if user.is_clerk:
        return redirect("helpdesk:console")
    if request.method == "GET":
        return render(
            request,
            "helpdesk/start.html",
            {
                "context": {name: request.GET[name][:32] for name in START_CONTEXT if request.GET.get(name)},
                "open_request": AssistRequest.objects.filter(citizen=user, state__in=AssistRequest.OPEN_STATES).first(),
                "languages": Language.choices,
                "priority_reasons": PriorityReason.choices,
            },
        )
    version = None
    if request.POST.get("item_version", "").isdigit():
        version = ItemVersion.objects.filter(pk=int(request.POST["item_version"])).select_related("item").first()
    # The case of the page, by its reference (never its primary key).
    case_ref = request.POST.get("case", "").strip()[:32]
    language = request.POST.get("language", "")
    if language not in Language.values:
        language = Language.MANDARIN
    # Kept as declared; only a priority the system can verify orders the queue (services.limits).
    reason = request.POST.get("priority_reason")
    if reason not in PriorityReason.values:
        reason = PriorityReason.NONE
    # The district the call is about (a firm's call to its specialist there), by its division code.
    district = District.objects.filter(division_code=request.POST.get("district", "")[:12]).first()
    try:
        assist = services.assist_request_create(
            citizen=user,
            item_version=version,
            case_ref=case_ref,
            language=language,
            priority_reason=reason,
            district=district,
        )
    except DomainError as exc:
        for message in error_messages(exc):
            messages.error(request, message)
        return redirect("helpdesk:citizen")
    return redirect("helpdesk:request", pk=assist.pk)


@login_required
def citizen_page(request: SignedInRequest) -> HttpResponse:
    """The entry page: what one-click response is, the button, and any open request."""
    if request.user.is_clerk:
        return redirect("helpdesk:console")
    open_request = AssistRequest.objects.filter(citizen=request.user, state__in=AssistRequest.OPEN_STATES).first()
    recent = CallSession.objects.filter(citizen=request.user).select_related("clerk")[:5]
    return render(
        request,
        "helpdesk/citizen.html",
        {
            "open_request": open_request,
            "recent": recent,
            "languages": Language.choices,
            "priority_reasons": PriorityReason.choices,
        },
    )


@login_required
def request_page(request: SignedInRequest, pk: int) -> HttpResponse:
    # Someone else's request answers as a missing one: the id says nothing about who exists.
    assist = get_object_or_404(
        AssistRequest.objects.select_related("item_version", "district"), pk=pk, citizen=request.user
    )
    session = CallSession.objects.filter(request=assist).first()
    return render(request, "helpdesk/request.html", {"assist": assist, "session": session})


@login_required
def console_page(request: SignedInRequest) -> HttpResponse:
    if not request.user.is_clerk:
        raise PermissionDenied
    profile = services.clerk_profile_for(request.user)
    return render(
        request,
        "helpdesk/console.html",
        {
            "profile": profile,
            "outcomes": WRAP_UP_OUTCOMES,
            "statuses": ClerkProfile.Status.choices,
            # The waiting list is pushed with codes; the page names them in its own language.
            "languages": Language.choices,
            "priority_reasons": PriorityReason.choices,
        },
    )


@login_required
def recordings_page(request: SignedInRequest, pk: int) -> HttpResponse:
    """A call's recordings, each member's in a player of its own, for a supervisor: the players fetch nothing
    until played, and each fetch is audited. Anyone else gets 404 (as for a call without recordings)."""
    try:
        recordings = services.call_recordings_listed(session_id=pk, user=request.user)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    session = get_object_or_404(CallSession.objects.select_related("district"), pk=pk)
    return render(request, "helpdesk/recordings.html", {"session": session, "recordings": recordings})
