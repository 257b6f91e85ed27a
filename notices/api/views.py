"""The notices API: the signed-in person's own inbox, marking read, the channels they chose."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notices import selectors, services
from notices.selectors import InboxEntry
from notices.views import signed_in_user


class NoticeSerializer(serializers.Serializer[InboxEntry]):
    id = serializers.IntegerField(source="notice.pk")
    kind = serializers.CharField(source="notice.kind")
    title = serializers.CharField()
    body = serializers.CharField()
    tone = serializers.CharField()
    link = serializers.CharField(source="notice.link")
    reference = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(source="notice.created_at")
    read_at = serializers.DateTimeField(source="notice.read_at", allow_null=True)

    def get_reference(self, entry: InboxEntry) -> str:
        return str(entry.notice.data.get("reference", ""))


class InboxSerializer(serializers.Serializer[Any]):
    unread = serializers.IntegerField()
    results = NoticeSerializer(many=True)


class UnreadSerializer(serializers.Serializer[Any]):
    unread = serializers.IntegerField()


class NoticePreferencesSerializer(serializers.Serializer[Any]):
    inbox = serializers.BooleanField(read_only=True, default=True, help_text="Always on.")
    email = serializers.BooleanField()
    sms = serializers.BooleanField()
    sms_offered = serializers.BooleanField(read_only=True, help_text="SMS is offered to applicants only.")


class NoticeListView(APIView):
    @extend_schema(
        operation_id="notices_list",
        responses=InboxSerializer,
        description="The signed-in person's notices, newest first (at most 100); `?unread=1` for unread only.",
    )
    def get(self, request: Request) -> Response:
        user = signed_in_user(request)
        entries = selectors.inbox(user, unread_only=request.query_params.get("unread") == "1")
        return Response({"unread": selectors.unread_count(user), "results": NoticeSerializer(entries, many=True).data})


class NoticeReadView(APIView):
    @extend_schema(operation_id="notices_read", request=None, responses=UnreadSerializer)
    def post(self, request: Request, notice_id: int) -> Response:
        """Mark one of your own notices read (404 for anyone else's)."""
        user = signed_in_user(request)
        services.notice_mark_read(user=user, notice_id=notice_id)
        return Response({"unread": selectors.unread_count(user)})


class NoticeReadAllView(APIView):
    @extend_schema(operation_id="notices_read_all", request=None, responses=UnreadSerializer)
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        services.notices_mark_all_read(user=user)
        return Response({"unread": 0})


class NoticePreferencesView(APIView):
    @extend_schema(operation_id="notices_preferences", responses=NoticePreferencesSerializer)
    def get(self, request: Request) -> Response:
        chosen = services.preferences_of(signed_in_user(request))
        return Response(NoticePreferencesSerializer(_as_dict(chosen)).data)

    @extend_schema(
        operation_id="notices_preferences_set",
        request=NoticePreferencesSerializer,
        responses=NoticePreferencesSerializer,
    )
    def put(self, request: Request) -> Response:
        body = NoticePreferencesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        chosen = services.preferences_set(
            user=signed_in_user(request), email=body.validated_data["email"], sms=body.validated_data["sms"]
        )
        return Response(NoticePreferencesSerializer(_as_dict(chosen)).data)


def _as_dict(chosen: services.Preferences) -> dict[str, bool]:
    return {"inbox": True, "email": chosen.email, "sms": chosen.sms, "sms_offered": chosen.sms_offered}
