from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from django.views.decorators.http import require_POST
from rest_framework.exceptions import NotFound

from cases.selectors.portal import items_often_applied
from govservice.care_mode import care_mode_remember
from standards.models import District
from standards.selectors import catalogue_counts, departments_with_items
from standards.vocabulary import LifeEvent

# Example questions under the home page's search box: how people ask at a window, each found by the search's
# synonym dictionary (seed/synonyms_data.py); not a ranking.
SEARCH_EXAMPLES = ("身份证补办", "公积金提取", "开公司", "社保转移", "出生登记", "无犯罪记录证明")


def home(request: HttpRequest) -> HttpResponse:
    districts = District.objects.select_related("province").prefetch_related("windows")
    return render(
        request,
        "home.html",
        {
            "districts": districts,
            "counts": catalogue_counts(),
            "often_applied": items_often_applied(limit=8),
            "search_examples": SEARCH_EXAMPLES,
            "life_events": LifeEvent.choices,
            "departments": departments_with_items(),
        },
    )


@require_POST
def care_mode_switch(request: HttpRequest) -> HttpResponse:
    """The header's 长辈版 switch: remembered for the person and the device, then back to the same page."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = redirect(target)
    care_mode_remember(request, response, on=request.POST.get("on") == "1")
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: an address under /api/ that matches no route (e.g. `/api/cases/abc/file/` where a number is
    expected) answers the API's error body in JSON, as the API's own 404s do; pages keep Django's 404 page."""
    if request.path.startswith("/api/"):
        error = NotFound()
        return JsonResponse({"code": error.default_code, "detail": str(error.detail), "fields": {}}, status=404)
    return defaults.page_not_found(request, exception)
