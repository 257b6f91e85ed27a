"""The cases API: thin views over cases.services and cases.selectors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.models import Firm, FirmSpecialist, User
from cases import selectors, services
from cases.api import serializers as s
from cases.chain import chain_verify
from cases.models import Case, FollowUp, Holiday
from standards.models import District


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The case is not in a state that allows this."
    default_code = "conflict"


def call_service(service: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a service and turn its domain errors into HTTP answers (403, 400, 409)."""
    try:
        return service(**kwargs)
    except DjangoPermissionDenied as error:
        raise PermissionDenied(str(error)) from error
    except services.TransitionNotAllowed as error:
        raise Conflict(" ".join(error.messages)) from error
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages) from error


def _transition(
    url_path: str, service: Callable[..., Any], serializer: type | None, to_kwargs: Callable, doc: str, name: str = ""
):
    def view(self, request, reference=None):
        case = self.get_object()
        data: dict = {}
        if serializer is not None:
            incoming = serializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            data = incoming.validated_data
        call_service(service, case=case, actor=request.user, request_id=request.request_id, **to_kwargs(data))
        return Response(s.CaseDetailSerializer(Case.objects.get(pk=case.pk), context={"request": request}).data)

    view.__name__ = name or url_path.replace("-", "_")
    view.__doc__ = doc
    view = extend_schema(request=serializer, responses={200: s.CaseDetailSerializer}, description=doc)(view)
    return action(detail=True, methods=["post"], url_path=url_path)(view)


def _none(_data):
    return {}


