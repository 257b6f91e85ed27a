from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.identifiers import normalize_id_number, validate_credit_code, validate_id_number
from accounts.models import Firm, FirmSpecialist, User
from cases.models import (
    Case,
    CaseEvent,
    CaseMaterial,
    CasePaper,
    CaseView,
    DeliveryMethod,
    FollowUp,
    Holiday,
    IdentityCheck,
    MaterialCheck,
    Rating,
    ReturnVisit,
)
from cases.selectors import case_is_applicant_side, current_checks, form_rows, identity_check_of
from cases.selectors.follow_ups import standing as follow_up_standing
from cases.services.paperwork import verify_url
from standards.forms import MAX_LENGTH_LIMIT, FieldKind
from standards.models import ItemMaterial, ItemVersion


class MaterialCheckSerializer(serializers.ModelSerializer[MaterialCheck]):
    """形式审查 of one uploaded file (by its SHA-256), by a clerk of the accepting district."""

    material_code = serializers.CharField(source="material.item_material.material_type.code", read_only=True)
    item_material = serializers.IntegerField(source="material.item_material_id", read_only=True)
    clerk_name = serializers.CharField(source="clerk.__str__", read_only=True)
    district = serializers.CharField(source="district.division_code", read_only=True)

    class Meta:
        model = MaterialCheck
        fields = [
            "id",
            "material",
            "item_material",
            "material_code",
            "sha256",
            "verdict",
            "reason",
            "clerk",
            "clerk_name",
            "district",
            "checked_at",
            "event_seq",
        ]
        read_only_fields = fields


class IdentityCheckSerializer(serializers.ModelSerializer[IdentityCheck]):
    """身份核验: how the accepting clerk verified the applicant's identity."""

    clerk_name = serializers.CharField(source="clerk.__str__", read_only=True)
    district = serializers.CharField(source="district.division_code", read_only=True)

    class Meta:
        model = IdentityCheck
        fields = ["id", "method", "note", "clerk", "clerk_name", "district", "checked_at", "event_seq"]
        read_only_fields = fields


class CaseMaterialSerializer(serializers.ModelSerializer[CaseMaterial]):
    material_code = serializers.CharField(source="item_material.material_type.code", read_only=True)
    name = serializers.CharField(source="item_material.name", read_only=True)
    check = serializers.SerializerMethodField(
        help_text="the accepting district's newest check of this file (null: not checked, or not current)"
    )

    class Meta:
        model = CaseMaterial
        fields = [
            "id",
            "item_material",
            "material_code",
            "name",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "spared_by_elicence",
            "current",
            "uploaded_at",
            "check",
        ]

    @extend_schema_field(MaterialCheckSerializer(allow_null=True))
    def get_check(self, material: CaseMaterial) -> dict[str, Any] | None:
        # Read once per case and serialisation (the context is shared by the materials of one case).
        cache: dict[int, dict[int, MaterialCheck]] = self.context.setdefault("current_checks", {})
        if material.case_id not in cache:
            cache[material.case_id] = current_checks(material.case)
        check = cache[material.case_id].get(material.pk)
        return MaterialCheckSerializer(check).data if check is not None else None


class RatingFollowUpSerializer(serializers.ModelSerializer[FollowUp]):
    """What the applicant is told of the follow-up of their bad rating (整改): its deadline and its result."""

    result = serializers.CharField(source="note", read_only=True)

    class Meta:
        model = FollowUp
        fields = ["status", "due_on", "rectification", "result", "closed_at"]
        read_only_fields = fields


class RatingSerializer(serializers.ModelSerializer[Rating]):
    follow_up = RatingFollowUpSerializer(read_only=True, default=None)

    class Meta:
        model = Rating
        fields = ["score", "attitude", "speed", "convenience", "comment", "created_at", "follow_up"]


