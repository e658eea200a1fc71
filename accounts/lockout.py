"""Login lockout with django-axes: five wrong passwords in a row lock an account, thirty from
one address lock the address (guessing across accounts), each for LOGIN_LOCKOUT_MINUTES.

Axes counts failures by each of its lockout parameters (here the username, then the address)
and compares the largest count with one limit. `AccountAndAddressHandler` gives the address
its own, higher limit, resets only the account's count on a successful login (a person
logging in must not clear the count of an address someone is guessing from), and writes
logins, failures and lockouts to the person's agency chain.
"""

import logging

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from audit.models import AuditAction

from .services import person_named, record_login_event

log = logging.getLogger(__name__)


def client_address(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: REMOTE_ADDR, or behind LOGIN_PROXY_COUNT proxies the address
    the outermost one saw. Each proxy appends the address it received from to
    X-Forwarded-For, so that one is the LOGIN_PROXY_COUNT-th from the right; entries left
    of it are the client's own claims and could be forged to escape the address limit."""
    count = settings.LOGIN_PROXY_COUNT
    if count:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                if h.strip()]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR")


def lockout_message(request) -> str:
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    if getattr(request, "login_locked_scope", "") == "address":
        return _("该地址登录失败次数过多，已被暂时锁定，请 %(minutes)d 分钟后再试，"
                 "或联系本单位管理员解锁。") % {"minutes": minutes}
    return _("账户已因连续登录失败被锁定，请 %(minutes)d 分钟后再试，"
             "或联系本单位管理员解锁。") % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the answer to a login refused by the lockout.

    The API answers JSON. The web and admin logins re-render their page, whose form
    (accounts.forms) already says why; it keeps that page and answers 429.
    """
    message = lockout_message(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=settings.AXES_HTTP_RESPONSE_CODE,
                            json_dumps_params={"ensure_ascii": False})
    if isinstance(original_response, TemplateResponse):
        original_response.status_code = settings.AXES_HTTP_RESPONSE_CODE
        return original_response
    return HttpResponse(message, status=settings.AXES_HTTP_RESPONSE_CODE,
                        content_type="text/plain; charset=utf-8")


def login_via(request) -> str:
    """Which login: the API's token endpoint, the Django admin, or the web UI."""
    path = request.path
    if path.startswith("/api/"):
        return "api"
    if path.startswith(reverse("admin:index")):
        return "admin"
    return "web"


def attempt_facts(request) -> dict:
    return {"via": login_via(request), "address": getattr(request, "axes_ip_address", None)}


class AccountAndAddressHandler(AxesDatabaseHandler):
    """AXES_HANDLER; expects AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]."""

    def get_failures(self, request, credentials=None) -> int:
        by_account, by_address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials))
        if by_address >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            request.login_locked_scope = "address"
            # axes compares this with AXES_FAILURE_LIMIT, the account's limit
            return max(by_account, settings.AXES_FAILURE_LIMIT)
        request.login_locked_scope = "account"
        return by_account

    def reset_user_attempts(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None:
            return
        username = get_client_username(request, credentials)
        person = person_named(username)
        if person is None:  # in no chain: only the log and axes' counts know of it
            log.info("login failed for an unknown username via %s", login_via(request))
            return
        if request.axes_failures_since_start is None:
            # refused while already locked (or whitelisted): the lockout is in the chain
            return
        facts = {**attempt_facts(request), "failures": request.axes_failures_since_start}
        lockout = None
        if request.axes_locked_out:  # this failure reached a limit
            lockout = (AuditAction.LOGIN_LOCKED_OUT,
                       {**facts, "scope": request.login_locked_scope,
                        "minutes": settings.LOGIN_LOCKOUT_MINUTES})
        record_login_event(user=person, action=AuditAction.LOGIN_FAILED, data=facts,
                           then=lockout)

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        # A person signing in posts their password; `force_login` (tests) is no sign-in.
        if request is not None and request.method == "POST":
            record_login_event(user=user, action=AuditAction.LOGIN, actor=user,
                               data=attempt_facts(request))
