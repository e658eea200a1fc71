"""From audit events to notices, in the transaction of the change.

Every state change records its audit events inside its transaction; `audit.services.record`
then sends `events_recorded`, and `notify_on_events` turns the events into notices:

- submit, and approval at a step with a next one: "task queued" for everyone who may claim
  the new task: one INSERT ... SELECT from `workflow.selectors.people_who_may_act`;
- reject (and a round voided because the content changed): "returned" to the drafter, with
  the comment; final approval: "approved"; withhold: "withheld";
- the first release of the item published on any channel: "released" to the drafter (the
  insert does nothing against the one-per-item constraint if it is there already).

Nobody hears of their own action. Each event's notices are one statement,
`inserts.insert_notices` (INSERT ... SELECT ... RETURNING id); their e-mail copies go out
through Celery once the transaction commits.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Subquery
from django.dispatch import receiver

from audit.models import AuditAction
from audit.signals import events_recorded
from publications.models import PublicationStatus
from workflow.permissions import REVIEW_STEPS
from workflow.selectors import open_task_of, people_who_may_act

from .inserts import insert_notices
from .links import item_link
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
    for event in events:
        if event.publication_id is not None:
            new_ids += _notify(event)
    email_on_commit(new_ids)


def _notify(event) -> list[int]:
    """Writes the event's notices, one statement at most; returns their ids."""
    if event.action in PUBLISHED:
        return _released(event)
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


def _facts(event, kind, **fields) -> dict:
    """The columns every notice of the event carries."""
    return {"agency_id": event.agency_id, "kind": kind, "publication_id": event.publication_id,
            "title": event.publication.title, "step": "", "message": "", "link": "", **fields}


def _task_queued(event, step) -> list[int]:
    """Everyone who may claim the step's open task, but the actor: the SELECT of
    `people_who_may_act` feeds the insert, with the task's id as a subquery of it (and no row
    if the round does not wait at `step`)."""
    publication = event.publication
    open_task = open_task_of(publication=publication, step=step).values("pk")[:1]
    people = people_who_may_act(publication=publication, step=step)  # never the drafter
    if event.actor_id not in (None, publication.drafter_id):
        people = people.exclude(pk=event.actor_id)
    people = people.annotate(open_task=Subquery(open_task)).filter(open_task__isnull=False)
    return insert_notices(people, recipient_id=F("pk"), task_id=F("open_task"),
                          **_facts(event, K.TASK_QUEUED, step=step))


def _to_drafter(event, kind, *, message="", ignore_conflicts=False) -> list[int]:
    publication = event.publication
    if publication.drafter_id == event.actor_id:
        return []
    drafter = get_user_model().objects.filter(pk=publication.drafter_id)
    return insert_notices(drafter, ignore_conflicts=ignore_conflicts, recipient_id=F("pk"),
                          **_facts(event, kind, message=message,
                                   link=item_link(publication.pk)))


def _released(event) -> list[int]:
    """Once per item: the unique constraint makes a second channel's (or a concurrent
    worker's) release insert nothing, and so find nothing to e-mail."""
    if event.publication.status != PublicationStatus.APPROVED:
        return []
    return _to_drafter(event, K.RELEASED, ignore_conflicts=True)


def email_on_commit(notification_ids) -> None:
    """E-mail copies once the change commits, never inside it. Robust: with the broker
    down the change still succeeds (the notices stay in the bell, unmailed)."""
    from .tasks import send_notification_emails

    ids = list(notification_ids)
    if ids:
        transaction.on_commit(lambda: send_notification_emails.delay(ids), robust=True)