class CaseSerializer(serializers.ModelSerializer[Case]):
    """A case; the applicant's and the agent's ID numbers are always masked here."""

    applicant_id_number = serializers.CharField(source="masked_id_number", read_only=True)
    applicant_kind = serializers.ChoiceField(
        source="principal_kind",
        choices=[("person", "natural person"), ("firm", "legal person")],
        read_only=True,
        help_text="who applies: a natural person (ID number) or a firm (credit code)",
    )
    agent_name = serializers.CharField(source="agent.__str__", default=None, read_only=True)
    agent_id_number = serializers.CharField(source="masked_agent_id_number", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    item_code = serializers.CharField(source="item_version.item.code", read_only=True)
    item_name = serializers.CharField(source="item_version.display_name", read_only=True)
    item_version_number = serializers.IntegerField(source="item_version.number", read_only=True)
    accepting_district = serializers.CharField(source="accepting_district.division_code", read_only=True)
    approving_district = serializers.CharField(source="approving_district.division_code", read_only=True)
    accepting_window = serializers.CharField(source="accepting_window.code", read_only=True)
    approving_window = serializers.CharField(source="approving_window.code", default=None, read_only=True)
    approving_district_name = serializers.CharField(source="approving_district.__str__", read_only=True)
    approving_basis_label = serializers.CharField(
        source="get_approving_basis_display",
        read_only=True,
        help_text="why the approving district is the competent one, in words",
    )
    filed_at_counter = serializers.SerializerMethodField(
        help_text="registered by a clerk at the accepting window for a walk-in applicant (窗口收件)"
    )
    firm_credit_code = serializers.SerializerMethodField()
    applicant = serializers.SerializerMethodField(
        help_text="the applicant's account id, for the applicant themselves and for staff; null for everyone else "
        "(an agent never learns whether, or as whom, the principal holds an account here)"
    )

    class Meta:
        model = Case
        fields = [
            "reference",
            "state",
            "state_label",
            "item_version",
            "item_code",
            "item_name",
            "item_version_number",
            "applicant",
            "applicant_kind",
            "applicant_name",
            "applicant_id_number",
            "firm",
            "firm_credit_code",
            "agent",
            "agent_name",
            "agent_id_number",
            "accepting_district",
            "accepting_window",
            "accepting_clerk",
            "approving_district",
            "approving_district_name",
            "approving_basis",
            "approving_basis_label",
            "approving_window",
            "approving_clerk",
            "filed_at_counter",
            "created_at",
            "submitted_at",
            "accepted_at",
            "routed_at",
            "decided_at",
            "delivered_at",
            "closed_at",
            "promised_due",
            "statutory_due",
            "deadline_provisional",
            "clock_stopped_since",
            "stopped_days",
            "delivery_method",
            "delivery_detail",
            "outcome_reason",
            "routing_attempts",
            "routing_poisoned",
        ]
        read_only_fields = fields

    def get_filed_at_counter(self, case: Case) -> bool:
        return case.counter_clerk_id is not None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_applicant(self, case: Case) -> int | None:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or case.applicant_id is None:
            return None
        if user.pk == case.applicant_id or user.role in (User.Role.CLERK, User.Role.SUPERVISOR):
            return case.applicant_id
        return None

    def get_firm_credit_code(self, case: Case) -> str | None:
        """The applying firm's credit code (also a firm without an account here); null for a person."""
        return case.principal_credit_code or None


class FormChoiceSerializer(serializers.Serializer[Any]):
    value = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]


class FormFilledSerializer(serializers.Serializer[Any]):
    by = serializers.CharField(help_text="who filled the field in (name)")
    by_clerk = serializers.BooleanField(help_text="a clerk filled it (in a call with consent, or at the counter)")
    at = serializers.DateTimeField()


class FormFieldSerializer(serializers.Serializer[Any]):
    """One field of the application form declared by the pinned standard, with the case's value."""

    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    kind = serializers.ChoiceField(choices=FieldKind.choices)
    required = serializers.BooleanField()  # type: ignore[assignment]
    max_length = serializers.IntegerField()
    help = serializers.CharField(allow_blank=True)
    choices = FormChoiceSerializer(many=True)
    value = serializers.CharField(allow_blank=True, help_text="as stored; an ID number masked except for the applicant")
    shown = serializers.CharField(allow_blank=True, help_text="as read (a choice's label)")
    masked = serializers.BooleanField(help_text="the value is a masked ID number")
    filled = FormFilledSerializer(allow_null=True)


class FormFillSerializer(serializers.Serializer[Any]):
    values = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=MAX_LENGTH_LIMIT, trim_whitespace=False),
        help_text="field key → value; an empty value clears the field",
    )


