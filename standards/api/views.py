"""REST API of the catalogue: thin views over selectors, the search index and services.

Views call the services directly: a refusal (Django ValidationError or a govservice.errors kind)
propagates to the one exception handler (govservice.errors.api_exception_handler), which answers
{"code", "detail", "fields"} with the status of its kind.
"""

from __future__ import annotations

import contextlib
import json
from collections import OrderedDict

from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from govservice.errors import Invalid, NotFound
from standards import services
from standards.api.permissions import IsStandardsAdmin, IsStandardsAdminOrReadOnly, is_standards_admin
from standards.api.serializers import (
    CatalogueChangeSerializer,
    DistrictSerializer,
    DraftWriteSerializer,
    ImplementationSerializer,
    ImplementationsWriteSerializer,
    ItemCreateSerializer,
    ItemSearchQuerySerializer,
    ItemSummarySerializer,
    MaterialTypeSerializer,
    PublishSerializer,
    VersionDiffSerializer,
    VersionSerializer,
    VersionSummarySerializer,
)
from standards.models import CatalogueChange, ItemMaterial, ItemVersion, MaterialType, ServiceItem
from standards.search import SearchResult, catalogue_search, catalogue_suggest, search_index
from standards.selectors import (
    catalogue_counts,
    district_list,
    item_draft,
    item_implementations,
    item_version_in_force,
    version_diff,
    version_with_materials,
)

# (index generation, URL) -> (rendered JSON, number of hits)
_rendered_pages: OrderedDict[tuple[tuple[int, int], str], tuple[bytes, int]] = OrderedDict()
_rendered_suggestions: OrderedDict[tuple[tuple[int, int], str], bytes] = OrderedDict()
SEARCH_PARAMS = [name for name, _field in ItemSearchQuerySerializer().fields.items() if name != "q"]
SEARCH_CHOICES = {
    name: set(field.choices)
    for name, field in ItemSearchQuerySerializer().fields.items()
    if isinstance(field, serializers.ChoiceField)
}


def _visible_versions(request, item: ServiceItem):
    versions = item.versions.select_related("published_by").order_by("-number")
    if not is_standards_admin(request.user):
        versions = versions.exclude(status=ItemVersion.Status.DRAFT)
    return versions


def _full_version(version: ItemVersion | None) -> ItemVersion | None:
    return version_with_materials(version_id=version.pk) if version is not None else None


class SearchPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class ItemListView(APIView):
    """Search and filter the items in force; create a new item (standards administrators)."""

    permission_classes = [IsStandardsAdminOrReadOnly]
    pagination_class = SearchPagination

    @extend_schema(
        parameters=[ItemSearchQuerySerializer],
        responses=ItemSummarySerializer(many=True),
        summary="Search the catalogue",
        description="Words in any order (公积金提取), everyday words and abbreviations through the synonym "
        "dictionary (驾照, 社保卡, 开公司), item codes, pinyin initials and full pinyin (yyzz, gongjijin; one "
        "letter missing, extra or swapped is forgiven); ranked exact name > prefix > inside the name > keywords "
        "> guide text (at most 10 guide-only hits, after all others). A search without results and without "
        "filters is counted (query, count, last seen; nothing about who asked).",
    )
    def get(self, request):
        # The hot path: checked by hand against the serializer's choices (a DRF serializer
        # costs ~1.5 ms a request here; ItemSearchQuerySerializer still documents the schema).
        params = request.query_params
        errors: dict[str, list[str]] = {}
        filters: dict[str, str] = {}
        for name in SEARCH_PARAMS:
            value = params.get(name, "").strip()
            if not value:
                continue
            allowed = SEARCH_CHOICES.get(name)
            if (allowed is not None and value not in allowed) or (name == "department" and not value.isdigit()):
                errors[name] = [f"'{value}' is not a valid value."]
            filters[name] = value
        query = params.get("q", "")
        if len(query) > 100:
            errors["q"] = ["At most 100 characters."]
        if errors:
            raise ValidationError(errors)
        as_json = getattr(request.accepted_renderer, "format", "") == "json"
        key = (search_index.generation(), request.build_absolute_uri())
        if as_json:
            cached = _rendered_pages.get(key)
            if cached is not None:
                if not cached[1] and not filters:
                    services.search_miss_record(query=query)
                return HttpResponse(cached[0], content_type="application/json")
        hits = catalogue_search(query=query, recheck=False, **filters)  # generation() has just checked
        if not hits and not filters:
            services.search_miss_record(query=query)
        paginator = self.pagination_class()
        # The stubs want a QuerySet; Django's Paginator pages any sequence (the ranked hits here).
        page: list[SearchResult] | None = paginator.paginate_queryset(hits, request, view=self)  # type: ignore[arg-type]
        rows = [{**hit.entry.summary, "match": hit.match} for hit in page or ()]
        response = paginator.get_paginated_response(rows)
        if as_json:
            # Popular searches repeat: keep the rendered page until the index changes.
            body = JSONRenderer().render(response.data)
            _rendered_pages[key] = (body, len(hits))
            if len(_rendered_pages) > 512:
                with contextlib.suppress(KeyError):  # another thread emptied it first
                    _rendered_pages.popitem(last=False)
            return HttpResponse(body, content_type="application/json")
        return response

    @extend_schema(
        request=ItemCreateSerializer, responses={201: VersionSerializer}, summary="Create an item (as a draft)"
    )
    def post(self, request):
        data = ItemCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        code = fields.pop("code")
        materials = [{**m, "material_type": m["material_type"].code} for m in fields.pop("materials", [])]
        draft = services.item_create(actor=request.user, code=code, fields=fields, materials=materials)
        return Response(VersionSerializer(_full_version(draft)).data, status=status.HTTP_201_CREATED)


class ItemDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "ItemDetail",
            {
                "code": serializers.CharField(),
                "in_force": VersionSerializer(allow_null=True),
                "implementations": ImplementationSerializer(many=True),
                "versions": VersionSummarySerializer(many=True),
            },
        ),
        parameters=[OpenApiParameter("on", str, description="a day (YYYY-MM-DD); today by default")],
        summary="An item: the version in force with materials, its implementations and version history",
    )
    def get(self, request, code: str):
        item = get_object_or_404(ServiceItem, code=code)
        on = request.query_params.get("on")
        day = None
        if on:
            day = serializers.DateField().to_internal_value(on)
        version = _full_version(item_version_in_force(item=item, on=day))
        return Response(
            {
                "code": item.code,
                "in_force": VersionSerializer(version).data if version else None,
                "implementations": ImplementationSerializer(item_implementations(item=item), many=True).data,
                "versions": VersionSummarySerializer(_visible_versions(request, item), many=True).data,
            }
        )


class VersionListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = VersionSummarySerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ItemVersion.objects.none()
        item = get_object_or_404(ServiceItem, code=self.kwargs["code"])
        return _visible_versions(self.request, item)


class VersionDetailView(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = VersionSerializer

    def get_object(self):
        item = get_object_or_404(ServiceItem, code=self.kwargs["code"])
        return get_object_or_404(
            _visible_versions(self.request, item).prefetch_related(
                Prefetch("materials", queryset=ItemMaterial.objects.select_related("material_type"))
            ),
            number=self.kwargs["number"],
        )


class VersionDiffView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", int, required=True, description="version number"),
            OpenApiParameter("to", int, required=True, description="version number"),
        ],
        responses=VersionDiffSerializer,
        summary="What changed between two versions (fields, limits, fees, materials by material type)",
    )
    def get(self, request, code: str):
        item = get_object_or_404(ServiceItem, code=code)
        numbers = []
        for name in ("from", "to"):
            try:
                numbers.append(int(request.query_params[name]))
            except (KeyError, ValueError):
                raise ValidationError({name: "Give a version number."}) from None
        versions = _visible_versions(request, item)
        a = get_object_or_404(versions, number=numbers[0])
        b = get_object_or_404(versions, number=numbers[1])
        return Response(version_diff(a, b))


