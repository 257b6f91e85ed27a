from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
from rest_framework.exceptions import NotFound

from standards.models import District
from standards.selectors import catalogue_counts


def home(request: HttpRequest) -> HttpResponse:
    districts = District.objects.select_related("province").prefetch_related("windows")
    return render(request, "home.html", {"districts": districts, "counts": catalogue_counts()})


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: an address under /api/ that matches no route (e.g. `/api/cases/abc/file/` where a number is
    expected) answers the API's error body in JSON, as the API's own 404s do; pages keep Django's 404 page."""
    if request.path.startswith("/api/"):
        error = NotFound()
        return JsonResponse({"code": error.default_code, "detail": str(error.detail), "fields": {}}, status=404)
    return defaults.page_not_found(request, exception)
