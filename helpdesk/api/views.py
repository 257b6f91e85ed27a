"""The helpdesk API (/api/assist/...): thin views over services and selectors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from govservice.errors import ErrorSerializer
from helpdesk import selectors, services
from helpdesk.api import serializers as s
from helpdesk.models import AssistRequest, Callback, CallRecording, CallSession, Snapshot
from standards.models import District, ItemVersion


class AssistRequestCreateView(APIView):
    """One click: join the queue with the context of the page. Idempotent: while the citizen has an open
    request, a second click (or a retry after a lost answer) answers 200 with that request, never a second one."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.AssistRequestCreateSerializer,
        responses={
            201: s.AssistRequestSerializer,
            200: s.AssistRequestSerializer,
            400: ErrorSerializer,
            409: ErrorSerializer,
            429: ErrorSerializer,
            503: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        existing = selectors.open_request_of(_user(request))
        if existing is not None:
            return Response(s.AssistRequestSerializer(existing).data, status=status.HTTP_200_OK)
        data = s.AssistRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = None
        if data.validated_data.get("item_version"):
            version = ItemVersion.objects.filter(pk=data.validated_data["item_version"]).select_related("item").first()
            if version is None:
                raise ValidationError({"item_version": "unknown item version"})
        assist = services.assist_request_create(
            citizen=_user(request),
            item_version=version,
            case_ref=data.validated_data.get("case") or "",
            language=data.validated_data["language"],
            priority_reason=data.validated_data["priority_reason"],
        )
        return Response(s.AssistRequestSerializer(assist).data, status=status.HTTP_201_CREATED)


def _user(request: Request) -> User:
    """The signed-in user (every view here requires IsAuthenticated)."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated
    return user


def _own_request(request: Request, pk: int) -> AssistRequest:
    return get_object_or_404(AssistRequest, pk=pk, citizen=_user(request))


class AssistRequestDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.AssistRequestSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.AssistRequestSerializer(_own_request(request, pk)).data)


class AssistRequestQueueView(APIView):
    """Position in the queue and an estimated wait (an estimate from recent calls and eligible clerks)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.QueueStatusSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(selectors.queue_status(request=_own_request(request, pk)))


class AssistRequestCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: s.AssistRequestSerializer})
    def post(self, request: Request, pk: int) -> Response:
        assist = services.assist_request_cancel(request=_own_request(request, pk), actor=_user(request))
        return Response(s.AssistRequestSerializer(assist).data)