def _reason(data):
    return {"reason": data.get("reason", "")}


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases the caller may see: own (citizen), own firm's (firm), district's (clerk), all (supervisor).

    A case outside that answers 404; a step the caller's role may not take answers 403;
    a step the case's state does not allow answers 409.
    """

    lookup_field = "reference"
    lookup_value_regex = "C9[0-9A-F]+"
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["state"]

    def get_queryset(self):
        return selectors.cases_visible_to(self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return s.CaseCreateSerializer
        return s.CaseDetailSerializer if self.action == "retrieve" else s.CaseSerializer

    @extend_schema(request=s.CaseCreateSerializer, responses={201: s.CaseDetailSerializer})
    def create(self, request):
        """Start a draft for a published item version (a firm representative applies for their firm).

        With `principal`, the caller applies as an agent (代办) for that person (ID number) or firm (credit
        code): they act on the case, the principal's account sees it too, and the item's power of attorney
        (授权委托书) must be uploaded before submission.
        """
        incoming = s.CaseCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        district = None
        if incoming.validated_data.get("accepting_district"):
            district = get_object_or_404(District, division_code=incoming.validated_data["accepting_district"])
        principal = incoming.validated_data.get("principal")
        if principal is not None:
            case = call_service(
                services.case_agent_draft_create,
                agent=request.user,
                item_version=incoming.validated_data["item_version"],
                principal_name=principal.get("name", ""),
                principal_id_number=principal.get("id_number", ""),
                principal_credit_code=principal.get("credit_code", ""),
                accepting_district=district,
                request_id=request.request_id,
            )
        else:
            case = call_service(
                services.case_draft_create,
                applicant=request.user,
                item_version=incoming.validated_data["item_version"],
                actor=request.user,
                firm=request.user.firm if request.user.role == User.Role.FIRM else None,
                accepting_district=district,
                request_id=request.request_id,
            )
        return Response(s.CaseDetailSerializer(case).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.MaterialUploadSerializer, responses={201: s.CaseMaterialSerializer})
    @action(detail=True, methods=["post"], url_path="materials")
    def materials(self, request, reference=None):
        """Upload a material; checked by content (not name), size and the pinned version's standard."""
        case = self.get_object()
        incoming = s.MaterialUploadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        material = call_service(
            services.case_material_add,
            case=case,
            item_material=incoming.validated_data["item_material"],
            uploaded_file=incoming.validated_data["file"],
            actor=request.user,
            request_id=request.request_id,
        )
        return Response(s.CaseMaterialSerializer(material).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.CaseEventSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def events(self, request, reference=None):
        """The case's event log (who, role, district, window, from → to, when, why, request id, hashes)."""
        case = self.get_object()
        events = selectors.case_events_visible_to(case=case, user=request.user)
        return Response(s.CaseEventSerializer(events, many=True).data)

    @extend_schema(responses={200: s.ChainSerializer})
    @action(detail=True, methods=["get"])
    def chain(self, request, reference=None):
        """Verify the case's hash chain from its first event."""
        report = chain_verify(case=self.get_object())
        return Response(s.ChainSerializer(report.__dict__).data)

    @extend_schema(responses={200: s.IdNumberSerializer})
    @action(detail=True, methods=["get"], url_path="id-number")
    def id_number(self, request, reference=None):
        """The applicant's full ID number, for holders of cases.view_full_id_number; each reading is audited."""
        case = self.get_object()
        number = call_service(
            services.case_id_number_reveal, case=case, actor=request.user, request_id=request.request_id
        )
        return Response({"reference": case.reference, "applicant_id_number": number})

    submit = _transition("submit", services.case_submit, None, _none, "Submit (or resubmit after a correction).")
    accept = _transition("accept", services.case_accept, None, _none, "受理: accept at the accepting window.")
    not_accept = _transition(
        "not-accept", services.case_not_accept, s.RequiredReasonSerializer, _reason, "不予受理, with a reason."
    )
    request_correction = _transition(
        "request-correction",
        services.case_request_correction,
        s.CorrectionSerializer,
        lambda d: {"reason": d["reason"], "materials": d["materials"]},
        "补正: name the materials and why; the clock stops until resubmission.",
    )
    recognise = _transition(
        "recognise",
        services.case_review_start,
        None,
        _none,
        "互认: the approving district verifies the record and takes the case into review (one clerk wins).",
    )
    return_case = _transition(
        "return",
        services.case_return,
        s.RequiredReasonSerializer,
        _reason,
        "Return the case through the accepting window, with reasons.",
        name="return_case",
    )
    special_procedure_start = _transition(
        "special-procedure-start",
        services.case_special_procedure_start,
        s.RequiredReasonSerializer,
        _reason,
        "Start a special procedure (the clock stops).",
    )
    special_procedure_end = _transition(
        "special-procedure-end",
        services.case_special_procedure_end,
        s.ReasonSerializer,
        _reason,
        "End the special procedure (the clock runs again).",
    )
    approve = _transition("approve", services.case_approve, s.ReasonSerializer, _reason, "准予: approve.")
    refuse = _transition(
        "refuse", services.case_refuse, s.RequiredReasonSerializer, _reason, "不予: refuse, with a reason."
    )
    deliver = _transition(
        "deliver",
        services.case_deliver,
        s.DeliverySerializer,
        lambda d: {"method": d["method"], "detail": d.get("detail", "")},
        "送达 through the accepting district: electronic licence, courier or pick-up.",
    )
    close = _transition("close", services.case_close, None, _none, "办结: close a delivered case.")
    rate = _transition(
        "rate",
        services.case_rate,
        s.RateSerializer,
        lambda d: dict(d),
        "好差评 once per closed case; 2 or less opens a follow-up.",
    )

    @extend_schema(responses={200: s.QueueSerializer(many=True)})
    @action(detail=False, methods=["get"])
    def queues(self, request):
        """District queues: a clerk's own district, every district for a supervisor."""
        if request.user.role not in (User.Role.CLERK, User.Role.SUPERVISOR):
            raise PermissionDenied()
        return Response(s.QueueSerializer(selectors.district_queues(user=request.user), many=True).data)

    @extend_schema(responses={200: s.FiguresSerializer})
    @action(detail=False, methods=["get"])
    def figures(self, request):
        """Cases by state, time to complete against the promise, overdue, trips saved, ratings."""
        if request.user.role not in (User.Role.CLERK, User.Role.SUPERVISOR):
            raise PermissionDenied()
        return Response(s.FiguresSerializer(selectors.figures(user=request.user)).data)


class FollowUpViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Follow-ups of bad ratings: supervisors (all), clerks (their district, read only)."""

    serializer_class = s.FollowUpSerializer
    queryset = FollowUp.objects.none()

    def get_queryset(self):
        user = self.request.user
        if getattr(self, "swagger_fake_view", False) or not user.is_authenticated:
            return FollowUp.objects.none()
        follow_ups = FollowUp.objects.select_related("rating__case", "district")
        if user.role == User.Role.SUPERVISOR:
            return follow_ups
        if user.role == User.Role.CLERK:
            return follow_ups.filter(district_id=user.district_id)
        return follow_ups.none()

    @extend_schema(request=s.FollowUpCloseSerializer, responses={200: s.FollowUpSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        follow_up = self.get_object()
        incoming = s.FollowUpCloseSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        follow_up = call_service(
            services.follow_up_close, follow_up=follow_up, actor=request.user, note=incoming.validated_data["note"]
        )
        return Response(s.FollowUpSerializer(follow_up).data)


class HolidayViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The working-day calendar (maintained in the admin)."""

    serializer_class = s.HolidaySerializer
    queryset = Holiday.objects.all()
    pagination_class = None


class FirmViewSet(viewsets.GenericViewSet):
    """Firms (精服务): recommended items for the firm's growth stage, and its specialists per district."""

    queryset = Firm.objects.none()
    serializer_class = s.FirmSpecialistSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Firm.objects.none()
        return selectors.firms_visible_to(self.request.user)

    @extend_schema(responses={200: s.RecommendedItemSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def recommendations(self, request, pk=None):
        firm = self.get_object()
        items = selectors.firm_recommended_items(firm=firm)
        return Response(s.RecommendedItemSerializer(items, many=True).data)

    @extend_schema(
        methods=["get"],
        responses={200: s.FirmSpecialistSerializer(many=True)},
        request=None,
    )
    @extend_schema(
        methods=["post"],
        request=s.FirmSpecialistAssignSerializer,
        responses={201: s.FirmSpecialistSerializer},
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["get", "post"])
    def specialists(self, request, pk=None):
        firm = self.get_object()
        if request.method == "GET":
            rows = FirmSpecialist.objects.filter(firm=firm).filter(Q(active=True)).select_related("district", "clerk")
            return Response(s.FirmSpecialistSerializer(rows, many=True).data)
        incoming = s.FirmSpecialistAssignSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        district = get_object_or_404(District, division_code=incoming.validated_data["district"])
        clerk = get_object_or_404(User, pk=incoming.validated_data["clerk"])
        specialist = call_service(
            services.firm_specialist_assign, firm=firm, district=district, clerk=clerk, actor=request.user
        )
        return Response(s.FirmSpecialistSerializer(specialist).data, status=status.HTTP_201_CREATED)
