"""Celery tasks of the review: the hourly Art. 26 reminder sweep (`workflow.reminders`)."""

from celery import shared_task

from . import reminders


@shared_task(ignore_result=True)
def send_item_reminders() -> dict:
    # a redelivered or duplicated run writes nothing twice (the reminders' unique keys)
    return reminders.sweep()
