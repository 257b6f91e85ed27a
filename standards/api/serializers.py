from __future__ import annotations

from rest_framework import serializers

from standards.models import (
    CatalogueChange,
    District,
    ItemImplementation,
    ItemMaterial,
    ItemVersion,
    MaterialType,
    ServiceWindow,
    promise_exceeds_statute,
)
from standards.search import FILTERS
from standards.selectors import MATERIAL_CONTENT_FIELDS, VERSION_CONTENT_FIELDS
from standards.vocabulary import GrowthStage, HandlingForm, ServiceObject


class WindowSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceWindow
        fields = [
            "code",
            "kind",
            "name",
            "name_en",
            "address",
            "open_weekdays",
            "opens_at",
            "closes_at",
            "enquiry_phone",
            "complaint_phone",
            "active",
        ]


class DistrictSerializer(serializers.ModelSerializer):
    province = serializers.CharField(source="province.name")
    province_en = serializers.CharField(source="province.name_en")
    windows = WindowSerializer(many=True)

    class Meta:
        model = District
        fields = ["division_code", "name", "name_en", "city", "city_en", "province", "province_en", "windows"]


class MaterialTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = MaterialType
        fields = ["code", "name", "name_en", "elicence_name"]


class MaterialSerializer(serializers.ModelSerializer):
    material_type = serializers.CharField(source="material_type.code")
    material_type_name = serializers.CharField(source="material_type.name")
    elicence_name = serializers.CharField(source="material_type.elicence_name")

    class Meta:
        model = ItemMaterial
        fields = ["material_type", "material_type_name", "elicence_name", *MATERIAL_CONTENT_FIELDS]


class MaterialWriteSerializer(serializers.ModelSerializer):
    material_type = serializers.SlugRelatedField(slug_field="code", queryset=MaterialType.objects.all())

    class Meta:
        model = ItemMaterial
        fields = ["material_type", *MATERIAL_CONTENT_FIELDS]
        extra_kwargs = {"name": {"required": False}}

    def validate(self, attrs):
        if attrs.get("requirement") == ItemMaterial.Requirement.CONDITIONAL and not attrs.get("condition"):
            raise serializers.ValidationError({"condition": "A conditional material must state its condition."})
        return attrs


class VersionSummarySerializer(serializers.ModelSerializer):
    published_by = serializers.CharField(source="published_by.username", default=None)

    class Meta:
        model = ItemVersion
        fields = ["number", "status", "effective_from", "effective_to", "published_at", "published_by", "name"]


class VersionSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="item.code")
    published_by = serializers.CharField(source="published_by.username", default=None)
    materials = MaterialSerializer(many=True)

    class Meta:
        model = ItemVersion
        fields = [
            "code",
            "number",
            "status",
            "effective_from",
            "effective_to",
            "published_at",
            "published_by",
            "correction_reason",
            *VERSION_CONTENT_FIELDS,
            "materials",
        ]


class ImplementationSerializer(serializers.ModelSerializer):
    district = serializers.CharField(source="district.division_code")
    district_name = serializers.CharField(source="district.name")
    department = serializers.CharField(source="department.name")
    department_id = serializers.IntegerField()
    department_credit_code = serializers.CharField(source="department.credit_code")
    window = serializers.CharField(source="window.name")
    window_address = serializers.CharField(source="window.address")

    class Meta:
        model = ItemImplementation
        fields = [
            "implementation_code",
            "district",
            "district_name",
            "department",
            "department_id",
            "department_credit_code",
            "window",
            "window_address",
            "can_accept",
            "can_approve",
            "active",
        ]


class ItemDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    in_force = VersionSerializer(allow_null=True)
    implementations = ImplementationSerializer(many=True)
    versions = VersionSummarySerializer(many=True)