class AssistRequestCallbackView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.CallbackSerializer, responses={200: s.AssistRequestSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = s.CallbackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assist = services.assist_request_callback(
            request=_own_request(request, pk), actor=_user(request), phone=data.validated_data.get("phone", "")
        )
        return Response(s.AssistRequestSerializer(assist).data)


def _clerk_only(request: Request) -> None:
    if not _user(request).is_clerk:
        raise PermissionDenied(_("Only clerks answer calls."))


class CallbackListView(APIView):
    """The clerk's callback list: the one they have claimed, then open callbacks they may handle (their
    district's citizens first, then the same city's, then the alliance's). Numbers only once claimed."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.CallbackItemSerializer(many=True)})
    def get(self, request: Request) -> Response:
        _clerk_only(request)
        return Response(s.CallbackItemSerializer(selectors.callbacks_for_clerk(clerk=_user(request)), many=True).data)


def _callback_answer(request: Request, action: Callable[[], Callback]) -> Response:
    """Run a callback service for the signed-in clerk; answer with the callback as they now see it."""
    _clerk_only(request)
    callback = action()
    row = selectors.callback_row_for(clerk=_user(request), callback=callback)
    return Response(s.CallbackItemSerializer(row).data)


_CALLBACK_RESPONSES = {200: s.CallbackItemSerializer}


class CallbackClaimView(APIView):
    """Claim a callback (one clerk wins a race; a clerk holds one at a time); the answer carries the number."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=_CALLBACK_RESPONSES)
    def post(self, request: Request, pk: int) -> Response:
        return _callback_answer(request, lambda: services.callback_claim(callback_id=pk, clerk=_user(request)))


class CallbackReleaseView(APIView):
    """Give a claimed callback back to the list, untried."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=_CALLBACK_RESPONSES)
    def post(self, request: Request, pk: int) -> Response:
        return _callback_answer(request, lambda: services.callback_release(callback_id=pk, clerk=_user(request)))


class CallbackDoneView(APIView):
    """The outcome of the phone call: reached closes the callback; no answer returns it to the list with one
    more attempt, and the last allowed attempt (ASSIST_CALLBACK_MAX_ATTEMPTS) closes it as unreachable."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.CallbackDoneSerializer, responses=_CALLBACK_RESPONSES)
    def post(self, request: Request, pk: int) -> Response:
        _clerk_only(request)
        data = s.CallbackDoneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _callback_answer(
            request,
            lambda: services.callback_done(
                callback_id=pk,
                clerk=_user(request),
                outcome=data.validated_data["outcome"],
                note=data.validated_data.get("note", ""),
            ),
        )


class IceServersView(APIView):
    """STUN and TURN servers for this user; TURN credentials expire (TURN REST API scheme)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.IceServersSerializer})
    def get(self, request: Request) -> Response:
        return Response({"ice_servers": services.ice_servers_for(_user(request)), "ttl": settings.TURN_CREDENTIAL_TTL})


def _with_recordings_kept(sessions: QuerySet[CallSession]) -> QuerySet[CallSession]:
    """Whether each call still keeps a recording (the serializer's `recording_url`), in the same query."""
    kept = CallRecording.objects.filter(session=OuterRef("pk")).exclude(file="")
    return sessions.annotate(recordings_kept=Exists(kept))


class CallSessionListView(generics.ListAPIView[CallSession]):
    """Call records: a citizen sees their own, a clerk their district's, a supervisor all."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.CallSessionSerializer

    def get_queryset(self) -> QuerySet[CallSession]:
        if getattr(self, "swagger_fake_view", False):
            return CallSession.objects.none()
        return _with_recordings_kept(selectors.sessions_visible_to(_user(self.request)))


class CallSessionDetailView(generics.RetrieveAPIView[CallSession]):
    permission_classes = [IsAuthenticated]
    serializer_class = s.CallSessionSerializer

    def get_queryset(self) -> QuerySet[CallSession]:
        if getattr(self, "swagger_fake_view", False):
            return CallSession.objects.none()
        return _with_recordings_kept(selectors.sessions_visible_to(_user(self.request)))


def _member_session(request: Request, pk: int) -> CallSession:
    session = get_object_or_404(CallSession, pk=pk)
    if not session.is_member(_user(request).pk):
        raise PermissionDenied
    return session


def _clerk_in_call(request: Request, pk: int) -> CallSession:
    session = _member_session(request, pk)
    if session.role_of(_user(request).pk) not in ("clerk", "guest"):
        raise PermissionDenied
    return session


# A member's action on their call (POST /api/assist/sessions/<pk>/<action>/), declared by its parts: the body
# checked by `body` (400), then the caller checked as a member of the call, or as one of its clerks when
# `clerks_only` (404 for no such call, 403 for a non-member), then `act` (the service), whose return value is
# the answer, with `status_code`. Each subclass documents its schema with `extend_schema_view(post=...)`.
# (A comment, not a docstring: the schema would give the docstring to every action without one of its own.)
class MemberAction(APIView):
    permission_classes = [IsAuthenticated]
    body: type[serializers.Serializer[Any]] | None = None
    clerks_only = False
    status_code: int = status.HTTP_200_OK

    def post(self, request: Request, pk: int) -> Response:
        data: dict[str, Any] = {}
        if self.body is not None:
            checked = self.body(data=request.data)
            checked.is_valid(raise_exception=True)
            data = checked.validated_data
        session = (_clerk_in_call if self.clerks_only else _member_session)(request, pk)
        return Response(self.act(session, _user(request), data), status=self.status_code)

    def act(self, session: CallSession, user: User, data: dict[str, Any]) -> Any:
        raise NotImplementedError


@extend_schema_view(post=extend_schema(request=s.WrapUpSerializer, responses={200: s.CallSessionSerializer}))
class WrapUpView(MemberAction):
    body = s.WrapUpSerializer

    def act(self, session: CallSession, user: User, data: dict[str, Any]) -> Any:
        session = services.call_session_wrap_up(
            session=session,
            clerk=user,
            notes=data["notes"],
            outcome=data["outcome"],
            case_ref=data.get("case") or "",
            new_draft_case=data["new_draft_case"],
            then_available=data["then_available"],
        )
        return s.CallSessionSerializer(session).data


@extend_schema_view(post=extend_schema(request=None, responses={200: s.CallSessionSerializer}))
class HangUpView(MemberAction):
    def act(self, session: CallSession, user: User, data: dict[str, Any]) -> Any:
        return s.CallSessionSerializer(services.call_hang_up(session=session, actor=user)).data


def _district_code(request: Request) -> str:
    district = _user(request).district
    return district.division_code if district is not None else ""


def _district_row(district: District) -> dict[str, str]:
    return {"code": district.division_code, "name": district.display_full}


@extend_schema_view(
    post=extend_schema(request=s.InviteCreateSerializer, responses={201: s.InviteSerializer, 409: ErrorSerializer})
)
class InvitesView(MemberAction):
    """The clerk holding a call brings in a clerk of another district (three-way) or hands the call over."""

    body = s.InviteCreateSerializer
    status_code = status.HTTP_201_CREATED

    @extend_schema(responses={200: s.InviteDistrictsSerializer})
    def get(self, request: Request, pk: int) -> Response:
        session = _member_session(request, pk)
        if session.clerk_id != _user(request).pk:
            raise PermissionDenied
        approving = selectors.call_approving_districts(session=session)
        others = District.objects.exclude(division_code=_district_code(request))
        return Response(
            {
                "approving": [_district_row(d) for d in approving],
                "districts": [_district_row(d) for d in others],
            }
        )

    def act(self, session: CallSession, user: User, data: dict[str, Any]) -> Any:
        invite = services.call_invite_create(
            session=session,
            clerk=user,
            district_code=data.get("district") or "",
            kind=data["kind"],
            note=data.get("note") or "",
        )
        return {
            "id": invite.pk,
            "kind": invite.kind,
            "district": invite.district.display_full,
            "outcome": invite.outcome,
            "ring_deadline": invite.ring_deadline,
        }


class SidePanelView(APIView):
    """Beside the call, for its clerks: the item's standard and 帮办要点, the caller's cases they may see, notes."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.SidePanelSerializer})
    def get(self, request: Request, pk: int) -> Response:
        session = _clerk_in_call(request, pk)
        return Response(selectors.call_side_panel(session=session, clerk=_user(request)))


@extend_schema_view(post=extend_schema(request=s.NotesSerializer, responses={200: s.NotesSerializer}))
class NotesView(MemberAction):
    body = s.NotesSerializer
    clerks_only = True

    def act(self, session: CallSession, user: User, data: dict[str, Any]) -> Any:
        session = services.call_notes_save(session=session, clerk=user, notes=data["notes"])
        return {"notes": session.notes}


@extend_schema_view(post=extend_schema(request=s.ShareDraftSerializer, responses={201: s.SharedDraftSerializer}))
class SharedDraftView(MemberAction):
    """The caller's application shared in the call: GET for every member, POST by the caller (their consent)."""

    body = s.ShareDraftSerializer
    status_code = status.HTTP_201_CREATED

    @extend_schema(responses={200: s.SharedDraftSerializer, 404: ErrorSerializer})
    def get(self, request: Request, pk: int) -> Response:
        draft = selectors.call_shared_draft(session=_member_session(request, pk), viewer=_user(request))
        if draft is None:
            raise NotFound(_("Nothing is shared in this call."))
        return Response(draft)

    def act(self, session: CallSession, user: User, data: dict[str, Any]) -> Any:
        services.call_draft_share(session=session, citizen=user, case_ref=data.get("case") or "")
        return selectors.call_shared_draft(session=session, viewer=user)


@extend_schema_view(post=extend_schema(request=s.PreCheckSerializer, responses={201: s.SharedDraftSerializer}))
class PreCheckView(MemberAction):
    """预审: a clerk in the call marks a material of the shared application."""

    body = s.PreCheckSerializer
    clerks_only = True
    status_code = status.HTTP_201_CREATED

    def act(self, session: CallSession, user: User, data: dict[str, Any]) -> Any:
        services.call_precheck_mark(
            session=session,
            clerk=user,
            item_material_id=data["item_material"],
            verdict=data["verdict"],
            reason=data.get("reason") or "",
            valid_until=data.get("valid_until"),
        )
        return selectors.call_shared_draft(session=session, viewer=user)


@extend_schema_view(
    post=extend_schema(
        request={"multipart/form-data": s.DraftUploadSerializer}, responses={201: s.SharedDraftSerializer}
    )
)
class DraftUploadView(MemberAction):
    """The caller uploads or replaces a material of the shared application from the call."""

    parser_classes = [MultiPartParser, FormParser]
    body = s.DraftUploadSerializer
    status_code = status.HTTP_201_CREATED

    def act(self, session: CallSession, user: User, data: dict[str, Any]) -> Any:
        services.call_draft_upload(
            session=session, citizen=user, item_material_id=data["item_material"], uploaded_file=data["file"]
        )
        return selectors.call_shared_draft(session=session, viewer=user)


@extend_schema_view(
    post=extend_schema(
        request=s.DraftFormSerializer,
        responses={200: s.DraftFormAnswerSerializer, 400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
    )
)
class DraftFormView(MemberAction):
    """Fill fields of the shared application's form: the caller, or a clerk in the call (the share is the
    caller's consent); every screen of the call sees the new values in the change event."""

    body = s.DraftFormSerializer

    def act(self, session: CallSession, user: User, data: dict[str, Any]) -> Any:
        changed = services.call_draft_fill(session=session, user=user, values=data["values"])
        # The form only (the rest of the shared application did not change): a short answer.
        return {"changed": changed, **selectors.call_shared_form(session=session)}


@extend_schema_view(post=extend_schema(request=None, responses={200: s.SharedDraftSerializer, 409: ErrorSerializer}))
class DraftSubmitView(MemberAction):
    """Only the caller submits the shared application (or the clerk who filed it at their counter, in the
    call with the applicant); refused while a file is marked not conforming."""

    def act(self, session: CallSession, user: User, data: dict[str, Any]) -> Any:
        services.call_draft_submit(session=session, citizen=user)
        return selectors.call_shared_draft(session=session, viewer=user)


@extend_schema_view(
    post=extend_schema(request=s.IdentityCheckSerializer, responses={200: s.IdentityCheckResultSerializer})
)
class IdentityCheckView(MemberAction):
    """人证比对 in the call: the result (and the method, video) kept with the call and given to the linked case."""

    body = s.IdentityCheckSerializer
    clerks_only = True

    def act(self, session: CallSession, user: User, data: dict[str, Any]) -> Any:
        case_error = services.call_identity_check(
            session=session, clerk=user, result=data["result"], note=data.get("note") or ""
        )
        return {"result": data["result"], "case_error": case_error}


class SessionRecordingsView(APIView):
    """The call's recordings, one per member's media, for a supervisor (listing plays nothing; each file's
    fetch is audited). Anyone else gets 404."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.CallRecordingSerializer(many=True), 404: ErrorSerializer})
    def get(self, request: Request, pk: int) -> Response:
        recordings = services.call_recordings_listed(session_id=pk, user=_user(request))
        return Response(s.CallRecordingSerializer(recordings, many=True).data)


class RecordingFileView(APIView):
    """One member's recording, played back in the browser by a supervisor (every fetch audited)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "video/mp4"): OpenApiResponse(description="the recording")})
    def get(self, request: Request, pk: int) -> FileResponse:
        recording = services.call_recording_play(recording_id=pk, user=_user(request))
        return FileResponse(recording.open("rb"), content_type="video/mp4")


class MembersView(APIView):
    """Who is in the call now (every member may ask)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.CallMemberSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        session = _member_session(request, pk)
        return Response(selectors.call_members(session_id=session.pk))


@extend_schema_view(post=extend_schema(request=s.RatingSerializer, responses={200: s.CallSessionSerializer}))
class RatingView(MemberAction):
    body = s.RatingSerializer

    def act(self, session: CallSession, user: User, data: dict[str, Any]) -> Any:
        session = services.call_session_rate(
            session=session, citizen=user, rating=data["rating"], comment=data.get("comment", "")
        )
        return s.CallSessionSerializer(session).data


@extend_schema_view(
    post=extend_schema(
        request={"multipart/form-data": s.SnapshotSerializer}, responses={201: s.SnapshotResultSerializer}
    )
)
class SnapshotView(MemberAction):
    """A still of the citizen's video (checked by content), kept with the call and its linked case."""

    parser_classes = [MultiPartParser, FormParser]
    body = s.SnapshotSerializer
    status_code = status.HTTP_201_CREATED

    def act(self, session: CallSession, user: User, data: dict[str, Any]) -> Any:
        snapshot, case_error = services.call_snapshot_take(
            session=session,
            clerk=user,
            uploaded_file=data["image"],
            case_ref=data.get("case") or "",
            item_material_id=data.get("item_material"),
        )
        return {
            "id": snapshot.pk,
            "url": reverse("helpdesk:api-snapshot-file", args=[snapshot.pk]),
            "filed_as_case_material": snapshot.filed_as_case_material,
            "case_error": case_error,
        }


class CaseMaterialsView(APIView):
    """The materials the caller's case asks for (what a snapshot can be filed as), for the clerks in the call."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("case", str, required=True, description="the case reference, e.g. C93101012026112600A1B2")
        ],
        responses={200: s.CaseMaterialsSerializer, 409: ErrorSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        session = _clerk_in_call(request, pk)
        case_ref = request.query_params.get("case", "").strip()
        if not case_ref:
            raise ValidationError({"case": "a case reference"})
        case = services.call_case_for(session=session, case_ref=case_ref)
        materials = [
            {"id": m.pk, "name": m.display_name, "requirement": m.get_requirement_display()}
            for m in case.item_version.materials.all()
        ]
        return Response({"case": case.reference, "reference": case.reference, "materials": materials})


def _figures_district(request: Request) -> District | None:
    """Supervisors see any district or the alliance; a clerk sees their own district only."""
    code = request.query_params.get("district")
    user = _user(request)
    if user.is_supervisor or user.is_superuser:
        return get_object_or_404(District, division_code=code) if code else None
    if user.is_clerk:
        if code and (user.district is None or code != user.district.division_code):
            raise PermissionDenied
        return user.district
    raise PermissionDenied


DISTRICT_PARAM = OpenApiParameter("district", str, description="division code; empty = alliance-wide (supervisors)")


class LiveFiguresView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[DISTRICT_PARAM], responses={200: s.LiveFiguresSerializer})
    def get(self, request: Request) -> Response:
        return Response(s.LiveFiguresSerializer(selectors.figures_live(district=_figures_district(request))).data)


def _period_bound(request: Request, name: str) -> dt.datetime | None:
    """A bound of the period from the query: None when absent; 400 when malformed, impossible or naive."""
    raw = request.query_params.get(name, "")
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:  # well formed but impossible, e.g. 2026-02-30T00:00
        value = None
    if value is None:
        raise ValidationError({name: [_("Give an ISO 8601 date-time, e.g. 2026-11-29T00:00:00+08:00.")]})
    if timezone.is_naive(value):
        # Whose midnight? The alliance spans one time zone, but a client must say which one it means.
        raise ValidationError({name: [_("Give the date-time with its UTC offset, e.g. +08:00 or Z.")]})
    return value


class PeriodFiguresView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            DISTRICT_PARAM,
            OpenApiParameter("start", str, description="ISO 8601 date-time with its offset; default 24 h ago"),
            OpenApiParameter("end", str, description="ISO 8601 date-time with its offset; default now"),
        ],
        responses={
            200: s.PeriodFiguresSerializer,
            400: OpenApiResponse(ErrorSerializer, description="a date-time that is malformed, impossible or naive"),
        },
    )
    def get(self, request: Request) -> Response:
        district = _figures_district(request)
        end = _period_bound(request, "end") or timezone.now()
        start = _period_bound(request, "start") or end - dt.timedelta(days=1)
        if start >= end:
            raise ValidationError({"start": [_("The start must be before the end.")]})
        return Response(
            s.PeriodFiguresSerializer(selectors.figures_period(start=start, end=end, district=district)).data
        )


class SnapshotFileView(APIView):
    """The image of a snapshot, for the call's members and whoever may see the call record."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "image/*"): OpenApiResponse(description="the image")})
    def get(self, request: Request, pk: int) -> FileResponse:
        snapshot = get_object_or_404(Snapshot, pk=pk)
        if not selectors.sessions_visible_to(_user(request)).filter(pk=snapshot.session_id).exists():
            raise PermissionDenied
        return FileResponse(snapshot.image.open("rb"))