def case_form_for(case: Case, request: Any) -> list[dict[str, Any]]:
    """The form as the requester may read it: the applicant side in full, everyone else with ID numbers masked."""
    user = getattr(request, "user", None)
    full = user is not None and case_is_applicant_side(case=case, user=user)
    return form_rows(case, full=full)


class CaseDetailSerializer(CaseSerializer):
    materials = CaseMaterialSerializer(many=True, read_only=True)
    rating = RatingSerializer(read_only=True, default=None)
    identity_check = serializers.SerializerMethodField(help_text="the newest identity check (身份核验), or null")
    form = serializers.SerializerMethodField(help_text="the application form's fields and values (申请表)")

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "materials", "identity_check", "rating", "form"]
        read_only_fields = fields

    @extend_schema_field(FormFieldSerializer(many=True))
    def get_form(self, case: Case) -> list[dict[str, Any]]:
        return case_form_for(case, self.context.get("request"))

    @extend_schema_field(IdentityCheckSerializer(allow_null=True))
    def get_identity_check(self, case: Case) -> dict[str, Any] | None:
        check = identity_check_of(case)
        return IdentityCheckSerializer(check).data if check is not None else None


class CorrectionItemSerializer(serializers.Serializer[Any]):
    item_material = serializers.IntegerField()
    material = serializers.IntegerField(allow_null=True, help_text="the upload found failing (null: none)")
    sha256 = serializers.CharField()
    reason = serializers.CharField()


class AcceptanceSerializer(serializers.Serializer[Any]):
    ready = serializers.BooleanField(help_text="whether the checks allow the acceptance now")
    missing = serializers.ListField(child=serializers.IntegerField(), help_text="required materials not uploaded")
    unchecked = serializers.ListField(child=serializers.IntegerField(), help_text="required materials not checked")
    failing = serializers.ListField(child=serializers.IntegerField(), help_text="uploads checked as not conforming")
    identity_missing = serializers.BooleanField()


class ChecksSerializer(serializers.Serializer[Any]):
    materials = MaterialCheckSerializer(many=True, help_text="every material check, oldest first")
    identity = IdentityCheckSerializer(many=True, help_text="every identity check, oldest first")
    acceptance = AcceptanceSerializer()
    correction = CorrectionItemSerializer(many=True, help_text="what the newest correction request listed")


class MaterialCheckCreateSerializer(serializers.Serializer[Any]):
    material = serializers.IntegerField(help_text="id of the case's current upload (materials[].id)")
    verdict = serializers.ChoiceField(choices=MaterialCheck.Verdict.choices)
    reason = serializers.CharField(
        allow_blank=True, required=False, default="", help_text="required when the verdict is not_conforming"
    )


class IdentityCheckCreateSerializer(serializers.Serializer[Any]):
    method = serializers.ChoiceField(choices=IdentityCheck.Method.choices)
    note = serializers.CharField(allow_blank=True, required=False, default="", max_length=300)


class PrincipalSerializer(serializers.Serializer[Any]):
    """代办: the person or firm the caller applies for, by exactly one of ID number or credit code."""

    id_number = serializers.CharField(
        required=False,
        max_length=18,
        validators=[validate_id_number],
        help_text="resident ID number of a natural person (never shown in full again)",
    )
    credit_code = serializers.CharField(
        required=False, max_length=18, validators=[validate_credit_code], help_text="unified social credit code"
    )
    name = serializers.CharField(
        required=False,
        max_length=200,
        help_text="name as on the power of attorney (a firm known here keeps its registered name)",
    )

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            # Full-width digits typed on a phone become ASCII here; the validators take ASCII only.
            data = {
                k: (normalize_id_number(v) if k in ("id_number", "credit_code") and isinstance(v, str) else v)
                for k, v in data.items()
            }
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("id_number")) == bool(attrs.get("credit_code")):
            raise serializers.ValidationError("Give either id_number (a person) or credit_code (a firm).")
        return attrs


