"""Portal pages of the catalogue (search, item detail) and the maintainers' import/export pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from standards import importexport, services
from standards.api.permissions import is_standards_admin
from standards.forms import form_summary
from standards.models import CatalogueImport, Department, ItemVersion, ServiceItem
from standards.search import catalogue_nearest, catalogue_search
from standards.selectors import (
    district_list,
    item_implementations,
    item_version_in_force,
    item_versions,
    version_diff,
    version_with_materials,
)
from standards.text_diff import version_text_diff
from standards.vocabulary import GrowthStage, HandlingForm, LifeEvent, Sector, label_of

SEARCH_FILTERS = (
    "district",
    "department",
    "item_type",
    "sector",
    "handling_form",
    "cross_province_mode",
    "growth_stage",
    "life_event",
)


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _labels(summary: dict, districts: dict) -> dict:
    english = _english()
    return {
        **summary,
        "display_name": summary["name_en"] if english and summary["name_en"] else summary["name"],
        "item_type_label": ItemVersion.ItemType(summary["item_type"]).label,
        "mode_label": ItemVersion.CrossProvinceMode(summary["cross_province_mode"]).label
        if summary["cross_province_mode"]
        else "",
        "forms": [label_of(HandlingForm, f) for f in summary["handling_forms"]],
        "unit_label": ItemVersion.LimitUnit(summary["limit_unit"]).label,
        "approving_names": [districts[c] for c in summary["approving_districts"] if c in districts],
        "separator": ", " if english else "、",
    }


def item_search_page(request):
    params = {name: request.GET.get(name, "").strip() for name in ("q", *SEARCH_FILTERS)}
    districts = list(district_list())
    district_names = {d.division_code: d.display_name for d in districts}
    filters = {k: v for k, v in params.items() if k != "q" and v}
    hits = catalogue_search(query=params["q"][:100], **filters)
    nearest = []
    if not hits and params["q"]:
        if not filters:
            services.search_miss_record(query=params["q"])
        nearest = [_labels(hit.entry.summary, district_names) for hit in catalogue_nearest(params["q"][:100])]
    page = Paginator(hits, 20).get_page(request.GET.get("page"))
    departments = Department.objects.select_related("district")
    if params["district"]:
        departments = departments.filter(district__division_code=params["district"])
    query_without_page = request.GET.copy()
    query_without_page.pop("page", None)
    return render(
        request,
        "standards/item_search.html",
        {
            "params": params,
            "page": page,
            "rows": [{**_labels(hit.entry.summary, district_names), "match": hit.match} for hit in page.object_list],
            "total": len(hits),
            "nearest": nearest,
            "districts": districts,
            "departments": departments,
            "item_types": ItemVersion.ItemType.choices,
            "sectors": Sector.choices,
            "handling_forms": HandlingForm.choices,
            "modes": ItemVersion.CrossProvinceMode.choices,
            "growth_stages": GrowthStage.choices,
            "life_events": LifeEvent.choices,
            "querystring": query_without_page.urlencode(),
            "is_standards_admin": is_standards_admin(request.user),
        },
    )


def item_detail_page(request, code: str):
    item = get_object_or_404(ServiceItem, code=code)
    version = item_version_in_force(item=item)
    if version is None:
        raise Http404("This item is not in force.")
    version = version_with_materials(version_id=version.pk)
    previous = (
        item.versions.exclude(status=ItemVersion.Status.DRAFT)
        .filter(number__lt=version.number)
        .order_by("-number")
        .first()
    )
    diff = version_diff(previous, version) if previous else None
    return render(
        request,
        "standards/item_detail.html",
        {
            "item": item,
            "item_version": version,
            "materials": version.materials.all(),
            "application_form": form_summary(version.application_form),
            "implementations": item_implementations(item=item),
            "versions": item_versions(item=item).exclude(status=ItemVersion.Status.DRAFT),
            "forms": [label_of(HandlingForm, f) for f in version.handling_forms],
            "growth_stages": [label_of(GrowthStage, s) for s in version.growth_stages],
            # A life-event tag outside the vocabulary is left out rather than shown as a raw code.
            "life_events": [label_of(LifeEvent, e) for e in version.life_events if e in LifeEvent.values],
            "is_standards_admin": is_standards_admin(request.user),
            "unverified": set(version.unverified_fields or []),
            "previous": previous,
            "diff": diff,
            "text_diff": version_text_diff(diff) if diff else [],
        },
    )


def item_diff_page(request, code: str):
    """Two versions of an item side by side, every changed text whole with its changes marked (?from=&to=).

    Published versions are public like the item page; a draft only for its maintainers. By default the version
    in force against the draft (for a maintainer) or against the newest published version."""
    item = get_object_or_404(ServiceItem, code=code)
    maintainer = is_standards_admin(request.user) or request.user.is_superuser
    versions = item.versions.all() if maintainer else item.versions.exclude(status=ItemVersion.Status.DRAFT)
    by_number = {v.number: v for v in versions}
    if not by_number:
        raise Http404("This item has no version to compare.")
    in_force = item_version_in_force(item=item)
    newest = max(by_number)
    try:
        new = by_number[int(request.GET.get("to") or newest)]
        default_old = in_force.number if in_force and in_force.number != new.number else min(by_number)
        old = by_number[int(request.GET.get("from") or default_old)]
    except (KeyError, ValueError):
        raise Http404("No such version of this item.") from None
    diff = version_diff(old, new)
    return render(
        request,
        "standards/item_diff.html",
        {
            "item": item,
            "old": old,
            "new": new,
            "versions": sorted(by_number.values(), key=lambda v: v.number),
            "diff": diff,
            "text_diff": version_text_diff(diff),
        },
    )


def _require_maintainer(request) -> None:
    if not (is_standards_admin(request.user) or request.user.is_superuser):
        raise PermissionDenied(_("Only standards administrators may do this."))


@login_required
def catalogue_export_view(request, fmt: str):
    """The catalogue in force as XLSX (items and materials sheets) or one CSV sheet (?sheet=materials).

    For maintainers only: a full export takes seconds of CPU, too much to offer to anonymous visitors.
    """
    _require_maintainer(request)
    if fmt == "xlsx":
        body = importexport.catalogue_export_xlsx()
        response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = 'attachment; filename="c9-catalogue.xlsx"'
        return response
    if fmt == "csv":
        sheet = request.GET.get("sheet", "items")
        if sheet not in ("items", "materials"):
            raise Http404
        body = importexport.catalogue_export_csv(sheet=sheet)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="c9-catalogue-{sheet}.csv"'
        return response
    raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def catalogue_import_page(request):
    _require_maintainer(request)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        materials = request.FILES.get("materials_file")
        if upload is None:
            error = _("Choose a file to import.")
        elif problem := importexport.upload_pair_problem(file_name=upload.name, has_materials=materials is not None):
            error = problem
        else:
            job = importexport.catalogue_import_upload(
                actor=request.user,
                file_name=upload.name,
                content=importexport.read_upload(upload),
                materials_content=importexport.read_upload(materials) if materials else None,
            )
            return redirect("standards-import-detail", pk=job.pk)
    jobs = CatalogueImport.objects.defer("content", "materials_content")[:10]
    return render(
        request,
        "standards/import.html",
        {"jobs": jobs, "error": error, "max_mb": importexport.MAX_IMPORT_BYTES // (1024 * 1024)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def catalogue_import_detail(request, pk: int):
    _require_maintainer(request)
    job = get_object_or_404(CatalogueImport.objects.defer("content", "materials_content"), pk=pk)
    if request.method == "POST" and request.POST.get("action") == "apply":
        importexport.catalogue_import_queue(actor=request.user, job=job)
        return redirect("standards-import-detail", pk=job.pk)
    return render(request, "standards/import_detail.html", {"job": job, "progress": importexport.import_progress(job)})


@login_required
def catalogue_import_progress(request, pk: int):
    _require_maintainer(request)
    job = get_object_or_404(CatalogueImport.objects.defer("content", "materials_content"), pk=pk)
    return JsonResponse(importexport.import_progress(job))
