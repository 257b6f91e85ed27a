from __future__ import annotations

from typing import Any

from django.contrib.auth import logout
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts import services
from accounts.lockout import cool_off_seconds, locked_out_message
from accounts.models import User
from govservice.client_ip import client_ip
from govservice.errors import ErrorSerializer
from govservice.parsers import JSONParser


class MeSerializer(serializers.ModelSerializer):
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    id_number = serializers.CharField(source="masked_id_number", read_only=True)
    district = serializers.CharField(source="district.division_code", default=None, read_only=True)
    window = serializers.CharField(source="window.code", default=None, read_only=True)
    firm_credit_code = serializers.CharField(source="firm.credit_code", default=None, read_only=True)
    household_district = serializers.CharField(source="household_district.division_code", default=None, read_only=True)
    insured_district = serializers.CharField(source="insured_district.division_code", default=None, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "role",
            "role_label",
            "id_number",
            "district",
            "window",
            "firm_credit_code",
            "household_district",
            "insured_district",
        ]


class MeView(APIView):
    """The signed-in user, with the ID number masked."""

    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer

    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class LoginThrottle(AnonRateThrottle):
    """A rate per client address, the address taken from X-Forwarded-For only behind a trusted proxy.

    DRF's own get_ident() believes X-Forwarded-For from anyone (a new value each time escaped the
    limit). The real defence is the lockout per account and per address (django-axes); this only
    slows down a flood.
    """

    scope = "login"

    def get_ident(self, request: Any) -> str:
        return client_ip(request) or "unknown"


class TokenAnswerSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")
    expires_at = serializers.DateTimeField(help_text="After this the token is refused (401, code token_expired).")


class LockedOut(Throttled):
    default_code = "locked_out"


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (send it as `Authorization: Token <key>`).

    The token expires after API_TOKEN_HOURS; `POST /api/auth/logout/` and a password change revoke it.
    Too many failures for the account or from the client address pause sign-in (429, code locked_out).
    """

    throttle_classes = [LoginThrottle]
    parser_classes = [JSONParser, FormParser, MultiPartParser]  # ObtainAuthToken's own list, with our JSON parser

    @extend_schema(
        request=AuthTokenSerializer,
        responses={200: TokenAnswerSerializer, 400: ErrorSerializer, 429: ErrorSerializer},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except ValidationError:
            # axes flags the request it was given, and that is DRF's request here, not the one its
            # middleware sees: answer the lockout ourselves.
            if getattr(request, "axes_locked_out", False):
                raise LockedOut(wait=cool_off_seconds(), detail=locked_out_message(), code="locked_out") from None
            raise
        token = services.api_token_issue(user=serializer.validated_data["user"])
        answer = {"token": token.key, "expires_at": services.api_token_expires_at(token)}
        return Response(TokenAnswerSerializer(answer).data)


class LogoutView(APIView):
    """Sign out: every API token of the user is revoked, and the session (if any) ends."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        user = request.user
        if isinstance(user, User):  # IsAuthenticated let only a signed-in user in
            services.api_tokens_revoke(user=user)
        if request._request.user.is_authenticated:  # signed in by the session cookie
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