class CaseCreateSerializer(serializers.Serializer[Any]):
    item_version = serializers.PrimaryKeyRelatedField(queryset=ItemVersion.objects.filter(status="published"))
    accepting_district = serializers.CharField(required=False, help_text="division code of the accepting district")
    principal = PrincipalSerializer(
        required=False,
        help_text="apply as an agent (代办) for this person or firm; the case then needs the item's power of "
        "attorney (授权委托书) before it can be submitted",
    )
    approving_place = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=7,
        help_text="for the item's competence rule (competent_district_rule): the applicant's place (division code, "
        "or 'outside' for none of the nine districts) when their account records none, or the chosen approving "
        "district; errors: approving_place_required, approving_choice_required, not_cross_province_here, …",
    )


class MaterialUploadSerializer(serializers.Serializer[Any]):
    item_material = serializers.PrimaryKeyRelatedField(queryset=ItemMaterial.objects.all())
    file = serializers.FileField()


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class RequiredReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField()


class CorrectionSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(help_text="the request's note; also the reason of any material named in `materials`")
    materials = serializers.PrimaryKeyRelatedField(
        queryset=ItemMaterial.objects.all(),
        many=True,
        required=False,
        default=list,
        help_text="more materials to correct besides those whose check failed (which are always listed, each with "
        "its check's reason); a material checked as conforming cannot be named",
    )


class ReturnedMaterialSerializer(serializers.Serializer[Any]):
    item_material = serializers.PrimaryKeyRelatedField(queryset=ItemMaterial.objects.all())
    reason = serializers.CharField(max_length=500, help_text="why this material does not do")


class ReturnSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(help_text="why the case goes back through the accepting window")
    materials = ReturnedMaterialSerializer(
        many=True, required=False, default=list, help_text="each material found wanting, with its own reason"
    )

    def validate_materials(self, value: list[dict[str, Any]]) -> list[tuple[ItemMaterial, str]]:
        return [(row["item_material"], row["reason"]) for row in value]


class DeliverySerializer(serializers.Serializer[Any]):
    method = serializers.ChoiceField(choices=DeliveryMethod.choices)
    detail = serializers.CharField(allow_blank=True, required=False, default="")


class RateSerializer(serializers.Serializer[Any]):
    score = serializers.IntegerField(min_value=1, max_value=5)
    attitude = serializers.IntegerField(min_value=1, max_value=5)
    speed = serializers.IntegerField(min_value=1, max_value=5)
    convenience = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(allow_blank=True, required=False, default="")


class CaseEventSerializer(serializers.ModelSerializer[CaseEvent]):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = [
            "seq",
            "action",
            "from_state",
            "to_state",
            "actor",
            "actor_name",
            "actor_role",
            "district_code",
            "window_code",
            "reason",
            "data",
            "request_id",
            "created_at",
            "prev_hash",
            "hash",
        ]

    def get_actor_name(self, event: CaseEvent) -> str:
        return str(event.actor) if event.actor else ""


class IdNumberSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    applicant_id_number = serializers.CharField()


class ChainSerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField()
    events = serializers.IntegerField()
    broken_at = serializers.IntegerField(allow_null=True)
    problem = serializers.CharField()


class QueueSerializer(serializers.Serializer[Any]):
    division_code = serializers.CharField()
    district = serializers.CharField()
    queue = serializers.CharField()
    active_clerks = serializers.IntegerField()
    waiting = serializers.IntegerField()
    held_without_clerk = serializers.IntegerField()
    in_review = serializers.IntegerField()
    routing_stopped = serializers.IntegerField()
    cases = serializers.ListField(child=serializers.CharField())


class RatingFiguresSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    average = serializers.FloatField(allow_null=True)
    bad = serializers.IntegerField()
    follow_ups_open = serializers.IntegerField()


class FiguresBlockSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField()
    by_state = serializers.DictField(child=serializers.IntegerField())
    completed = serializers.IntegerField()
    average_days_to_complete = serializers.FloatField(allow_null=True)
    average_promised_days = serializers.FloatField(allow_null=True)
    overdue_open = serializers.IntegerField()
    completed_late = serializers.IntegerField()
    trips_saved = serializers.IntegerField()
    ratings = RatingFiguresSerializer()


class DistrictFiguresSerializer(FiguresBlockSerializer):
    division_code = serializers.CharField()
    district = serializers.CharField()


class FiguresSerializer(serializers.Serializer[Any]):
    districts = DistrictFiguresSerializer(many=True)
    alliance = FiguresBlockSerializer(required=False)


