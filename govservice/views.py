from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from standards.models import District
from standards.selectors import catalogue_counts


def home(request: HttpRequest) -> HttpResponse:
    districts = District.objects.select_related("province").prefetch_related("windows")
    return render(request, "home.html", {"districts": districts, "counts": catalogue_counts()})
