"""Celery tasks of the review: the hourly Art. 26 reminder sweep (`workflow.reminders`) and
the daily digest (`workflow.digest`)."""

from celery import shared_task

from . import digest, reminders


@shared_task(ignore_result=True)
def send_item_reminders() -> dict:
    # a redelivered or duplicated run writes nothing twice (the reminders' unique keys)
    return reminders.sweep()


@shared_task(ignore_result=True)
def send_daily_digests() -> int:
    # every 10 minutes: each agency's people get theirs once its digest time has passed,
    # once a day (the digests' unique key), whichever run or beat comes first
    return digest.sweep()