class ReturnVisitSerializer(serializers.ModelSerializer[ReturnVisit]):
    visitor = serializers.CharField(source="visitor.__str__", read_only=True)

    class Meta:
        model = ReturnVisit
        fields = ["id", "visited_at", "method", "visitor", "citizen_said", "created_at"]
        read_only_fields = ["id", "visitor", "created_at"]


class FollowUpSerializer(serializers.ModelSerializer[FollowUp]):
    reference = serializers.CharField(source="rating.case.reference", read_only=True)
    score = serializers.IntegerField(source="rating.score", read_only=True)
    attitude = serializers.IntegerField(source="rating.attitude", read_only=True)
    speed = serializers.IntegerField(source="rating.speed", read_only=True)
    convenience = serializers.IntegerField(source="rating.convenience", read_only=True)
    comment = serializers.CharField(source="rating.comment", read_only=True)
    district = serializers.CharField(source="district.division_code", read_only=True)
    standing = serializers.SerializerMethodField(help_text="open, overdue, escalated or closed")
    visits = ReturnVisitSerializer(many=True, read_only=True)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "reference",
            "score",
            "attitude",
            "speed",
            "convenience",
            "comment",
            "district",
            "status",
            "standing",
            "due_on",
            "escalated_at",
            "visits",
            "rectification",
            "rectified_by",
            "rectified_at",
            "note",
            "handled_by",
            "created_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_standing(self, follow_up: FollowUp) -> str:
        return follow_up_standing(follow_up)


class FollowUpCloseSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=2000, help_text="the result the applicant is told")


class FollowUpVisitSerializer(serializers.Serializer[Any]):
    visited_at = serializers.DateTimeField()
    method = serializers.ChoiceField(choices=ReturnVisit.Method.choices)
    citizen_said = serializers.CharField(max_length=2000)


class FollowUpRectifySerializer(serializers.Serializer[Any]):
    rectification = serializers.CharField(max_length=2000)
    rectified_by = serializers.CharField(max_length=100)


class CasePaperSerializer(serializers.ModelSerializer[CasePaper]):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    file_url = serializers.SerializerMethodField()
    print_url = serializers.SerializerMethodField()
    verify_url = serializers.SerializerMethodField()

    class Meta:
        model = CasePaper
        fields = [
            "number",
            "kind",
            "kind_label",
            "issued_at",
            "event_seq",
            "size",
            "sha256",
            "district_code",
            "window_code",
            "file_url",
            "print_url",
            "verify_url",
        ]
        read_only_fields = fields

    def get_file_url(self, paper: CasePaper) -> str:
        return reverse("case-paper-file", args=[paper.case.reference, paper.number])

    def get_print_url(self, paper: CasePaper) -> str:
        return reverse("cases-paper-print", args=[paper.case.reference, paper.number])

    def get_verify_url(self, paper: CasePaper) -> str:
        return verify_url(paper.verify_token)


class PaperCheckSerializer(serializers.Serializer[Any]):
    """What a document's public check confirms: nothing about the person."""

    number = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    issued_at = serializers.DateTimeField()
    issued_by = serializers.CharField()
    sha256 = serializers.CharField()
    intact = serializers.BooleanField()


class HolidaySerializer(serializers.ModelSerializer[Holiday]):
    class Meta:
        model = Holiday
        fields = ["date", "kind", "name"]


class RecommendedItemSerializer(serializers.Serializer[Any]):
    """One recommended item (`selectors.RecommendedItem`), ranked, with the reasons it is recommended."""

    id = serializers.IntegerField(source="version.pk", read_only=True)
    item_code = serializers.CharField(source="version.item.code", read_only=True)
    number = serializers.IntegerField(source="version.number", read_only=True)
    name = serializers.CharField(source="version.name", read_only=True)
    name_en = serializers.CharField(source="version.name_en", read_only=True)
    growth_stages = serializers.ListField(source="version.growth_stages", child=serializers.CharField(), read_only=True)
    promised_limit = serializers.IntegerField(source="version.promised_limit", read_only=True)
    limit_unit = serializers.CharField(source="version.limit_unit", read_only=True)
    score = serializers.IntegerField(read_only=True, help_text="weight of the fit: higher first")
    reasons = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="why it is recommended, in the caller's language"
    )


