"""Writing notices, and a person's actions on their own: read one, read all, e-mail on/off.

The `notify_*` functions are called by the action that causes the notice, inside its
transaction, so a notice exists exactly when the action committed. Each writes its notices
in one statement (`inserts.insert_notices`, INSERT ... SELECT) and queues their e-mail
copies for after the commit. Nobody hears of their own action.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Role, Section, holding_role
from core.errors import NotFound

from .inserts import insert_notices
from .kinds import NotificationKind as K
from .links import item_link, release_link, retraction_request_link, substitutes_link
from .messengers import forward_on_commit
from .models import Notification, NotificationSettings
from .tasks import send_notification_emails


def notify_task_queued(*, publication, step: str, task_id: int, people) -> list[int]:
    """The task `task_id` of `step` entered the queue of `people`.

    `people`: a queryset of the persons who may claim it (the caller's rules decide who
    they are; `workflow` passes everyone who may act, less the actor). Their SELECT feeds
    the insert: one statement.
    """
    ids = insert_notices(people, recipient_id=F("pk"),
                         **_facts(publication, K.TASK_QUEUED, step=step, task_id=task_id))
    email_on_commit(ids)
    return ids


def notify_drafter(*, publication, kind: str, actor=None, message: str = "") -> list[int]:
    """Tell the item's drafter it was returned (with the comment), approved or withheld."""
    return _to_drafter(publication, kind, actor=actor, message=message)


def notify_claim_taken_back(*, publication, task_id: int, step: str, holder, actor) -> list[int]:
    """Tell `holder` that `actor` (a section head or leader) took back their claim of the
    task: it is no longer in their to-do list. The notice names who took it back."""
    if actor is not None and holder.pk == actor.pk:
        return []
    ids = insert_notices(get_user_model().objects.filter(pk=holder.pk), recipient_id=F("pk"),
                         **_facts(publication, K.CLAIM_TAKEN_BACK, step=step, task_id=task_id,
                                  message=str(actor) if actor is not None else ""))
    email_on_commit(ids)
    return ids


def notify_release_summary(*, publication, round: int, kind: str, message: str) -> list[int]:
    """Once per item and round, when every release of the round has settled: what became of
    it on each channel (`kind`, one of `SUMMARY_KINDS`, and the caller's `message`). A
    second summary of the round (a retried channel settling again, a concurrent worker) is
    refused by the one-per-round constraint and so e-mails nothing. (The caller does not
    call it for an item retracted meanwhile.)"""
    return _to_drafter(publication, kind, message=message, ignore_conflicts=True, round=round)


def notify_retraction_failed(*, publication, release) -> list[int]:
    """A channel would not take a retracted item back: the agency's publishers (who look after
    the channels) and the leaders covering its section must see to it by hand."""
    leaders = Section.leaders.through.objects.filter(section_id=publication.section_id)
    people = get_user_model().objects.filter(
        Q(agency_id=publication.agency_id, is_active=True)
        & (holding_role(Role.PUBLISHER)
           | (holding_role(Role.LEADER) & Q(pk__in=leaders.values("user_id")))))
    ids = insert_notices(people, recipient_id=F("pk"), **_facts(
        publication, K.RETRACTION_FAILED, link=item_link(publication.pk),
        message=f"{release.channel.name}：{release.error}"))
    email_on_commit(ids)
    return ids


def _publishers(publication):
    return get_user_model().objects.filter(
        holding_role(Role.PUBLISHER), agency_id=publication.agency_id, is_active=True)


def notify_release_failed(*, publication, release) -> list[int]:
    """A release failed for good: the agency's publishers (to fix and retry, on the release's
    page), the drafter and the leaders covering the item's section (on the item's page) are
    told, with the channel and the error."""
    leaders = Section.leaders.through.objects.filter(section_id=publication.section_id)
    message = f"{release.channel.name}：{release.error}"
    publishers = _publishers(publication)
    ids = insert_notices(publishers, recipient_id=F("pk"), **_facts(
        publication, K.RELEASE_FAILED, link=release_link(release.pk), message=message))
    others = get_user_model().objects.filter(
        Q(agency_id=publication.agency_id, is_active=True)
        & (Q(pk=publication.drafter_id)
           | (holding_role(Role.LEADER) & Q(pk__in=leaders.values("user_id"))))
    ).exclude(pk__in=publishers.values("pk"))
    ids += insert_notices(others, recipient_id=F("pk"), **_facts(
        publication, K.RELEASE_FAILED, link=item_link(publication.pk), message=message))
    email_on_commit(ids)
    return ids


def notify_release_awaiting(*, publication, release) -> list[int]:
    """A manual medium (newspaper, notice board) has the item to carry: the agency's
    publishers confirm it once it appeared."""
    ids = insert_notices(_publishers(publication), recipient_id=F("pk"), **_facts(
        publication, K.RELEASE_AWAITING, link=release_link(release.pk),
        message=release.channel.name))
    email_on_commit(ids)
    return ids


def notify_retraction_requested(*, publication, request_id: int, requester,
                                reason: str) -> list[int]:
    """A publisher asked for the item's retraction: the active leaders covering its section
    (who alone may decide) are told, with the reason, on the request's page."""
    leaders = Section.leaders.through.objects.filter(section_id=publication.section_id)
    people = get_user_model().objects.filter(
        holding_role(Role.LEADER), agency_id=publication.agency_id, is_active=True,
        pk__in=leaders.values("user_id")).exclude(pk=requester.pk)
    ids = insert_notices(people, recipient_id=F("pk"), **_facts(
        publication, K.RETRACTION_REQUESTED, link=retraction_request_link(request_id),
        message=reason))
    email_on_commit(ids)
    return ids


