"""The inbox and the channel preferences pages (the same services as the API)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from govservice.errors import NotFound
from notices import selectors, services


def signed_in_user(request: HttpRequest) -> User:
    """The signed-in person (login_required and DRF's IsAuthenticated come first; this is for the types)."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    return user


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    unread_only = request.GET.get("unread") == "1"
    return render(
        request,
        "notices/inbox.html",
        {"entries": selectors.inbox(user, unread_only=unread_only), "unread_only": unread_only},
    )


@login_required
@require_POST
def notice_read(request: HttpRequest, notice_id: int) -> HttpResponse:
    """Mark read, then go where the notice points (its case's page) or back to the inbox."""
    user = signed_in_user(request)
    try:
        notice = services.notice_mark_read(user=user, notice_id=notice_id)
    except NotFound as error:
        raise Http404 from error
    target = notice.link if request.POST.get("open") and notice.link else ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notices-inbox")


@login_required
@require_POST
def notices_read_all(request: HttpRequest) -> HttpResponse:
    services.notices_mark_all_read(user=signed_in_user(request))
    return redirect("notices-inbox")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "POST":
        services.preferences_set(user=user, email=bool(request.POST.get("email")), sms=bool(request.POST.get("sms")))
        messages.success(request, _("Your choice of channels is saved."))
        return redirect("notices-preferences")
    return render(request, "notices/preferences.html", {"chosen": services.preferences_of(user)})
