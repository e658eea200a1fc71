"""`calendar_changed`: the announcement that the holiday calendar changed, and the hooks
that make every write of it announce itself.

Why: a deadline counted in working days is only as right as the calendar it was counted
with. Other apps store deadlines (the `applications` app keeps the statutory reply date
of every open application, 依申请公开); when the platform operator enters next year's
holiday notice, corrects a day or marks a year complete, the open deadlines in the years
touched must be counted again. This app sits below them and cannot call them, so it sends
a signal they listen to.

What is sent: `calendar_changed` with `years` (a frozenset of the years whose `Holiday` or
`HolidayYear` rows were created, changed or deleted; a row moved to another date names
both years) and `using` (the database alias), with `sender=None`. It is sent once per
committed transaction, after the commit (`transaction.on_commit(..., robust=True)`), so a
listener reads the calendar as committed; a transaction that rolls back sends nothing. In
autocommit mode each write is its own transaction and sends at once. A listener's error is
logged and does not stop the other listeners, nor undo the change.

Which writes announce themselves: `save()` and `delete()` of a row (the admin's add, change
and delete, `create`, `get_or_create`, …) through Django's model signals, connected in
`WorkdaysConfig.ready`; a queryset's `delete()` (the admin's bulk delete), which sends
`post_delete` per row because receivers are connected; `update()`, `bulk_create()` and
`bulk_update()` (the seed command), which send no model signal, through
`CalendarQuerySet`. Raw SQL and data migrations (historical models) do not announce.

One send per transaction: the changed years are gathered in one `_Batch` whose `send` is
the on_commit callback, found again among the connection's pending callbacks on the next
write of the same transaction. A write inside a savepoint registers the callback again at
its level, so the send survives as long as any write survives; years written inside a
savepoint that was rolled back while an outer write survived are still named (a listener
then recounts a year that did not change, which is harmless).
"""

import logging

from django.db import models, transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import Signal

logger = logging.getLogger(__name__)

#: Sent with `years` (frozenset of int) and `using` after a transaction that changed the
#: holiday calendar committed.
calendar_changed = Signal()

CALENDAR_MODELS = ("workdays.Holiday", "workdays.HolidayYear")


class _Batch:
    """The years changed in one transaction, sent once when it commits."""

    def __init__(self, using):
        self.using = using
        self.years = set()
        self.sent = False

    def send(self):
        if self.sent:  # registered again from a savepoint: the first call sends
            return
        self.sent = True
        for receiver, error in calendar_changed.send_robust(
                sender=None, years=frozenset(self.years), using=self.using):
            if isinstance(error, Exception):
                logger.error("calendar_changed receiver %r failed", receiver, exc_info=error)


def announce(years, *, using=None) -> None:
    """Note that rows of these years changed; sent when the current transaction commits."""
    years = {year for year in years if year is not None}
    if not years:
        return
    connection = transaction.get_connection(using)
    pending = [(sids, func.__self__) for sids, func, _robust in connection.run_on_commit
               if isinstance(getattr(func, "__self__", None), _Batch)
               and not func.__self__.sent]
    batch = pending[0][1] if pending else _Batch(connection.alias)
    batch.years |= years
    # Registered at this savepoint level or an outer one, it runs whenever this write does.
    current = set(connection.savepoint_ids)
    if not any(sids <= current for sids, _batch in pending):
        transaction.on_commit(batch.send, using=connection.alias, robust=True)


class CalendarQuerySet(models.QuerySet):
    """The writes that bypass `save()` and `delete()` announce what they changed.

    `year_lookup` names the year of a row ("date__year", "year")."""

    year_lookup: str

    def calendar_years(self) -> set[int]:
        return set(self.values_list(self.year_lookup, flat=True))

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        announce({obj.calendar_year for obj in created}, using=self.db)
        return created

    def update(self, **kwargs):
        # bulk_update() comes through here too.
        with transaction.atomic(using=self.db, savepoint=False):
            rows = list(self.values_list("pk", self.year_lookup))
            count = super().update(**kwargs)
            years = {year for _pk, year in rows}
            if self.year_lookup.split("__")[0] in kwargs:  # rows may have moved to other years
                years |= (self.model._default_manager.using(self.db)
                          .filter(pk__in=[pk for pk, _year in rows]).calendar_years())
            announce(years, using=self.db)
        return count


def _remember_year_before_save(sender, instance, raw=False, using=None, **kwargs):
    if instance.pk is not None:
        instance._calendar_years_before = (
            sender._default_manager.using(using).filter(pk=instance.pk).calendar_years())


def _announce_saved(sender, instance, raw=False, using=None, **kwargs):
    years = getattr(instance, "_calendar_years_before", set()) | {instance.calendar_year}
    instance._calendar_years_before = set()
    announce(years, using=using)


def _announce_deleted(sender, instance, using=None, **kwargs):
    announce({instance.calendar_year}, using=using)


def connect() -> None:
    for model in CALENDAR_MODELS:
        pre_save.connect(_remember_year_before_save, sender=model,
                         dispatch_uid=f"calendar-before-{model}")
        post_save.connect(_announce_saved, sender=model, dispatch_uid=f"calendar-saved-{model}")
        post_delete.connect(_announce_deleted, sender=model,
                            dispatch_uid=f"calendar-deleted-{model}")
