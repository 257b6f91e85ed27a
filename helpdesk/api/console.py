"""The console's API (/api/assist/waiting/, /api/assist/replies/): the waiting list, picking a request
from it, and canned replies (常用语). Thin views over `services.waiting`, `services.replies` and the selectors;
the console itself gets the list pushed over its socket and picks there too."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govservice.errors import ErrorSerializer
from helpdesk import selectors, services
from helpdesk.api.views import _clerk_only, _user


class WaitingRowSerializer(serializers.Serializer[Any]):
    request = serializers.IntegerField()
    state = serializers.CharField()
    citizen = serializers.CharField(help_text="the caller's name, masked: first character and stars")
    firm = serializers.CharField(allow_null=True)
    district = serializers.CharField(allow_null=True)
    district_en = serializers.CharField(allow_null=True)
    item = serializers.CharField(allow_null=True)
    language = serializers.CharField()
    language_code = serializers.CharField()
    priority = serializers.CharField(allow_null=True)
    priority_reason = serializers.CharField()
    priority_verified = serializers.BooleanField()
    waiting_since = serializers.DateTimeField()
    waited_seconds = serializers.IntegerField()
    scope = serializers.CharField(help_text="the routing stage that puts this clerk in reach of the request")
    opens_at = serializers.IntegerField(help_text="seconds of waiting after which this clerk may pick it")
    pickable = serializers.BooleanField()
    earlier_calls = serializers.IntegerField()
    last_call_at = serializers.DateTimeField(allow_null=True)


class PickedSerializer(serializers.Serializer[Any]):
    session = serializers.IntegerField()


class ReplySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    text = serializers.CharField(max_length=300)
    personal = serializers.BooleanField(read_only=True)


class WaitingListView(APIView):
    """The requests waiting in the queues this clerk serves (by the router's stages), in queue order,
    the caller's name masked."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: WaitingRowSerializer(many=True), 403: ErrorSerializer})
    def get(self, request: Request) -> Response:
        _clerk_only(request)
        return Response(WaitingRowSerializer(selectors.waiting_for_clerk(clerk=_user(request)), many=True).data)


class WaitingPickView(APIView):
    """Answer a waiting request from the list: one clerk wins a race; the others get 409 `already_taken`."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={201: PickedSerializer, 403: ErrorSerializer, 409: ErrorSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _clerk_only(request)
        session = services.assist_request_pick(clerk=_user(request), request_id=pk)
        return Response({"session": session.pk}, status=status.HTTP_201_CREATED)


class RepliesView(APIView):
    """常用语: the district's, then the clerk's own; POST adds one of the clerk's own."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: ReplySerializer(many=True)})
    def get(self, request: Request) -> Response:
        _clerk_only(request)
        return Response(ReplySerializer(selectors.canned_replies_for(clerk=_user(request)), many=True).data)

    @extend_schema(request=ReplySerializer, responses={201: ReplySerializer, 400: ErrorSerializer})
    def post(self, request: Request) -> Response:
        _clerk_only(request)
        data = ReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply = services.canned_reply_add(clerk=_user(request), text=data.validated_data["text"])
        return Response({"id": reply.pk, "text": reply.text, "personal": True}, status=status.HTTP_201_CREATED)


class ReplyView(APIView):
    """Delete one of the clerk's own replies (the district's are kept in the admin)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None, 403: ErrorSerializer, 404: ErrorSerializer})
    def delete(self, request: Request, pk: int) -> Response:
        _clerk_only(request)
        services.canned_reply_delete(clerk=_user(request), reply_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
