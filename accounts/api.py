"""The token endpoint, `POST /api/v1/auth/token/` (the path and the `token` field are DRF's
`obtain_auth_token`'s; `expires_at` is new). Behind the same lockout as the web logins."""

from django.contrib.auth import authenticate, user_logged_in
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .lockout import lockout_message
from .services import issue_token


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("用户名"), max_length=150)
    password = serializers.CharField(label=_("密码"), max_length=4096, trim_whitespace=False,
                                     style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField(
        help_text="When the token ends if it is not used again (idle timeout), or its "
                  "absolute lifetime if that comes first.")


_detail = inline_serializer("LoginError", {"detail": serializers.CharField()})


class ObtainTokenView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="auth_token_create", request=CredentialsSerializer,
        responses={200: TokenSerializer,
                   400: OpenApiResponse(_detail, description="Wrong username or password, "
                                        "or a field missing."),
                   429: OpenApiResponse(_detail, description="Locked after repeated "
                                        "failures (the account, or the client address).")})
    def post(self, request):
        form = CredentialsSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = authenticate(request=request, username=form.validated_data["username"],
                            password=form.validated_data["password"])
        if user is None:
            if getattr(request, "axes_locked_out", False):
                return Response({"detail": lockout_message(request)},
                                status=status.HTTP_429_TOO_MANY_REQUESTS)
            return Response({"detail": _("用户名或密码不正确，请重新输入。")},
                            status=status.HTTP_400_BAD_REQUEST)
        with transaction.atomic():
            key, token = issue_token(user=user)
            # as login() does for a web session: the lockout count is reset, last_login
            # set, and the login written to the person's chain (accounts.lockout)
            user_logged_in.send(sender=user.__class__, request=request, user=user)
        return Response(TokenSerializer({"token": key, "expires_at": token.expires_at}).data)
