"""Sign-in: the API's bearer tokens. Lockout counters are django-axes' (`axes.AccessAttempt`)."""

import datetime as dt
import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def digest_of(key: str) -> str:
    """Only this digest is stored: someone who reads the table cannot use the tokens."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A token of the API (`Authorization: Token <key>`), one per login at the token endpoint.

    It ends after `API_TOKEN_IDLE_SECONDS` unused or `API_TOKEN_LIFETIME_SECONDS` after
    issue, whichever comes first, and when the person's password changes: `password_hash`
    is the person's session auth hash at issue (an HMAC of the password hash, as a web
    session keeps), so any change of the password, however made, no longer matches.
    """

    digest = models.CharField(max_length=64, primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE,
                             related_name="api_tokens", verbose_name=_("人员"))
    created = models.DateTimeField(_("签发时间"))
    last_used = models.DateTimeField(_("最近使用"))
    password_hash = models.CharField(max_length=128)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        indexes = [models.Index(fields=["user", "last_used"], name="apitoken_user_used")]

    def __str__(self):
        return f"{self.user_id}: {self.created:%Y-%m-%d %H:%M}"

    @property
    def expires_at(self) -> dt.datetime:
        return min(self.last_used + dt.timedelta(seconds=settings.API_TOKEN_IDLE_SECONDS),
                   self.created + dt.timedelta(seconds=settings.API_TOKEN_LIFETIME_SECONDS))
