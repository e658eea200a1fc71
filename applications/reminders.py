"""The reminder sweep over every open application (Celery beat, hourly).

A handler hears when 5 and when 1 working day is left, and when the deadline has passed (so
do the leaders covering the section); a handler whose deadline cannot be computed because
the holiday table stops short hears that once. Each reminder carries a key naming the
deadline it is about (`due5:2026-12-21`), and the notices' unique constraint admits a key
once per person and application: two beat processes, or a sweep run twice, write one
reminder, and a deadline that moves (an extension) reminds again.

A stopped clock (补正, consultation, fee) has no deadline and so no reminder. A consultation
unanswered after its 15 working days stops it no longer; no event says so, so the sweep
first recomputes those (`services.refresh_lapsed_consultations`).

Set-based: "5 working days left" is `deadline <= the 5th working day after today`, so each
kind of reminder is one INSERT ... SELECT over the open applications, whatever their number.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat, Substr

from agencies.models import Role, holding_role
from notifications.kinds import NotificationKind as NK
from notifications.services import notify_about_applications
from workdays.calendar import WorkingCalendar

from .models import OPEN_STATUSES, Application
from .services import refresh_lapsed_consultations


def _running():
    """Open applications with a known deadline and a running clock."""
    return Application.objects.filter(status__in=OPEN_STATUSES, deadline__isnull=False,
                                      deadline_beyond_known=False, clock_stopped_by="")


def _columns(prefix: str, path: str = "") -> dict:
    """The notice's columns as expressions over the rows (`path` leads from the row to the
    application)."""
    return {"agency_id": F(f"{path}agency_id"), "application_id": F(f"{path}pk"),
            "title": Concat(F(f"{path}tracking_code"), Value(" "),
                            Substr(F(f"{path}content"), 1, 80), output_field=CharField()),
            "reminder": Concat(Value(prefix), Cast(F(f"{path}deadline"), CharField()),
                               output_field=CharField()),
            "message": Cast(F(f"{path}deadline"), CharField())}


def sweep(*, on: dt.date) -> dict:
    # a consultation past its 15 working days no longer stops the clock (no event says so)
    refresh_lapsed_consultations(on=on)
    calendar = WorkingCalendar()
    one_left = calendar.add_working_days(on, 1).date
    five_left = calendar.add_working_days(on, 5).date
    running = _running().filter(handler__isnull=False)
    counts = {}
    with transaction.atomic():
        counts["due5"] = len(notify_about_applications(
            running.filter(deadline__gt=one_left, deadline__lte=five_left),
            kind=NK.DEADLINE_APPROACHING, recipient=F("handler_id"), **_columns("due5:")))
        counts["due1"] = len(notify_about_applications(
            running.filter(deadline__gte=on, deadline__lte=one_left),
            kind=NK.DEADLINE_APPROACHING, recipient=F("handler_id"), **_columns("due1:")))
        counts["overdue"] = len(notify_about_applications(
            running.filter(deadline__lt=on), kind=NK.APPLICATION_OVERDUE,
            recipient=F("handler_id"), **_columns("overdue:")))
        # the leaders covering the section of an overdue application, one row per pair
        path = "covered_sections__applications__"
        leaders = get_user_model().objects.filter(
            holding_role(Role.LEADER), Q(is_active=True),
            **{f"{path}status__in": OPEN_STATUSES, f"{path}deadline__lt": on,
               f"{path}deadline_beyond_known": False, f"{path}clock_stopped_by": ""})
        counts["overdue_leaders"] = len(notify_about_applications(
            leaders, kind=NK.APPLICATION_OVERDUE, recipient=F("pk"), **_columns("overdue:", path)))
        counts["unknown"] = len(notify_about_applications(
            Application.objects.filter(status__in=OPEN_STATUSES, deadline_beyond_known=True,
                                       handler__isnull=False),
            kind=NK.DEADLINE_UNKNOWN, recipient=F("handler_id"), **_columns("unknown:")))
    return counts
