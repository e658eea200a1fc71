"""Group robots (群机器人, issue 14 part 4): notices of chosen kinds told to an office's
enterprise WeChat (企业微信) or DingTalk (钉钉) group, the messengers offices read.

One small interface, `send(hook, text)`, with one implementation per kind of robot:

- 企业微信: POST {"msgtype": "text", "text": {"content": …}} to the robot's address
  (which carries its key);
- 钉钉: the same body, to the address with `&timestamp=<ms>&sign=<…>` when the robot has a
  signing secret: sign = base64(HMAC-SHA256(secret, "<timestamp>\\n<secret>")), URL-encoded.

Which robot hears of a notice (`hooks_for`): the active hooks of the item's section that
forward its kind, else the agency-wide ones (no section) that do. Every notice written
passes through `forward_on_commit` (from `services.email_on_commit`), after commit:
`forward_notices` turns a batch of notices into events (one per item and kind: the heads
of a section told of one task are one message) and queues one `send_to_messenger` per
robot; a reminder (`reminder` set) is forwarded with the first batch that wrote it, so two
batches of one sweep (holders, leaders) make one message. A failure the robot's side may
cure (no answer, 5xx) is retried with the project's backoff; a refusal (4xx, or the
robots' own `errcode`) is logged, not retried.

Quiet hours (`notifications.quiet`) apply as to e-mail, but a group message is not kept
for the morning: in quiet hours only the agency's urgent kinds are forwarded; the people
concerned still have the notice in their bell and its e-mail when the quiet period ends.
"""

import base64
import hashlib
import hmac
import logging
import time
from urllib.parse import quote_plus

import httpx
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.backoff import jittered_backoff
from workdays.calendar import WorkingCalendar

from . import quiet
from .models import MessengerHook, MessengerKind, Notification
from .texts import absolute_url

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10


class MessengerUnavailable(Exception):
    """The robot's side did not answer or failed (5xx): another attempt may succeed."""


class MessengerRefused(Exception):
    """The robot refused the message (a bad key or signature, a blocked word): retrying
    sends the same again."""


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    signed = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(),
                      hashlib.sha256).digest()
    return quote_plus(base64.b64encode(signed).decode())


def _wecom_request(hook, text):
    return hook.url_with_token, {"msgtype": "text", "text": {"content": text}}


def _dingtalk_request(hook, text):
    url = hook.url_with_token
    if hook.secret:
        timestamp = int(time.time() * 1000)
        joiner = "&" if "?" in url else "?"
        url = f"{url}{joiner}timestamp={timestamp}&sign={dingtalk_sign(hook.secret, timestamp)}"
    return url, {"msgtype": "text", "text": {"content": text}}


#: kind of robot → (hook, text) → (address, JSON body)
REQUESTS = {MessengerKind.WECOM: _wecom_request, MessengerKind.DINGTALK: _dingtalk_request}


