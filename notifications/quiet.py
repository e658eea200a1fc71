"""Quiet hours (免打扰, issue 14): nothing is mailed (nor told to a group robot) at night, on
weekends or on holidays, except what the agency marks urgent.

Each agency sets its quiet period (`Agency.quiet_from`–`quiet_until`, default 20:00–08:00
in its `time_zone`); every day that is not a working day (`workdays.calendar`: weekends and
holidays, though not a 调休 Saturday) is quiet all day. An e-mail due in a quiet period is
held (`Notification.email_held_until`: the end of that period, the next working day's
`quiet_until`) and the beat task `send_held_emails` sends it then; the notice itself is in
the bell at once. Kinds in `Agency.urgent_kinds` (default: 催办 and a failed release) are
sent at once, and so is the daily digest, which comes at a time the agency chose.

`NOTIFICATION_QUIET_HOURS=0` turns quiet hours off for the whole installation (the test
suite does, so that its e-mails do not depend on the hour it runs at).
"""

import datetime as dt

from django.conf import settings

from .kinds import NotificationKind

#: sent in quiet hours too, whatever the agency marks urgent: it comes at the agency's time
ALWAYS_SENT = (NotificationKind.DAILY_DIGEST,)


def _in_quiet_hours(time: dt.time, quiet_from: dt.time, quiet_until: dt.time) -> bool:
    if quiet_from == quiet_until:
        return False  # no nightly quiet period: weekends and holidays only
    if quiet_from > quiet_until:  # across midnight, as 20:00–08:00
        return time >= quiet_from or time < quiet_until
    return quiet_from <= time < quiet_until


def quiet_end(agency, now: dt.datetime, calendar) -> dt.datetime | None:
    """When the agency's quiet period that `now` falls in ends; None when it is not quiet."""
    zone = agency.zone
    local = now.astimezone(zone)
    day = local.date()
    if calendar.is_working_day(day) and not _in_quiet_hours(
            local.time(), agency.quiet_from, agency.quiet_until):
        return None
    # the first working day whose quiet_until is still ahead
    if local.time() >= agency.quiet_until:
        day += dt.timedelta(days=1)
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, agency.quiet_until, tzinfo=zone)


def is_urgent(agency, kind: str) -> bool:
    return kind in ALWAYS_SENT or kind in (agency.urgent_kinds or [])


def held_until(agency, kind: str, now: dt.datetime, calendar) -> dt.datetime | None:
    """Until when a notice of `kind` waits to be sent out of the agency (None: send now)."""
    if not settings.NOTIFICATION_QUIET_HOURS or is_urgent(agency, kind):
        return None
    return quiet_end(agency, now, calendar)
