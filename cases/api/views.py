"""The cases API: thin views over cases.services and cases.selectors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q, QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Firm, FirmSpecialist, User
from cases import life_cycle, selectors, services
from cases.api import serializers as s
from cases.chain import chain_verify
from cases.http import document_response, request_id, signed_in_user
from cases.life_cycle import Input, Step
from cases.models import Case, CaseMaterial, CaseView, FollowUp, Holiday
from cases.selectors.queues import DEADLINE_FILTERS
from govservice.errors import ErrorSerializer
from govservice.parsers import JSONParser
from standards.models import District


# The request body of a step, by its declared inputs (cases.life_cycle); None: no body.
def _step_serializer(step: Step) -> type[serializers.Serializer[Any]] | None:
    if step.inputs == (Input.MATERIALS, Input.REASON):
        return s.CorrectionSerializer
    if step.inputs == (Input.RETURN_MATERIALS, Input.REASON):
        return s.ReturnSerializer
    if step.inputs == (Input.REASON,):
        return s.RequiredReasonSerializer if step.reason_required else s.ReasonSerializer
    if step.inputs == (Input.DELIVERY,):
        return s.DeliverySerializer
    if step.inputs == (Input.RATING,):
        return s.RateSerializer
    if not step.inputs:
        return None
    raise ImproperlyConfigured(f"no request serializer for the inputs of step {step.name!r}: {step.inputs}")


def _step_action(step: Step) -> Callable[..., Response]:
    """The POST action of one declared step: validate the body, call the step's service, answer the case."""
    serializer = _step_serializer(step)
    service = getattr(services, step.service)

    def view(self: CaseViewSet, request: Request, reference: str | None = None) -> Response:
        case = self.get_object()
        data: dict[str, Any] = {}
        if serializer is not None:
            incoming = serializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            data = dict(incoming.validated_data)
        # Domain errors propagate: the global handler (govservice.errors) answers 400/403/409.
        service(case=case, actor=signed_in_user(request), request_id=request_id(request), **data)
        return Response(s.CaseDetailSerializer(Case.objects.get(pk=case.pk), context={"request": request}).data)

    view.__name__ = step.api_name
    view.__doc__ = step.doc
    documented = extend_schema(request=serializer, responses={200: s.CaseDetailSerializer}, description=step.doc)(view)
    return action(detail=True, methods=["post"], url_path=step.url_path)(documented)


def _with_declared_steps(viewset: type[CaseViewSet]) -> type[CaseViewSet]:
    """Add one action per declared step with an API path (same URLs as the pages' step names, dashed)."""
    for step in life_cycle.api_steps():
        setattr(viewset, step.api_name, _step_action(step))
    return viewset


