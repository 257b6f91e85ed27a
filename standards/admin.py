from __future__ import annotations

import itertools

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from standards import services
from standards.models import (
    CatalogueChange,
    CatalogueImport,
    Department,
    District,
    ItemImplementation,
    ItemMaterial,
    ItemVersion,
    MaterialType,
    Province,
    SearchMiss,
    SearchSynonym,
    ServiceItem,
    ServiceWindow,
)
from standards.selectors import version_diff


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "short_name"]


class LabelledTabularInline(admin.TabularInline):
    """A tabular inline whose inputs carry their field's name (the table's header alone does not label them)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            field.widget.attrs.setdefault("aria-label", str(field.label or db_field.verbose_name))
        return field

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class Labelled(formset):  # type: ignore[misc,valid-type]  # a class made at run time by Django
            def add_fields(self, form, index):
                super().add_fields(form, index)
                if "DELETE" in form.fields:
                    form.fields["DELETE"].widget.attrs.setdefault("aria-label", str(_("Delete")))

        return Labelled


class ServiceWindowInline(LabelledTabularInline):
    model = ServiceWindow
    extra = 0


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["division_code", "name", "name_en", "city", "province"]
    list_filter = ["province"]
    search_fields = ["division_code", "name", "name_en", "city"]
    inlines = [ServiceWindowInline]


@admin.register(ServiceWindow)
class ServiceWindowAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "district", "kind", "opens_at", "closes_at", "active"]
    list_filter = ["kind", "active", "district"]
    search_fields = ["code", "name", "address"]


# --- The catalogue: made for maintainers (role standards_admin) -------------------------------


class StandardsAdminAccess(admin.ModelAdmin):
    """Standards administrators (role) maintain the catalogue without per-model permission rows."""

    audited_action = CatalogueChange.Action.REFERENCE

    @property
    def media(self) -> forms.Media:
        # Django's admin loads its slug helpers (urlify, prepopulate and XRegExp, 170 KB) on every change form; no
        # standards model has a prepopulated field, and the item version's form with them passed the 300 KB of
        # JavaScript a page may ship (issue 16).
        media = super().media
        if self.prepopulated_fields:
            return media
        unused = ("admin/js/urlify.js", "admin/js/prepopulate.js", "xregexp.js", "xregexp.min.js")
        # Media keeps its merged lists in _css and _js (no public accessor); a new Media is made from them.
        css, scripts = getattr(media, "_css"), getattr(media, "_js")  # noqa: B009
        return forms.Media(css=css, js=[js for js in scripts if not str(js).endswith(unused)])

    def save_model(self, request, obj, form, change):
        # Reference data written here is audited in the same transaction as the write (admin views are atomic).
        super().save_model(request, obj, form, change)
        services.catalogue_change_record(
            actor=request.user,
            action=self.audited_action,
            summary=f"{obj._meta.verbose_name}: {obj}",
            changes={
                "fields": {name: str(form.cleaned_data.get(name)) for name in form.changed_data},
                "created": not change,
            },
        )

    def delete_model(self, request, obj):
        services.catalogue_change_record(
            actor=request.user, action=self.audited_action, summary=f"{obj._meta.verbose_name} deleted: {obj}"
        )
        super().delete_model(request, obj)

    def _maintainer(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_staff and (user.is_superuser or user.is_standards_admin)

    def has_module_permission(self, request):
        return self._maintainer(request)

    def has_view_permission(self, request, obj=None):
        return self._maintainer(request)

    def has_add_permission(self, request, *args):
        return self._maintainer(request)

    def has_change_permission(self, request, obj=None):
        return self._maintainer(request)

    def has_delete_permission(self, request, obj=None):
        return self._maintainer(request)


@admin.register(Department)
class DepartmentAdmin(StandardsAdminAccess):
    list_display = ["name", "district", "sector", "credit_code"]
    list_filter = ["district", "sector"]
    search_fields = ["name", "name_en", "credit_code"]


@admin.register(MaterialType)
class MaterialTypeAdmin(StandardsAdminAccess):
    list_display = ["code", "name", "name_en", "elicence_name"]
    search_fields = ["code", "name", "name_en", "elicence_name"]


class ItemMaterialInline(LabelledTabularInline):
    model = ItemMaterial
    extra = 0
    autocomplete_fields = ["material_type"]
    fields = [
        "position",
        "material_type",
        "name",
        "requirement",
        "condition",
        "medium",
        "originals",
        "copies",
        "source",
        "elicence_exempt",
        "max_size_mb",
    ]

    def _editable(self, obj) -> bool:
        return obj is None or obj.status == ItemVersion.Status.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj)

    def has_view_permission(self, request, obj=None):
        return True


VERSION_INLINE_FIELDS = ("number", "status", "effective_from", "effective_to", "name", "published_by", "link")


class ItemVersionInline(LabelledTabularInline):
    model = ItemVersion
    extra = 0
    fields = VERSION_INLINE_FIELDS
    readonly_fields = VERSION_INLINE_FIELDS
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("open"))
    def link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:standards_itemversion_change", args=[obj.pk]), _("open")
        )


class ItemImplementationInline(LabelledTabularInline):
    """Read-only here: implementations change through the API or an import, which audit what changed."""

    model = ItemImplementation
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    fields = ["district", "department", "window", "implementation_code", "can_accept", "can_approve", "active"]
    readonly_fields = ["implementation_code"]


@admin.register(ServiceItem)
class ServiceItemAdmin(StandardsAdminAccess):
    list_display = ["code", "current_name", "created_at"]
    search_fields = ["code", "versions__name"]
    # 50 rows a page (Django's default is 100): the list is searched and filtered more than paged through, and
    # each row's cells cost the admin's templates about half a millisecond (3000 items: 60 pages).
    list_per_page = 50
    inlines = [ItemVersionInline, ItemImplementationInline]
    actions = ["start_drafts"]
    readonly_fields = ["code", "created_at"]

    def has_add_permission(self, request):
        return False  # items are created through the API or an import (with their first version)

    def has_delete_permission(self, request, obj=None):
        return False  # cases pin item versions: items are never deleted

    def get_queryset(self, request):
        # The name of the latest version that is not a draft, in the list's own statement (not one per row).
        latest = (
            ItemVersion.objects.filter(item=OuterRef("pk"))
            .exclude(status=ItemVersion.Status.DRAFT)
            .order_by("-number")
            .values("name")[:1]
        )
        # No DISTINCT: the change list itself drops the duplicates a search through versions__name makes, and a
        # DISTINCT computed the name of all 3000 items before the page's 100 were cut.
        return super().get_queryset(request).annotate(latest_name=Subquery(latest))

    @admin.display(description=_("name"))
    def current_name(self, obj):
        return obj.latest_name or "—"

    @admin.action(description=_("Start a draft from the version in force"))
    def start_drafts(self, request, queryset):
        for item in queryset:
            try:
                services.item_draft_create(actor=request.user, item=item)
            except ValidationError as error:
                self.message_user(request, f"{item.code}: {'; '.join(error.messages)}", messages.WARNING)
            else:
                self.message_user(request, _("Draft started for %(code)s.") % {"code": item.code})


@admin.register(ItemVersion)
class ItemVersionAdmin(StandardsAdminAccess):
    list_display = [
        "item",
        "number",
        "name",
        "status",
        "effective_from",
        "effective_to",
        "item_type",
        "cross_province_mode",
    ]
    list_filter = ["status", "item_type", "sector", "cross_province_mode", "competent_district_rule", "handling_kind"]
    search_fields = ["item__code", "name", "name_en", "name_initials"]
    list_select_related = ["item"]
    inlines = [ItemMaterialInline]
    actions = ["publish_drafts"]
    date_hierarchy = "effective_from"
    # A draft's effective date is its plan (editable); publishing fixes it.
    readonly_fields = [
        "item",
        "number",
        "status",
        "effective_to",
        "published_at",
        "published_by",
        "history",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "item",
                    "number",
                    "status",
                    "effective_from",
                    "correction_reason",
                    "effective_to",
                    "published_at",
                    "published_by",
                ],
                "description": _(
                    "A draft is published on its effective date (today when empty). To correct the version that "
                    "took effect today, keep today's date and give the reason for the correction."
                ),
            },
        ),
        (
            _("Identity"),
            {"fields": ["name", "name_en", "item_type", "sector", "for_natural_person", "for_legal_person", "topic"]},
        ),
        (
            _("Legal basis and conditions"),
            {"fields": ["legal_basis_law", "legal_basis_article", "legal_basis_text", "acceptance_conditions"]},
        ),
        (_("Time limits"), {"fields": ["handling_kind", "limit_unit", "statutory_limit", "promised_limit"]}),
        (
            _("Channels"),
            {
                "fields": [
                    "handling_forms",
                    "online_depth",
                    "onsite_visits",
                    "appointment_available",
                    "courier_delivery",
                    "online_payment",
                    "cross_province_mode",
                    "competent_district_rule",
                ]
            },
        ),
        (_("Fees and result"), {"fields": ["fees", "result_name", "result_is_licence", "result_elicence"]}),
        (_("Guidance"), {"fields": ["assistance_guide", "faq", "life_events", "growth_stages"]}),
        (_("Application form"), {"fields": ["application_form", "application_form_source"]}),
        (_("Version history with diffs"), {"fields": ["history"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != ItemVersion.Status.DRAFT:
            # A published version is immutable: every field is read-only.
            return [f.name for f in ItemVersion._meta.concrete_fields if f.name != "id"] + ["history"]
        return self.readonly_fields

    def has_add_permission(self, request):
        return False  # new versions start as drafts from the item page (action) or the API

    def has_change_permission(self, request, obj=None):
        # A published version is view-only: no save button, no editable inline materials.
        return self._maintainer(request) and (obj is None or obj.status == ItemVersion.Status.DRAFT)

    def has_delete_permission(self, request, obj=None):
        return self._maintainer(request) and (obj is None or obj.status == ItemVersion.Status.DRAFT)

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        services.item_draft_update(actor=request.user, draft=obj, fields=fields)

    def delete_model(self, request, obj):
        services.item_draft_discard(actor=request.user, draft=obj)

    @admin.display(description=_("history"))
    def history(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        versions = list(obj.item.versions.order_by("number"))
        rows = []
        for previous, current in itertools.pairwise(versions):
            diff = version_diff(previous, current)
            parts = [f"{c['label']}: {c['from']} → {c['to']}" for c in diff["limits"]]
            parts += [str(c["label"]) for c in diff["fields"]]
            if diff["fees"]:
                parts.append(str(_("fees")))
            parts += [f"+ {m['name']}" for m in diff["materials"]["added"]]
            parts += [f"− {m['name']}" for m in diff["materials"]["removed"]]
            parts += [f"± {m['name']}" for m in diff["materials"]["changed"]]
            compare = reverse("standards-item-diff", args=[obj.item.code])
            rows.append(
                (
                    f"v{previous.number} → v{current.number} ({current.get_status_display()})",
                    "；".join(parts) or "—",
                    f"{compare}?from={previous.number}&to={current.number}",
                    _("side by side"),
                )
            )
        if not rows:
            return _("Only one version.")
        return format_html(
            "<table>{}</table>",
            format_html_join("", '<tr><th>{}</th><td>{} <a href="{}">{}</a></td></tr>', rows),
        )

    @admin.action(description=_("Publish the selected drafts (on their effective date, else today)"))
    def publish_drafts(self, request, queryset):
        for version in queryset:
            try:
                services.item_version_publish(actor=request.user, draft=version)
            except ValidationError as error:
                self.message_user(request, f"{version}: {'; '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, _("%(version)s published.") % {"version": version})


@admin.register(CatalogueChange)
class CatalogueChangeAdmin(StandardsAdminAccess):
    list_display = ["at", "actor", "action", "item", "summary"]
    list_filter = ["action"]
    search_fields = ["item__code", "summary", "actor__username"]
    readonly_fields = ["at", "actor", "action", "item", "version", "summary", "changes"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the audit trail is append-only


@admin.register(CatalogueImport)
class CatalogueImportAdmin(StandardsAdminAccess):
    list_display = ["file_name", "created_at", "created_by", "status", "preview_link"]
    list_filter = ["status"]
    exclude = ["content", "materials_content"]
    readonly_fields = [
        "file_name",
        "file_format",
        "created_at",
        "created_by",
        "status",
        "errors",
        "preview",
        "total_rows",
        "processed_rows",
        "finished_at",
    ]

    def has_add_permission(self, request):
        return False

    def changelist_view(self, request, extra_context=None):
        self.message_user(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                _("Upload a file and check its preview on the"),
                reverse("standards-import"),
                _("import page"),
            ),
        )
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("preview"))
    def preview_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("standards-import-detail", args=[obj.pk]), _("open"))


# --- The search's vocabulary --------------------------------------------------------------------


@admin.register(SearchSynonym)
class SearchSynonymAdmin(StandardsAdminAccess):
    """Pairs of words the search treats alike; every change is audited and applies to the next search."""

    list_display = ["word", "synonym", "note", "updated_at"]
    search_fields = ["word", "synonym", "note"]
    fields = ["word", "synonym", "note"]
    actions = ["delete_pairs"]

    def get_changeform_initial_data(self, request):
        # "Add a synonym" from the log of searches without results prefills the word (?word=…).
        return {"word": request.GET.get("word", "")[:50]}

    def save_model(self, request, obj, form, change):
        instance = SearchSynonym.objects.get(pk=obj.pk) if change else None
        saved = services.synonym_save(
            actor=request.user, word=obj.word, synonym=obj.synonym, note=obj.note, instance=instance
        )
        obj.pk, obj.word, obj.synonym = saved.pk, saved.word, saved.synonym

    def delete_model(self, request, obj):
        services.synonym_delete(actor=request.user, pair=obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletes without the audit row: use delete_pairs
        return actions

    @admin.action(description=_("Delete the selected pairs (audited)"))
    def delete_pairs(self, request, queryset):
        for pair in queryset:
            services.synonym_delete(actor=request.user, pair=pair)


@admin.register(SearchMiss)
class SearchMissAdmin(StandardsAdminAccess):
    """Searches that found nothing, most frequent first: what people ask that the catalogue does not know yet."""

    list_display = ["query", "count", "last_seen", "add_synonym"]
    search_fields = ["query"]
    readonly_fields = ["query", "count", "first_seen", "last_seen"]
    actions = ["forget"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("add a synonym"))
    def add_synonym(self, obj):
        url = reverse("admin:standards_searchsynonym_add") + "?" + urlencode({"word": obj.query})
        return format_html('<a class="button" href="{}">{}</a>', url, _("Add a synonym"))

    @admin.action(description=_("Clear the selected queries from the log (audited)"))
    def forget(self, request, queryset):
        services.search_misses_forget(actor=request.user, queries=list(queryset.values_list("query", flat=True)))
