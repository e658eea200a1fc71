"""Sign-in's state changes: issuing a token, recording logins in the person's agency chain,
unlocking a locked account or address. Each writes its audit event in its transaction."""

import datetime as dt
import logging
import secrets

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.config_changes import chain_of
from audit.models import AuditAction
from audit.services import Event, record

from .models import ApiToken, digest_of

log = logging.getLogger(__name__)


def issue_token(*, user) -> tuple[str, ApiToken]:
    """A new token for a person who has just proved their password; their expired tokens go.

    Returns the key (shown once, never stored) and the token row.
    """
    key = secrets.token_hex(20)
    now = timezone.now()
    with transaction.atomic():
        ApiToken.objects.filter(user=user).filter(
            Q(last_used__lt=now - dt.timedelta(seconds=settings.API_TOKEN_IDLE_SECONDS))
            | Q(created__lt=now - dt.timedelta(seconds=settings.API_TOKEN_LIFETIME_SECONDS))
        ).delete()
        token = ApiToken.objects.create(digest=digest_of(key), user=user, created=now,
                                        last_used=now,
                                        password_hash=user.get_session_auth_hash())
    return key, token


def record_login_event(*, user, action: str, actor=None, data: dict,
                       then: tuple[str, dict] | None = None) -> None:
    """A login event in the person's agency chain (and `then`, a second one, in the same
    transaction); a person of no agency (a platform operator) is recorded in the
    platform's chain."""
    events = [Event(action, subject=user, actor=actor, data=data)]
    if then is not None:
        events.append(Event(then[0], subject=user, actor=actor, data=then[1]))
    with transaction.atomic():
        record(agency_id=chain_of(user), events=events)


def person_named(username: str | None):
    """The person a login attempt names, if there is one (the same lookup as the login)."""
    if not username:
        return None
    User = get_user_model()
    return User.objects.filter(**{User.USERNAME_FIELD: username}).first()


def unlock_person(*, user, by=None, via: str) -> int:
    """Clear a person's failed attempts from every address: their account is unlocked."""
    with transaction.atomic():
        count, _ = AccessAttempt.objects.filter(username=user.get_username()).delete()
        if count:
            record_login_event(user=user, action=AuditAction.LOGIN_UNLOCKED, actor=by,
                               data={"via": via, "attempts": count})
    return count


def unlock_address(*, ip_address: str, by=None, via: str) -> int:
    """Clear every failed attempt from an address (those that named nobody, and people's)."""
    with transaction.atomic():
        count, _ = AccessAttempt.objects.filter(ip_address=ip_address).delete()
    log.warning("login address %s unlocked by %s via %s (%d attempts)", ip_address,
                by.get_username() if by is not None else "-", via, count)
    return count
