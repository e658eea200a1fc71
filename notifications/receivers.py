"""From audit events to notices, in the transaction of the change.

Every state change records its audit events inside its transaction; `audit.services.record`
then sends `events_recorded`, and `notify_on_events` turns the events into notices:

- submit, and approval at a step with a next one: "task queued" for everyone who may claim
  the new task (one query, `workflow.selectors.people_who_may_act`);
- reject (and a round voided because the content changed): "returned" to the drafter, with
  the comment; final approval: "approved"; withhold: "withheld";
- the first release of the item published on any channel: "released" to the drafter.

Nobody hears of their own action. The notices of one batch are one insert; their e-mail
copies go out through Celery once the transaction commits.
"""

from django.db import transaction
from django.db.models import Subquery
from django.dispatch import receiver

from audit.models import AuditAction
from audit.signals import events_recorded
from publications.models import PublicationStatus
from workflow.permissions import REVIEW_STEPS
from workflow.selectors import open_task_of, people_who_may_act

from .links import item_link, task_link
from .models import Notification
from .models import NotificationKind as K

TO_DRAFTER = {
    AuditAction.REJECT: K.RETURNED,
    AuditAction.CONTENT_CHANGED: K.RETURNED,
    AuditAction.WITHHOLD: K.WITHHELD,
}
PUBLISHED = (AuditAction.RELEASE_PUBLISHED, AuditAction.RELEASE_CONFIRMED)


@receiver(events_recorded, dispatch_uid="notifications.notify_on_events")
def notify_on_events(sender, agency_id, events, **kwargs):
    notices = []
    released = []
    for event in events:
        if event.publication_id is None:
            continue
        if event.action in PUBLISHED:
            released += _released(event)
        else:
            notices += _notices_for(event)
    if notices:
        notices = Notification.objects.bulk_create(notices)
    email_on_commit([notice.pk for notice in notices + released])


def _notices_for(event) -> list[Notification]:
    if event.action == AuditAction.SUBMIT:
        return _task_queued(event, REVIEW_STEPS[0])
    if event.action == AuditAction.APPROVE and event.tier in REVIEW_STEPS:
        later = REVIEW_STEPS[REVIEW_STEPS.index(event.tier) + 1:]
        if later:
            return _task_queued(event, later[0])
        return _to_drafter(event, K.APPROVED)
    if event.action in TO_DRAFTER:
        return _to_drafter(event, TO_DRAFTER[event.action], message=event.comment)
    return []


def _notice(event, recipient_id, kind, link, **fields) -> Notification:
    return Notification(recipient_id=recipient_id, agency_id=event.agency_id, kind=kind,
                        publication=event.publication, title=event.publication.title,
                        link=link, **fields)


def _task_queued(event, step) -> list[Notification]:
    publication = event.publication
    open_task = open_task_of(publication=publication, step=step).values("pk")[:1]
    people = (people_who_may_act(publication=publication, step=step)
              .annotate(task_id=Subquery(open_task))
              .values_list("pk", "task_id"))
    return [_notice(event, person_id, K.TASK_QUEUED, task_link(task_id), step=step)
            for person_id, task_id in people
            if task_id is not None and person_id != event.actor_id]


def _to_drafter(event, kind, message="") -> list[Notification]:
    drafter_id = event.publication.drafter_id
    if drafter_id == event.actor_id:
        return []
    return [_notice(event, drafter_id, kind, item_link(event.publication_id), message=message)]


def _released(event) -> list[Notification]:
    """Once per item: the unique constraint makes a second channel's (or a concurrent
    worker's) release find the notice already there."""
    publication = event.publication
    if publication.status != PublicationStatus.APPROVED or (
            publication.drafter_id == event.actor_id):
        return []
    notice, created = Notification.objects.get_or_create(
        recipient_id=publication.drafter_id, publication=publication, kind=K.RELEASED,
        defaults={"agency_id": event.agency_id, "title": publication.title,
                  "link": item_link(publication.pk)})
    return [notice] if created else []


def email_on_commit(notification_ids) -> None:
    """E-mail copies once the change commits, never inside it. Robust: with the broker
    down the change still succeeds (the notices stay in the bell, unmailed)."""
    from .tasks import send_notification_emails

    ids = list(notification_ids)
    if ids:
        transaction.on_commit(lambda: send_notification_emails.delay(ids), robust=True)
