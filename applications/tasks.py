"""Celery tasks of applications: the deadline reminder sweep, and the recomputation of open
deadlines after the holiday table changed."""

from celery import shared_task

from . import reminders, services


@shared_task(ignore_result=True)
def send_deadline_reminders() -> dict:
    return reminders.sweep(on=services.today())


@shared_task(ignore_result=True)
def recompute_deadlines(years: list[int] | None = None) -> int:
    return services.recompute_open_deadlines(years=years)
