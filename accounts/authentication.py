"""The API's token authentication: DRF's `Authorization: Token <key>` header, checked against
`ApiToken` (expiry, the password it was issued under, an active person)."""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from .models import ApiToken, digest_of


class ExpiringTokenAuthentication(TokenAuthentication):
    """One query (the token with its person); the last-used time is written at most once
    every API_TOKEN_TOUCH_SECONDS, not on every request."""

    model = ApiToken

    def authenticate_credentials(self, key):
        token = (ApiToken.objects.select_related("user")
                 .filter(digest=digest_of(key)).first())
        if token is None:
            raise AuthenticationFailed(_("令牌无效，请重新登录获取令牌。"))
        user = token.user
        if not user.is_active:
            raise AuthenticationFailed(_("账户已停用，请联系本单位管理员。"))
        if not constant_time_compare(token.password_hash, user.get_session_auth_hash()):
            token.delete()
            raise AuthenticationFailed(_("密码已更改，令牌已失效，请重新登录获取令牌。"))
        now = timezone.now()
        if token.expires_at <= now:
            token.delete()
            raise AuthenticationFailed(_("登录已过期，请重新登录获取令牌。"))
        if now - token.last_used >= dt.timedelta(seconds=settings.API_TOKEN_TOUCH_SECONDS):
            ApiToken.objects.filter(pk=token.pk).update(last_used=now)
            token.last_used = now
        return user, token