class ItemSummarySerializer(serializers.Serializer):
    """A search hit, served from the in-memory index (no database query)."""

    code = serializers.CharField()
    version = serializers.IntegerField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    item_type = serializers.CharField()
    sector = serializers.CharField()
    topic = serializers.CharField()
    handling_kind = serializers.CharField()
    limit_unit = serializers.CharField()
    statutory_limit = serializers.IntegerField()
    promised_limit = serializers.IntegerField()
    handling_forms = serializers.ListField(child=serializers.CharField())
    cross_province_mode = serializers.CharField()
    onsite_visits = serializers.IntegerField()
    online_depth = serializers.IntegerField()
    has_fees = serializers.BooleanField()
    unverified_fields = serializers.ListField(
        child=serializers.CharField(), help_text="fields whose value is not known for certain (shown as 待核实)"
    )
    effective_from = serializers.DateField(allow_null=True)
    growth_stages = serializers.ListField(child=serializers.CharField())
    life_events = serializers.ListField(child=serializers.CharField())
    accepting_districts = serializers.ListField(child=serializers.CharField())
    approving_districts = serializers.ListField(child=serializers.CharField())
    match = serializers.ChoiceField(choices=["exact", "prefix", "substring", "keyword", "guide"])


class ItemSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="words in any order, everyday words, a code, pinyin or its initials",
    )
    district = serializers.CharField(required=False, help_text="division code of an accepting district")
    approving_district = serializers.CharField(required=False)
    department = serializers.IntegerField(required=False)
    item_type = serializers.ChoiceField(choices=ItemVersion.ItemType.choices, required=False)
    sector = serializers.CharField(required=False)
    handling_form = serializers.ChoiceField(choices=HandlingForm.values, required=False)
    cross_province_mode = serializers.ChoiceField(choices=ItemVersion.CrossProvinceMode.choices, required=False)
    growth_stage = serializers.ChoiceField(choices=GrowthStage.values, required=False)
    life_event = serializers.CharField(required=False)
    service_object = serializers.ChoiceField(choices=ServiceObject.values, required=False)

    def filters(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.validated_data.items() if k in FILTERS and v not in (None, "")}


class DraftWriteSerializer(serializers.ModelSerializer):
    materials = MaterialWriteSerializer(many=True, required=False)

    class Meta:
        model = ItemVersion
        fields = [*VERSION_CONTENT_FIELDS, "materials"]

    def validate(self, attrs):
        statutory = attrs.get("statutory_limit", getattr(self.instance, "statutory_limit", None))
        promised = attrs.get("promised_limit", getattr(self.instance, "promised_limit", None))
        if promise_exceeds_statute(statutory, promised):
            raise serializers.ValidationError(
                {"promised_limit": "The promised time limit cannot exceed the statutory one."}
            )
        return attrs


class ItemCreateSerializer(DraftWriteSerializer):
    code = serializers.RegexField(r"^[0-9A-Za-z-]{4,40}$")

    class Meta(DraftWriteSerializer.Meta):
        fields = ["code", *DraftWriteSerializer.Meta.fields]


class PublishSerializer(serializers.Serializer):
    effective_from = serializers.DateField(required=False, help_text="defaults to the draft's date, else today")
    correction_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="required to correct, from the same day, the version that took effect today",
    )


class VersionDiffSerializer(serializers.Serializer):
    from_version = serializers.IntegerField()
    to_version = serializers.IntegerField()
    changed = serializers.BooleanField()
    # DRF's metaclass moves declared fields off the class, so this does not shadow Serializer.fields.
    fields = serializers.ListField(child=serializers.DictField())  # type: ignore[assignment]
    limits = serializers.ListField(child=serializers.DictField())
    fees = serializers.DictField(allow_null=True)
    materials = serializers.DictField()


class CatalogueChangeSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None)
    item = serializers.CharField(source="item.code", default=None)
    version = serializers.IntegerField(source="version.number", default=None)

    class Meta:
        model = CatalogueChange
        fields = ["at", "actor", "action", "item", "version", "summary", "changes"]


class ImplementationsWriteSerializer(serializers.Serializer):
    accepting = serializers.ListField(child=serializers.RegexField(r"^\d{6}$"), help_text="division codes")
    approving = serializers.ListField(child=serializers.RegexField(r"^\d{6}$"), help_text="division codes")
