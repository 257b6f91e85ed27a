from __future__ import annotations

from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts.models import User
from govservice.parsers import JSONParser


class MeSerializer(serializers.ModelSerializer):
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    id_number = serializers.CharField(source="masked_id_number", read_only=True)
    district = serializers.CharField(source="district.division_code", default=None, read_only=True)
    window = serializers.CharField(source="window.code", default=None, read_only=True)
    firm_credit_code = serializers.CharField(source="firm.credit_code", default=None, read_only=True)

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
        ]


class MeView(APIView):
    """The signed-in user, with the ID number masked."""

    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer

    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class LoginThrottle(AnonRateThrottle):
    scope = "login"


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (send it as `Authorization: Token <key>`)."""

    throttle_classes = [LoginThrottle]
    parser_classes = [JSONParser, FormParser, MultiPartParser]  # ObtainAuthToken's own list, with our JSON parser