class FirmSpecialistSerializer(serializers.ModelSerializer[FirmSpecialist]):
    district = serializers.CharField(source="district.division_code", read_only=True)
    clerk_name = serializers.CharField(source="clerk.__str__", read_only=True)

    class Meta:
        model = FirmSpecialist
        fields = ["id", "firm", "district", "clerk", "clerk_name", "assigned_by", "assigned_at", "active"]
        read_only_fields = fields


class FirmSpecialistAssignSerializer(serializers.Serializer[Any]):
    district = serializers.CharField(help_text="division code")
    clerk = serializers.IntegerField()


class FirmProfileSerializer(serializers.ModelSerializer[Firm]):
    """What a firm's representative declares (growth stage, business mode, industry, scope); the rest is read only."""

    class Meta:
        model = Firm
        fields = [
            "id",
            "name",
            "credit_code",
            "growth_stage",
            "business_mode",
            "industry",
            "business_scope",
        ]
        read_only_fields = ["id", "name", "credit_code"]


class ApprovingDistrictChangeSerializer(serializers.Serializer[Any]):
    district = serializers.RegexField(r"^[0-9]{6}$", help_text="division code of a district that approves the item")
    reason = serializers.CharField(help_text="why the accepting clerk names another competent district")


class CounterLookupSerializer(serializers.Serializer[Any]):
    id_number = serializers.CharField(max_length=18, help_text="the walk-in applicant's resident ID number")


class WalkinSerializer(serializers.Serializer[Any]):
    masked_id_number = serializers.CharField()
    has_account = serializers.BooleanField()
    name = serializers.CharField()
    phone_on_record = serializers.BooleanField()
    household_district = serializers.CharField(source="household_district.division_code", default=None)
    insured_district = serializers.CharField(source="insured_district.division_code", default=None)


class CounterIntakeSerializer(serializers.Serializer[Any]):
    item_version = serializers.PrimaryKeyRelatedField(queryset=ItemVersion.objects.filter(status="published"))
    id_number = serializers.CharField(max_length=18, help_text="checked: 17 ASCII digits and a check digit")
    consent = serializers.BooleanField(help_text="the applicant agreed to the clerk filing on their behalf")
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    approving_place = serializers.CharField(required=False, allow_blank=True, default="", max_length=7)


class CaseViewSerializer(serializers.Serializer[Any]):
    """One look by staff at a case (谁查看了我的办件); staff appear by a masked name, never by account."""

    viewed_at = serializers.DateTimeField()
    viewer = serializers.CharField(help_text="the staff member's name, masked: first character and stars")
    role = serializers.CharField(help_text="citizen, clerk, supervisor, standards_admin …")
    role_label = serializers.CharField()
    district = serializers.CharField(allow_null=True, help_text="division code of the clerk's district")
    district_name = serializers.CharField()
    what = serializers.ChoiceField(
        choices=CaseView.What.choices, help_text="case: the case page or API; material; id_number: the full ID number"
    )
    what_label = serializers.CharField()
    material = serializers.IntegerField(allow_null=True, help_text="the case material's id when `what` is material")
    material_name = serializers.CharField()
    via = serializers.ChoiceField(choices=CaseView.Via.choices)


class PaginatedCaseViewSerializer(serializers.Serializer[Any]):
    """A page of `CaseViewSerializer` (`?page=`), newest first."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CaseViewSerializer(many=True)


class StateQueueSerializer(serializers.Serializer[Any]):
    state = serializers.CharField()
    state_label = serializers.CharField(source="label")
    queue = serializers.CharField(help_text="to_accept, to_approve, to_deliver, waiting or withdrawn")
    count = serializers.IntegerField(help_text="cases in this state at the caller's district, after the filters")
    overdue = serializers.IntegerField(help_text="of which past their promised deadline")
    cases = CaseSerializer(many=True, help_text="overdue first, then the longest waiting (withdrawn: newest first)")


class WorkbenchSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField()
    queues = StateQueueSerializer(many=True, help_text="every state with a queue, with its count")
    shown = StateQueueSerializer(many=True, help_text="the queues listed: the chosen state, or every non-empty one")
