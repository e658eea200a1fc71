"""Celery tasks of the release outbox. The logic lives in releases.delivery."""

from celery import shared_task

from . import delivery


def _again_later(task, release_id, delay):
    # In the embedded mode tasks run in-process, where a countdown would not wait:
    # the next `sweep_releases` (or the beat sweeper in production) picks it up.
    if delay is not None and not task.app.conf.task_always_eager:
        task.apply_async((release_id,), countdown=delay)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_release(self, release_id: int) -> None:
    _again_later(self, release_id, delivery.deliver(release_id))


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def retract_release(self, release_id: int) -> None:
    _again_later(self, release_id, delivery.retract(release_id))


@shared_task(ignore_result=True)
def sweep_outbox() -> dict:
    return delivery.sweep()
