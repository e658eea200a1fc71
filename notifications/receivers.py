"""From audit events to notices, in the transaction of the change.

Every state change records its audit events inside its transaction; `audit.services.record`
then sends `events_recorded`, and `notify_on_events` turns the events into notices:

- submit, and approval at a step with a next one: "task queued" for everyone who may claim
  the new task: one INSERT ... SELECT from `workflow.selectors.people_who_may_act`;
- reject (and a round voided because the content changed): "returned" to the drafter, with
  the comment; final approval: "approved"; withhold: "withheld";
- the first release of the item published on any channel: "released" to the drafter, one
  INSERT ... ON CONFLICT DO NOTHING against the one-per-item constraint.

Nobody hears of their own action. Each statement returns the ids of the notices it wrote;
their e-mail copies go out through Celery once the transaction commits.
"""

from django.db import transaction
from django.db.models import F, Subquery
from django.dispatch import receiver

from audit.models import AuditAction
from audit.signals import events_recorded
from publications.models import Publication, PublicationStatus
from workflow.permissions import REVIEW_STEPS
from workflow.selectors import open_task_of, people_who_may_act

from .inserts import insert_notices
from .links import item_link
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
    new_ids = []
    to_drafters = []
    for event in events:
        if event.publication_id is None:
            continue
        step = _step_queued_by(event)
        if event.action in PUBLISHED:
            new_ids += _released(event)
        elif step is not None:
            new_ids += _task_queued(event, step)
        else:
            to_drafters += _to_drafter_for(event)
    if to_drafters:
        new_ids += [notice.pk for notice in Notification.objects.bulk_create(to_drafters)]
    email_on_commit(new_ids)


def _step_queued_by(event) -> str | None:
    """The review step whose task the event opened: submitting opens the first, approving
    one step opens the next."""
    if event.action == AuditAction.SUBMIT:
        return REVIEW_STEPS[0]
    if event.action == AuditAction.APPROVE and event.tier in REVIEW_STEPS[:-1]:
        return REVIEW_STEPS[REVIEW_STEPS.index(event.tier) + 1]
    return None


def _to_drafter_for(event) -> list[Notification]:
    if event.action == AuditAction.APPROVE and event.tier == REVIEW_STEPS[-1]:
        return _to_drafter(event, K.APPROVED)
    if event.action in TO_DRAFTER:
        return _to_drafter(event, TO_DRAFTER[event.action], message=event.comment)
    return []


def _facts(event, kind, **fields) -> dict:
    """The columns every notice of the event carries."""
    return {"agency_id": event.agency_id, "kind": kind, "publication_id": event.publication_id,
            "title": event.publication.title, "step": "", "message": "", "link": "", **fields}


def _task_queued(event, step) -> list[int]:
    """Everyone who may claim the step's open task, but the actor, in one INSERT ... SELECT
    from `people_who_may_act`; the task's id is a subquery of that SELECT, and no row comes
    out if the round does not wait at `step`."""
    publication = event.publication
    open_task = open_task_of(publication=publication, step=step).values("pk")[:1]
    people = people_who_may_act(publication=publication, step=step)
    if event.actor_id is not None:
        people = people.exclude(pk=event.actor_id)
    people = people.annotate(open_task=Subquery(open_task)).filter(open_task__isnull=False)
    return insert_notices(people, recipient_id=F("pk"), task_id=F("open_task"),
                          **_facts(event, K.TASK_QUEUED, step=step))


def _to_drafter(event, kind, message="") -> list[Notification]:
    drafter_id = event.publication.drafter_id
    if drafter_id == event.actor_id:
        return []
    return [Notification(recipient_id=drafter_id,
                         **_facts(event, kind, message=message,
                                  link=item_link(event.publication_id)))]


def _released(event) -> list[int]:
    """Once per item: against the unique constraint, a second channel's (or a concurrent
    worker's) release inserts nothing, and so gets no id to e-mail."""
    publication = event.publication
    if publication.status != PublicationStatus.APPROVED or (
            publication.drafter_id == event.actor_id):
        return []
    item = Publication.objects.filter(pk=publication.pk)
    return insert_notices(item, ignore_conflicts=True, recipient_id=F("drafter_id"),
                          **_facts(event, K.RELEASED, link=item_link(publication.pk)))


def email_on_commit(notification_ids) -> None:
    """E-mail copies once the change commits, never inside it. Robust: with the broker
    down the change still succeeds (the notices stay in the bell, unmailed)."""
    from .tasks import send_notification_emails

    ids = list(notification_ids)
    if ids:
        transaction.on_commit(lambda: send_notification_emails.delay(ids), robust=True)