def notify_retraction_decided(*, publication, requester, approved: bool, comment: str,
                              actor) -> list[int]:
    """The leader decided a publisher's request: the publisher is told whether it was
    approved (the item is retracted) or declined, with the leader's comment."""
    if requester.pk == actor.pk:
        return []
    kind = K.RETRACTION_APPROVED if approved else K.RETRACTION_DECLINED
    ids = insert_notices(get_user_model().objects.filter(pk=requester.pk),
                         recipient_id=F("pk"), **_facts(
                             publication, kind, link=item_link(publication.pk),
                             message=comment))
    email_on_commit(ids)
    return ids


def _facts(publication, kind, **fields) -> dict:
    """The columns every notice about the item carries."""
    return {"agency_id": publication.agency_id, "kind": kind, "publication_id": publication.pk,
            "title": publication.title, "step": "", "message": "", "link": "", **fields}


def _to_drafter(publication, kind, *, actor=None, message="", ignore_conflicts=False,
                **columns):
    if actor is not None and publication.drafter_id == actor.pk:
        return []
    drafter = get_user_model().objects.filter(pk=publication.drafter_id)
    ids = insert_notices(drafter, ignore_conflicts=ignore_conflicts, recipient_id=F("pk"),
                         **_facts(publication, kind, message=message,
                                  link=item_link(publication.pk), **columns))
    email_on_commit(ids)
    return ids


def email_on_commit(notification_ids) -> None:
    """E-mail copies once the change commits, never inside it. Robust: with the broker
    down the change still succeeds (the notices stay in the bell, unmailed)."""
    ids = list(notification_ids)
    if ids:
        transaction.on_commit(lambda: send_notification_emails.delay(ids), robust=True)
        forward_on_commit(ids)  # and to the group robots that forward their kinds


def open_notification(*, user, notification_id: int) -> Notification:
    """Mark the person's own notice read and return it (NotFound for anyone else's)."""
    notice = Notification.objects.filter(pk=notification_id, recipient_id=user.pk).first()
    if notice is None:
        raise NotFound(_("未找到该通知。"))
    if notice.read_at is None:
        notice.read_at = timezone.now()
        Notification.objects.filter(pk=notice.pk, read_at__isnull=True).update(
            read_at=notice.read_at)
    return notice


def mark_all_read(*, user) -> int:
    return (Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
            .update(read_at=timezone.now()))


def set_email_enabled(*, user, enabled: bool) -> NotificationSettings:
    preference, _created = NotificationSettings.objects.update_or_create(
        user_id=user.pk, defaults={"email_enabled": enabled})
    return preference


def set_digest_enabled(*, user, enabled: bool) -> NotificationSettings:
    """The person's daily digest (每日待办) on or off."""
    preference, _created = NotificationSettings.objects.update_or_create(
        user_id=user.pk, defaults={"digest_enabled": enabled})
    return preference


# --- 依申请公开 (issue 11): notices about an application ----------------------------------

def notify_about_applications(rows, *, kind: str, recipient, message="", reminder=None,
                              **columns) -> list[int]:
    """One notice per row of `rows`, a queryset of applications or of people, in one
    statement (`recipient`, and any of agency_id/application_id/title given in `columns`,
    are expressions over the rows). With `reminder` (an expression or a value) a person
    gets each reminder of an application once: a second sweep's rows are refused by the
    constraint and so e-mail nothing."""
    values = {"recipient_id": recipient, "kind": kind, "message": message, "step": "",
              "link": "", **columns}
    if reminder is not None:
        values["reminder"] = reminder
    ids = insert_notices(rows, ignore_conflicts=reminder is not None, **values)
    email_on_commit(ids)
    return ids


# --- issue 14: Art. 26 reminders about items, 催办 -------------------------------------

def notify_item_reminders(rows, *, recipient_id, reminder, **columns) -> list[int]:
    """One reminder per row of `rows` (a queryset of tasks, people or items), in one
    statement: `recipient_id`, `reminder` (the key, e.g. "due5:2024-10-30") and the other
    columns (agency_id, publication_id, title, kind, message, task_id, step) are
    expressions over the rows. A person gets each reminder of an item once: rows the
    constraint `one_reminder_per_item` refuses (a second sweep's) e-mail nothing."""
    values = {"recipient_id": recipient_id, "reminder": reminder, "step": "", "message": "",
              "link": "", **columns}
    ids = insert_notices(rows, ignore_conflicts=True, **values)
    email_on_commit(ids)
    return ids


def notify_task_urged(*, publication, task_id: int, step: str, people, actor,
                      message: str) -> list[int]:
    """`actor` urged (催办) the task: `people` (its holder, or everyone who may take it)
    are told at once, with who urged and what they wrote; the actor never."""
    ids = insert_notices(people.exclude(pk=actor.pk), recipient_id=F("pk"), **_facts(
        publication, K.TASK_URGED, step=step, task_id=task_id,
        message=f"{actor}：{message}"))
    email_on_commit(ids)
    return ids


def notify_substitute_named(*, agency_id: int, substitute_id: int, absent, starts_on,
                            ends_on, actor) -> list[int]:
    """Tell `substitute_id` that they stand in for `absent` (代理) between the dates, and
    who named them."""
    if actor is not None and actor.pk == substitute_id:
        return []
    ids = insert_notices(
        get_user_model().objects.filter(pk=substitute_id), recipient_id=F("pk"),
        agency_id=agency_id, kind=K.SUBSTITUTE_NAMED, step="", link=substitutes_link(),
        title=_("%(absent)s 请假期间（%(starts)s 至 %(ends)s）的审核任务") % {
            "absent": absent, "starts": starts_on.isoformat(), "ends": ends_on.isoformat()},
        message=str(actor) if actor is not None else "")
    email_on_commit(ids)
    return ids