def send(hook, text: str) -> None:
    """Post `text` to the robot; MessengerUnavailable or MessengerRefused if it failed."""
    url, body = REQUESTS[hook.kind](hook, text)
    try:
        response = httpx.post(url, json=body, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as error:
        raise MessengerUnavailable(type(error).__name__) from error
    if response.status_code >= 500 or response.status_code == 429:
        raise MessengerUnavailable(f"HTTP {response.status_code}")
    if response.status_code >= 400:
        raise MessengerRefused(f"HTTP {response.status_code}")
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    # both answer 200 with {"errcode": 0, "errmsg": "ok"}, or their own error code
    if isinstance(answer, dict) and answer.get("errcode", 0) != 0:
        raise MessengerRefused(f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")


def text_of(notice) -> str:
    """What the group reads: what happened, the item, the note, and the link to act on."""
    with translation.override(settings.LANGUAGE_CODE):
        lines = [_("【政务公开】%(headline)s：《%(title)s》") % {"headline": notice.headline,
                                                           "title": notice.title}]
        if notice.message:
            lines.append(notice.message)
        lines.append(absolute_url(notice.path))
    return "\n".join(str(line) for line in lines)


def hooks_for(hooks, *, agency_id, section_id, kind):
    """The hooks that hear of a notice: its section's, else the agency-wide ones."""
    matching = [h for h in hooks if h.agency_id == agency_id and kind in (h.kinds or [])]
    own = [h for h in matching if section_id is not None and h.section_id == section_id]
    return own or [h for h in matching if h.section_id is None]


def _events(notices):
    """One notice per event: per item (or application), kind, step, reminder and note."""
    seen, events = set(), []
    for notice in notices:
        key = (notice.kind, notice.publication_id, notice.application_id, notice.step,
               notice.reminder, notice.message, notice.title)
        if key not in seen:
            seen.add(key)
            events.append(notice)
    return events


def _first_batch_only(events):
    """Drop the reminders another batch wrote first (their first notice is not ours)."""
    reminded = [e for e in events if e.reminder and e.publication_id is not None]
    if not reminded:
        return events
    firsts = set(Notification.objects
                 .filter(publication_id__in={e.publication_id for e in reminded},
                         reminder__in={e.reminder for e in reminded})
                 .values("publication_id", "kind", "reminder").annotate(first=Min("pk"))
                 .values_list("first", flat=True))
    return [e for e in events
            if not (e.reminder and e.publication_id is not None) or e.pk in firsts]


def messages_for(notification_ids, *, now=None) -> list[tuple[int, str]]:
    """(hook id, text) of every group message the notices call for now."""
    hooks = list(MessengerHook.objects.filter(
        is_active=True, agency_id__in=Notification.objects.filter(
            pk__in=notification_ids).values("agency_id")))
    if not hooks:
        return []  # the common case: one query
    notices = list(Notification.objects.filter(pk__in=notification_ids)
                   .select_related("agency", "publication").order_by("pk"))
    now, calendar = now or timezone.now(), WorkingCalendar()
    events = _first_batch_only(_events(notices))
    messages = []
    for notice in events:
        if quiet.held_until(notice.agency, notice.kind, now, calendar) is not None:
            continue
        section_id = notice.publication.section_id if notice.publication else None
        for hook in hooks_for(hooks, agency_id=notice.agency_id, section_id=section_id,
                              kind=notice.kind):
            messages.append((hook.pk, text_of(notice)))
    return messages


def forward_on_commit(notification_ids) -> None:
    """Tell the group robots once the change commits (robust: a broker down loses the
    group message, never the change)."""
    ids = list(notification_ids)
    if ids:
        transaction.on_commit(lambda: forward_notices.delay(ids), robust=True)


@shared_task(ignore_result=True)
def forward_notices(notification_ids: list[int]) -> int:
    messages = messages_for(notification_ids)
    for hook_id, text in messages:
        send_to_messenger.delay(hook_id, text)
    return len(messages)


def backoff_seconds(retry: int) -> float:
    return jittered_backoff(retry, base=settings.MESSENGER_RETRY_BASE_SECONDS,
                            cap=settings.MESSENGER_RETRY_MAX_SECONDS)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_to_messenger(self, hook_id: int, text: str) -> bool:
    """Post one message; retried with backoff while the robot's side is unavailable."""
    hook = MessengerHook.objects.filter(pk=hook_id, is_active=True).first()
    if hook is None:
        return False  # removed or switched off meanwhile
    try:
        send(hook, text)
    except MessengerRefused as error:
        log.error("group robot %s (%s) refused a message: %s", hook.pk, hook.name, error)
        return False
    except MessengerUnavailable as error:
        max_retries = settings.MESSENGER_MAX_RETRIES
        # in the embedded mode tasks run in-process, where a countdown would not wait
        if self.app.conf.task_always_eager or self.request.retries >= max_retries:
            log.error("gave up telling group robot %s (%s): %s", hook.pk, hook.name, error)
            return False
        raise self.retry(countdown=backoff_seconds(self.request.retries + 1),
                         max_retries=max_retries) from error
    return True
