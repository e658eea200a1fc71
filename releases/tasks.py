"""Celery tasks of the release outbox, and the dispatch of them after a commit.

The logic lives in releases.delivery, which queues nothing itself: each attempt returns
what is to happen next (`delivery.Next`) and the task here acts on it.
"""

from celery import shared_task
from django.db import transaction

from . import delivery


def dispatch_on_commit(release_ids, *, action="deliver") -> None:
    """Queue one task per release once the transaction commits.

    If the broker is down the rows stay pending and the sweeper sends them later; the
    request that approved them must not fail for it (hence robust).
    """
    task = deliver_release if action == "deliver" else retract_release
    ids = list(release_ids)
    if ids:
        transaction.on_commit(lambda: [task.delay(pk) for pk in ids], robust=True)


def _again_later(task, release_id, delay):
    # In the embedded mode tasks run in-process, where a countdown would not wait:
    # the next `sweep_releases` (or the beat sweeper in production) picks it up.
    if delay is not None and not task.app.conf.task_always_eager:
        task.apply_async((release_id,), countdown=delay)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_release(self, release_id: int) -> None:
    after = delivery.deliver(release_id)
    if after.retract:
        retract_release.delay(release_id)
    _again_later(self, release_id, after.delay)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def retract_release(self, release_id: int) -> None:
    _again_later(self, release_id, delivery.retract(release_id).delay)


@shared_task(ignore_result=True)
def sweep_outbox() -> dict:
    deliveries, retractions = delivery.due_releases()
    for pk in deliveries:
        deliver_release.delay(pk)
    for pk in retractions:
        retract_release.delay(pk)
    return {"deliveries": len(deliveries), "retractions": len(retractions)}