class DraftView(APIView):
    """The item's draft: create it (copying the version in force), read, edit, discard."""

    permission_classes = [IsStandardsAdmin]

    def _item(self, code: str) -> ServiceItem:
        return get_object_or_404(ServiceItem, code=code)

    def _draft(self, code: str) -> ItemVersion:
        draft = item_draft(item=self._item(code))
        if draft is None:
            raise NotFound("This item has no draft.")
        return draft

    @extend_schema(responses=VersionSerializer, summary="Read the draft")
    def get(self, request, code: str):
        return Response(VersionSerializer(_full_version(self._draft(code))).data)

    @extend_schema(request=None, responses={201: VersionSerializer}, summary="Start a draft from the version in force")
    def post(self, request, code: str):
        draft = services.item_draft_create(actor=request.user, item=self._item(code))
        return Response(VersionSerializer(_full_version(draft)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DraftWriteSerializer, responses=VersionSerializer, summary="Edit the draft")
    def patch(self, request, code: str):
        draft = self._draft(code)
        data = DraftWriteSerializer(instance=draft, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        materials = fields.pop("materials", None)
        if materials is not None:
            materials = [{**m, "material_type": m["material_type"].code} for m in materials]
        draft = services.item_draft_update(actor=request.user, draft=draft, fields=fields, materials=materials)
        return Response(VersionSerializer(_full_version(draft)).data)

    @extend_schema(request=None, responses={204: None}, summary="Discard the draft")
    def delete(self, request, code: str):
        services.item_draft_discard(actor=request.user, draft=self._draft(code))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_permissions(self):
        # Reading a draft: administrators and supervisors; changing it: standards administrators only.
        return [IsStandardsAdmin()] if self.request.method == "GET" else [IsStandardsAdminOrReadOnly()]


class DraftPublishView(APIView):
    permission_classes = [IsStandardsAdminOrReadOnly]

    @extend_schema(request=PublishSerializer, responses=VersionSerializer, summary="Publish the draft")
    def post(self, request, code: str):
        item = get_object_or_404(ServiceItem, code=code)
        draft = item_draft(item=item)
        if draft is None:
            raise Invalid("This item has no draft to publish.", code="no_draft")
        data = PublishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.item_version_publish(
            actor=request.user,
            draft=draft,
            effective_from=data.validated_data.get("effective_from"),
            correction_reason=data.validated_data.get("correction_reason", ""),
        )
        return Response(VersionSerializer(_full_version(version)).data)


class ItemImplementationsView(APIView):
    """The districts that accept and approve an item."""

    permission_classes = [IsStandardsAdminOrReadOnly]

    @extend_schema(responses=ImplementationSerializer(many=True), summary="Implementations of an item")
    def get(self, request, code: str):
        item = get_object_or_404(ServiceItem, code=code)
        return Response(ImplementationSerializer(item_implementations(item=item), many=True).data)

    @extend_schema(
        request=ImplementationsWriteSerializer,
        responses=ImplementationSerializer(many=True),
        summary="Set which districts accept and which approve the item",
    )
    def put(self, request, code: str):
        item = get_object_or_404(ServiceItem, code=code)
        data = ImplementationsWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.item_implementations_set(
            actor=request.user,
            item=item,
            accepting=data.validated_data["accepting"],
            approving=data.validated_data["approving"],
        )
        return Response(ImplementationSerializer(item_implementations(item=item), many=True).data)


class ItemChangesView(generics.ListAPIView):
    """The audit trail of an item: who changed what, when."""

    permission_classes = [IsStandardsAdmin]
    serializer_class = CatalogueChangeSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CatalogueChange.objects.none()
        item = get_object_or_404(ServiceItem, code=self.kwargs["code"])
        return CatalogueChange.objects.filter(item=item).select_related("actor", "item", "version")


class DistrictListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = DistrictSerializer
    pagination_class = None

    def get_queryset(self):
        return district_list()


class DistrictDetailView(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = DistrictSerializer
    lookup_field = "division_code"

    def get_queryset(self):
        return district_list()


class MaterialTypeListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = MaterialTypeSerializer
    pagination_class = None
    queryset = MaterialType.objects.all()


class CatalogueCountsView(APIView):
    """Distinct standardised items and district implementations, counted separately."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "CatalogueCounts",
            {
                "items": serializers.IntegerField(help_text="distinct standardised items in force"),
                "implementations": serializers.IntegerField(help_text="item × district that handles it"),
                "implementations_by_role": serializers.DictField(child=serializers.IntegerField()),
                "districts": serializers.IntegerField(),
                "values_checked": serializers.IntegerField(),
                "values_unverified": serializers.IntegerField(help_text="values shown as 待核实"),
                "unverified_share": serializers.FloatField(),
                "unverified_percent": serializers.IntegerField(),
            },
        ),
        summary="Catalogue counts",
    )
    def get(self, request):
        return Response(catalogue_counts())


class ItemSuggestView(APIView):
    """Completions while typing: the best items by name, keywords or pinyin (never guide text), at most 8."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="what has been typed so far")],
        responses=inline_serializer(
            "ItemSuggestions",
            {
                "query": serializers.CharField(),
                "results": inline_serializer(
                    "ItemSuggestion",
                    {
                        "code": serializers.CharField(),
                        "name": serializers.CharField(),
                        "name_en": serializers.CharField(),
                        "url": serializers.CharField(),
                        "match": serializers.CharField(),
                    },
                    many=True,
                ),
            },
        ),
        summary="Suggestions while typing",
    )
    def get(self, request):
        query = request.query_params.get("q", "")[:100]
        # The hot path while typing: rendered once per query until the index or the synonyms change.
        key = (search_index.generation(), query)
        body = _rendered_suggestions.get(key)
        if body is None:
            results = [
                {
                    "code": hit.entry.summary["code"],
                    "name": hit.entry.name,
                    "name_en": hit.entry.summary["name_en"],
                    "url": reverse("standards-item", args=[hit.entry.summary["code"]]),
                    "match": hit.match,
                }
                for hit in catalogue_suggest(query, recheck=False)
            ]
            body = json.dumps({"query": query, "results": results}, ensure_ascii=False).encode()
            _rendered_suggestions[key] = body
            if len(_rendered_suggestions) > 1024:
                with contextlib.suppress(KeyError):
                    _rendered_suggestions.popitem(last=False)
        return HttpResponse(body, content_type="application/json")