@_with_declared_steps
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Case]):
    """Cases the caller may see: own (citizen), own firm's (firm), district's (clerk), all (supervisor).

    A case outside that answers 404; a step the caller's role may not take answers 403;
    a step the case's state does not allow answers 409.
    """

    lookup_field = "reference"
    lookup_value_regex = "C9[0-9A-F]+"
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["state"]

    def get_queryset(self) -> QuerySet[Case]:
        return selectors.cases_visible_to(self.request.user)

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action == "create":
            return s.CaseCreateSerializer
        return s.CaseDetailSerializer if self.action == "retrieve" else s.CaseSerializer

    @extend_schema(request=s.CaseCreateSerializer, responses={201: s.CaseDetailSerializer})
    def create(self, request: Request) -> Response:
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
        user = signed_in_user(request)
        if principal is not None:
            case = services.case_agent_draft_create(
                agent=user,
                item_version=incoming.validated_data["item_version"],
                principal_name=principal.get("name", ""),
                principal_id_number=principal.get("id_number", ""),
                principal_credit_code=principal.get("credit_code", ""),
                accepting_district=district,
                approving_place=incoming.validated_data["approving_place"],
                request_id=request_id(request),
            )
        else:
            case = services.case_draft_create(
                applicant=user,
                item_version=incoming.validated_data["item_version"],
                actor=user,
                accepting_district=district,
                approving_place=incoming.validated_data["approving_place"],
                request_id=request_id(request),
            )
        return Response(s.CaseDetailSerializer(case, context={"request": request}).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, reference: str | None = None) -> Response:
        """A case with its materials; a look by staff is recorded for the applicant (`views/`)."""
        case = self.get_object()
        response = Response(s.CaseDetailSerializer(case, context={"request": request}).data)
        services.case_view_after_response(
            request=request, response=response, case=case, what=CaseView.What.CASE, via=CaseView.Via.API
        )
        return response

    @extend_schema(request=s.ApprovingDistrictChangeSerializer, responses={200: s.CaseDetailSerializer})
    @action(detail=True, methods=["post"], url_path="approving-district")
    def approving_district(self, request: Request, reference: str | None = None) -> Response:
        """The accepting clerk names another competent district (one that approves the item), with a reason,
        before the transfer (409 `approving_district_fixed` after); the change joins the event chain."""
        case = self.get_object()
        incoming = s.ApprovingDistrictChangeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        district = get_object_or_404(District, division_code=incoming.validated_data["district"])
        services.case_approving_district_change(
            case=case,
            actor=signed_in_user(request),
            district=district,
            reason=incoming.validated_data["reason"],
            request_id=request_id(request),
        )
        return Response(s.CaseDetailSerializer(Case.objects.get(pk=case.pk), context={"request": request}).data)

    @extend_schema(request=s.CounterLookupSerializer, responses={200: s.WalkinSerializer})
    @action(detail=False, methods=["post"], url_path="counter/lookup")
    def counter_lookup(self, request: Request) -> Response:
        """窗口收件: a clerk looks a walk-in applicant up by ID number (POSTed, so it stays out of URLs and
        logs); the answer masks it and says whether an account holds it."""
        incoming = s.CounterLookupSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        walkin = selectors.counter_lookup(clerk=signed_in_user(request), id_number=incoming.validated_data["id_number"])
        return Response(s.WalkinSerializer(walkin).data)

    @extend_schema(request=s.CounterIntakeSerializer, responses={201: s.CaseDetailSerializer})
    @action(detail=False, methods=["post"], url_path="counter")
    def counter(self, request: Request) -> Response:
        """窗口收件: a clerk files a walk-in applicant's case at their window, with the applicant's consent
        (400 `consent_required` without). Then upload the materials (`materials/`) and `submit/` as for any case."""
        incoming = s.CounterIntakeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        case = services.case_counter_intake(
            clerk=signed_in_user(request),
            item_version=data["item_version"],
            id_number=data["id_number"],
            consent=data["consent"],
            name=data["name"],
            phone=data["phone"],
            approving_place=data["approving_place"],
            request_id=request_id(request),
        )
        return Response(s.CaseDetailSerializer(case).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.MaterialUploadSerializer, responses={201: s.CaseMaterialSerializer})
    @action(detail=True, methods=["post"], url_path="materials")
    def materials(self, request: Request, reference: str | None = None) -> Response:
        """Upload a material; checked by content (not name), size and the pinned version's standard."""
        case = self.get_object()
        incoming = s.MaterialUploadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        material = services.case_material_add(
            case=case,
            item_material=incoming.validated_data["item_material"],
            uploaded_file=incoming.validated_data["file"],
            actor=signed_in_user(request),
            request_id=request_id(request),
        )
        return Response(s.CaseMaterialSerializer(material).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.FormFillSerializer, responses={200: s.FormFieldSerializer(many=True)})
    @action(detail=True, methods=["post"], url_path="form")
    def form(self, request: Request, reference: str | None = None) -> Response:
        """Fill in fields of the application form (申请表) while the case takes materials: each value checked
        by its field's kind (all refused when one is wrong, each named); an empty value clears a field."""
        case = self.get_object()
        incoming = s.FormFillSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.case_form_fill(
            case=case,
            values=incoming.validated_data["values"],
            actor=signed_in_user(request),
            request_id=request_id(request),
        )
        return Response(s.case_form_for(case, request))

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "image/*"): OpenApiTypes.BINARY,
            409: ErrorSerializer,  # document_damaged: a read, yet documented (schemathesis checks it)
        },
        description="The file of a material, checked against its SHA-256 (409 `document_damaged` when it no "
        "longer matches). PDFs and images inline, anything else as a download of application/octet-stream.",
    )
    @action(detail=True, methods=["get"], url_path=r"materials/(?P<material_id>[0-9]+)/file")
    def material_file(self, request: Request, reference: str | None = None, material_id: str = "") -> FileResponse:
        document = selectors.case_document_for(
            user=request.user, reference=reference or "", material_id=int(material_id)
        )
        response = document_response(document)
        services.case_view_after_response(
            request=request,
            response=response,
            case=document.material.case,
            what=CaseView.What.MATERIAL,
            material=document.material,
            via=CaseView.Via.API,
        )
        return response

    @extend_schema(responses={200: s.CasePaperSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)  # one list, not pages (as documented)
    def papers(self, request: Request, reference: str | None = None) -> Response:
        """The documents the case's steps issued (文书): number, kind, date, SHA-256, where to get and check each."""
        case = self.get_object()
        return Response(s.CasePaperSerializer(selectors.case_papers(case), many=True).data)

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 409: ErrorSerializer},
        description="The document's PDF as issued, checked against the SHA-256 on the chain (409 "
        "`document_damaged` when it no longer matches); 404 for whoever may not see the case.",
    )
    @action(detail=True, methods=["get"], url_path=r"papers/(?P<number>[A-Za-z0-9-]+)/file", url_name="paper-file")
    def paper_file(self, request: Request, reference: str | None = None, number: str = "") -> FileResponse:
        paper = selectors.case_paper_for(user=request.user, reference=reference or "", number=number)
        return document_response(selectors.case_paper_file(paper))

    @extend_schema(responses={200: s.ChecksSerializer})
    @action(detail=True, methods=["get"])
    def checks(self, request: Request, reference: str | None = None) -> Response:
        """The accepting district's checks (形式审查 per file, 身份核验), whether they allow the acceptance now,
        and what the newest correction request (补正) listed. For everyone who may see the case."""
        case = self.get_object()
        gaps = services.acceptance_gaps(case)
        body = {
            "materials": selectors.material_checks_of(case),
            "identity": list(case.identity_checks.select_related("clerk", "district").order_by("checked_at", "id")),
            "acceptance": {
                "ready": gaps.ready,
                "missing": [material.pk for material in gaps.missing],
                "unchecked": [material.pk for material in gaps.unchecked],
                "failing": [check.material_id for check in gaps.failing],
                "identity_missing": gaps.identity_missing,
            },
            "correction": [item.__dict__ for item in selectors.last_correction(case)],
        }
        return Response(s.ChecksSerializer(body).data)

    @extend_schema(request=s.MaterialCheckCreateSerializer, responses={201: s.MaterialCheckSerializer})
    @action(detail=True, methods=["post"], url_path="checks/materials")
    def check_material(self, request: Request, reference: str | None = None) -> Response:
        """形式审查: a clerk of the accepting district marks one current upload conforming, or not with a reason.

        While the case waits at the accepting window (submitted, returned); written to the case's event chain.
        A new upload needs a new check.
        """
        case = self.get_object()
        incoming = s.MaterialCheckCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        material = get_object_or_404(CaseMaterial, pk=incoming.validated_data["material"], case=case)
        check = services.case_material_check(
            case=case,
            material=material,
            verdict=incoming.validated_data["verdict"],
            reason=incoming.validated_data["reason"],
            actor=signed_in_user(request),
            request_id=request_id(request),
        )
        return Response(s.MaterialCheckSerializer(check).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.IdentityCheckCreateSerializer, responses={201: s.IdentityCheckSerializer})
    @action(detail=True, methods=["post"], url_path="checks/identity")
    def check_identity(self, request: Request, reference: str | None = None) -> Response:
        """身份核验: how a clerk of the accepting district verified the applicant's identity (in person with the ID
        card, by video, electronic ID); written to the case's event chain."""
        case = self.get_object()
        incoming = s.IdentityCheckCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        check = services.case_identity_check(
            case=case,
            method=incoming.validated_data["method"],
            note=incoming.validated_data["note"],
            actor=signed_in_user(request),
            request_id=request_id(request),
        )
        return Response(s.IdentityCheckSerializer(check).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.CaseEventSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)  # one list, not pages (as documented)
    def events(self, request: Request, reference: str | None = None) -> Response:
        """The case's event log (who, role, district, window, from → to, when, why, request id, hashes)."""
        case = self.get_object()
        events = selectors.case_events_visible_to(case=case, user=request.user)
        return Response(s.CaseEventSerializer(events, many=True).data)

    @extend_schema(responses={200: s.ChainSerializer})
    @action(detail=True, methods=["get"])
    def chain(self, request: Request, reference: str | None = None) -> Response:
        """Verify the case's hash chain from its first event."""
        report = chain_verify(case=self.get_object())
        return Response(s.ChainSerializer(report.__dict__).data)

    @extend_schema(responses={200: s.IdNumberSerializer})
    @action(detail=True, methods=["get"], url_path="id-number")
    def id_number(self, request: Request, reference: str | None = None) -> Response:
        """The applicant's full ID number, for holders of cases.view_full_id_number; each reading is audited."""
        case = self.get_object()
        number = services.case_id_number_reveal(
            case=case, actor=signed_in_user(request), request_id=request_id(request)
        )
        response = Response({"reference": case.reference, "applicant_id_number": number})
        # Already in the case's chain (the service); also in the list the applicant reads.
        services.case_view_after_response(
            request=request, response=response, case=case, what=CaseView.What.ID_NUMBER, via=CaseView.Via.API
        )
        return response

    @extend_schema(
        responses={200: s.PaginatedCaseViewSerializer},
        parameters=[OpenApiParameter("page", int, description="page number (20 a page)")],
    )
    @action(detail=True, methods=["get"])
    def views(self, request: Request, reference: str | None = None) -> Response:
        """Who viewed the case (谁查看了我的办件): each look by staff at the case, a material or the full ID number,
        newest first — who (masked name), role, district, when, what. For the applicant side (and supervisors);
        403 `forbidden` for clerks."""
        case = self.get_object()
        views = selectors.case_views_for(case=case, user=request.user)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(views, request, view=self) or []
        return paginator.get_paginated_response(
            s.CaseViewSerializer([selectors.view_entry(view) for view in page], many=True).data
        )

    @extend_schema(responses={200: s.QueueSerializer(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None)  # one list, not pages (as documented)
    def queues(self, request: Request) -> Response:
        """District queues: a clerk's own district, every district for a supervisor."""
        user = signed_in_user(request)
        if user.role not in (User.Role.CLERK, User.Role.SUPERVISOR):
            raise PermissionDenied
        return Response(s.QueueSerializer(selectors.district_queues(user=user), many=True).data)

    @extend_schema(
        responses={200: s.WorkbenchSerializer},
        parameters=[
            OpenApiParameter("state", str, description="only this state's queue"),
            OpenApiParameter("item", str, description="an item's code"),
            OpenApiParameter("window", str, description="a window's code (accepting or approving)"),
            OpenApiParameter("clerk", int, description="a clerk's user id (accepting or approving)"),
            OpenApiParameter("deadline", str, enum=list(DEADLINE_FILTERS), description="by the promised deadline"),
        ],
    )
    @action(detail=False, methods=["get"])
    def workbench(self, request: Request) -> Response:
        """A clerk's desk: a queue per state with counts (and how many are overdue), overdue then oldest first."""
        user = signed_in_user(request)
        if user.role != User.Role.CLERK:
            raise PermissionDenied
        desk = selectors.workbench_for(user, selectors.WorkbenchFilters.from_query(request.query_params))
        desk = selectors.with_whole_cases(desk, clerk=user)
        return Response(s.WorkbenchSerializer({"total": desk.total, "queues": desk.queues, "shown": desk.shown}).data)

    @extend_schema(responses={200: s.FiguresSerializer})
    @action(detail=False, methods=["get"])
    def figures(self, request: Request) -> Response:
        """Cases by state, time to complete against the promise, overdue, trips saved, ratings."""
        user = signed_in_user(request)
        if user.role not in (User.Role.CLERK, User.Role.SUPERVISOR):
            raise PermissionDenied
        return Response(s.FiguresSerializer(selectors.figures(user=user)).data)


class FollowUpViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[FollowUp]):
    """Follow-ups of bad ratings (好差评 整改): a district's supervisor sees their district's, the alliance
    supervisor all (escalated first); nobody else sees any. Filters: `district` (division code), `status`
    (open, overdue, escalated, closed)."""

    serializer_class = s.FollowUpSerializer
    queryset = FollowUp.objects.none()

    def get_queryset(self) -> QuerySet[FollowUp]:
        user = self.request.user
        if getattr(self, "swagger_fake_view", False) or not isinstance(user, User):
            return FollowUp.objects.none()
        filters = selectors.FollowUpFilters.from_query(self.request.query_params)
        return selectors.follow_up_list(user=user, filters=filters).prefetch_related("visits__visitor")

    @extend_schema(request=s.FollowUpVisitSerializer, responses={200: s.FollowUpSerializer})
    @action(detail=True, methods=["post"])
    def visit(self, request: Request, pk: str | None = None) -> Response:
        """回访: when, how (phone, visit, online, sms) and what the applicant said; on the case's chain."""
        follow_up = self.get_object()
        incoming = s.FollowUpVisitSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.follow_up_record_visit(
            follow_up=follow_up,
            actor=signed_in_user(request),
            request_id=request_id(request),
            **incoming.validated_data,
        )
        return Response(s.FollowUpSerializer(self.get_object()).data)

    @extend_schema(request=s.FollowUpRectifySerializer, responses={200: s.FollowUpSerializer})
    @action(detail=True, methods=["post"])
    def rectify(self, request: Request, pk: str | None = None) -> Response:
        """整改: what was done and by whom; recorded again, it replaces the text (the chain keeps each)."""
        follow_up = self.get_object()
        incoming = s.FollowUpRectifySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.follow_up_record_rectification(
            follow_up=follow_up,
            actor=signed_in_user(request),
            request_id=request_id(request),
            **incoming.validated_data,
        )
        return Response(s.FollowUpSerializer(self.get_object()).data)

    @extend_schema(request=s.FollowUpCloseSerializer, responses={200: s.FollowUpSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        """Close with the result the applicant is told; needs a return visit and the rectification."""
        follow_up = self.get_object()
        incoming = s.FollowUpCloseSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.follow_up_close(
            follow_up=follow_up,
            actor=signed_in_user(request),
            note=incoming.validated_data["note"],
            request_id=request_id(request),
        )
        return Response(s.FollowUpSerializer(self.get_object()).data)


class HolidayViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Holiday]):
    """The working-day calendar (maintained in the admin)."""

    serializer_class = s.HolidaySerializer
    queryset = Holiday.objects.all()
    pagination_class = None


class FirmViewSet(viewsets.GenericViewSet[Any]):
    """Firms (精服务): recommended items for the firm (industry, stage, business mode) with reasons; its specialists.

    Its objects are firms; its default serializer (the schema's) is that of their specialists.
    """

    queryset = Firm.objects.none()
    serializer_class = s.FirmSpecialistSerializer

    def get_queryset(self) -> QuerySet[Firm]:
        if getattr(self, "swagger_fake_view", False):
            return Firm.objects.none()
        return selectors.firms_visible_to(signed_in_user(self.request))

    @extend_schema(responses={200: s.RecommendedItemSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def recommendations(self, request: Request, pk: str | None = None) -> Response:
        firm = self.get_object()
        items = selectors.firm_recommendations(firm=firm)
        return Response(s.RecommendedItemSerializer(items, many=True).data)

    @extend_schema(methods=["get"], responses={200: s.FirmProfileSerializer}, request=None)
    @extend_schema(methods=["put"], request=s.FirmProfileSerializer, responses={200: s.FirmProfileSerializer})
    @action(detail=True, methods=["get", "put"])
    def profile(self, request: Request, pk: str | None = None) -> Response:
        """The firm's profile; its representatives change growth stage, business mode, industry and scope."""
        firm = self.get_object()
        if request.method == "GET":
            return Response(s.FirmProfileSerializer(firm).data)
        incoming = s.FirmProfileSerializer(firm, data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        firm = services.firm_profile_update(
            firm=firm,
            actor=signed_in_user(request),
            growth_stage=data["growth_stage"],
            business_mode=data["business_mode"],
            industry=data["industry"],
            business_scope=data.get("business_scope", ""),
        )
        return Response(s.FirmProfileSerializer(firm).data)

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
    def specialists(self, request: Request, pk: str | None = None) -> Response:
        firm = self.get_object()
        if request.method == "GET":
            rows = FirmSpecialist.objects.filter(firm=firm).filter(Q(active=True)).select_related("district", "clerk")
            return Response(s.FirmSpecialistSerializer(rows, many=True).data)
        incoming = s.FirmSpecialistAssignSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        district = get_object_or_404(District, division_code=incoming.validated_data["district"])
        clerk = get_object_or_404(User, pk=incoming.validated_data["clerk"])
        specialist = services.firm_specialist_assign(
            firm=firm, district=district, clerk=clerk, actor=signed_in_user(request)
        )
        return Response(s.FirmSpecialistSerializer(specialist).data, status=status.HTTP_201_CREATED)


class PaperCheckView(APIView):
    """Public: what the QR code on a document confirms (number, kind, date, issuer, SHA-256), nothing of the person."""

    permission_classes = [AllowAny]
    authentication_classes: list[type[Any]] = []

    @extend_schema(responses={200: s.PaperCheckSerializer})
    def get(self, request: Request, token: str) -> Response:
        paper = selectors.paper_by_token(token)
        return Response(
            s.PaperCheckSerializer(
                {
                    "number": paper.number,
                    "kind": paper.kind,
                    "kind_label": paper.get_kind_display(),
                    "issued_at": paper.issued_at,
                    "issued_by": paper.case.accepting_district.display_name,
                    "sha256": paper.sha256,
                    "intact": selectors.paper_intact(paper),
                }
            ).data
        )
