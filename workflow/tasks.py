"""Celery tasks of the review: the hourly Art. 26 reminder sweep (`workflow.reminders`),
the daily digest (`workflow.digest`: the sweep and its chunks) and the hourly start of
leaves (代理, `workflow.substitutions.start_leaves`)."""

import datetime as dt

from celery import shared_task
from celery.result import EagerResult
from django.utils import timezone

from workdays.calendar import WorkingCalendar

from . import digest, reminders, substitutions


@shared_task(ignore_result=True)
def send_item_reminders() -> dict:
    # a redelivered or duplicated run writes nothing twice (the reminders' unique keys)
    return reminders.sweep()


@shared_task(ignore_result=True)
def send_daily_digests() -> int:
    # every 10 minutes: each agency's people get theirs once its digest time has passed,
    # once a day (the digests' unique key), whichever run or beat comes first
    return sweep_digests()


def sweep_digests(*, now: dt.datetime | None = None) -> int:
    """Dispatch the digests due at `now` (`workflow.digest`): one task per chunk of
    `digest.CHUNK` agencies, so that every worker takes a share. Returns how many were
    written here: all of them where tasks run in-process (the embedded mode, the tests),
    none with workers, which write theirs."""
    written = 0
    for today, agency_ids in digest.chunks_due(now or timezone.now(), WorkingCalendar()):
        result = send_digest_chunk.delay(today.isoformat(), agency_ids)
        if isinstance(result, EagerResult):
            written += result.get()
    return written


@shared_task(ignore_result=True)
def send_digest_chunk(day: str, agency_ids: list[int]) -> int:
    # one chunk of the sweep's agencies; redelivered, it writes nothing twice (the people
    # served have theirs: the digests' unique key)
    return digest.write_chunk(agency_ids=agency_ids, today=dt.date.fromisoformat(day))


@shared_task(ignore_result=True)
def start_leaves() -> dict:
    # each leave is started once (`claims_released_at`), however many beats run it
    return substitutions.start_leaves()
