"""The deadline reminder sweep (applications.reminders): who hears what, once.

An application received Mon 4 Mar 2024 is due Mon 1 Apr (see test_api.py). Five working
days before: Mon 25 Mar (Mar 26–29 and Apr 1 are left); one: Fri 29 Mar.
"""

import threading

import pytest
from django.db import connection

from agencies.models import Role
from applications import reminders, services, tasks
from notifications.models import Notification
from testsupport.factories import make_org, make_user
from workdays.models import Holiday, HolidayYear

from .conftest import D, on, register

pytestmark = pytest.mark.django_db

KINDS = ("deadline_approaching", "application_overdue", "deadline_unknown")


@pytest.fixture
def org(handlers):
    return handlers


def reminders_of(application=None, **filters):
    qs = Notification.objects.filter(kind__in=KINDS, **filters)
    if application is not None:
        qs = qs.filter(application_id=application.pk)
    return sorted((n.recipient.username, n.reminder) for n in qs)


def sweep(day):
    with on(day):
        return tasks.send_deadline_reminders()


def test_the_handler_hears_five_and_one_working_days_before_and_when_overdue(org):
    application = register(org, handler="handler_2")
    sweep(D(2024, 3, 22))
    assert reminders_of(application) == []
    sweep(D(2024, 3, 25))
    assert reminders_of(application) == [("handler_2", "due5:2024-04-01")]
    sweep(D(2024, 3, 28))
    assert reminders_of(application) == [("handler_2", "due5:2024-04-01")]
    sweep(D(2024, 3, 29))
    assert reminders_of(application) == [("handler_2", "due1:2024-04-01"),
                                         ("handler_2", "due5:2024-04-01")]
    sweep(D(2024, 4, 1))  # the last day: nothing new
    assert len(reminders_of(application)) == 2
    sweep(D(2024, 4, 2))
    overdue = reminders_of(application, kind="application_overdue")
    # the leaders covering the office too, but not the construction section's leader
    assert overdue == [("handler_2", "overdue:2024-04-01"), ("leader", "overdue:2024-04-01"),
                       ("leading_handler", "overdue:2024-04-01")]
    notice = Notification.objects.get(recipient=org["leader"], kind="application_overdue")
    assert notice.agency == org.agency and notice.title.startswith(application.tracking_code)
    assert notice.message == "2024-04-01"


def test_sweeping_twice_writes_each_reminder_once(org):
    application = register(org, handler="handler_2")
    first = sweep(D(2024, 4, 2))
    assert first["overdue"] == 1 and first["overdue_leaders"] == 2
    again = sweep(D(2024, 4, 2))
    assert again == {"due5": 0, "due1": 0, "overdue": 0, "overdue_leaders": 0, "unknown": 0}
    sweep(D(2024, 4, 10))
    assert len(reminders_of(application)) == 3


def test_a_sweep_first_run_inside_the_last_five_days_still_sends_the_five_day_reminder(org):
    # Tue 26 Mar: four working days left
    application = register(org, handler="handler_2")
    sweep(D(2024, 3, 26))
    assert reminders_of(application) == [("handler_2", "due5:2024-04-01")]


def test_a_moved_deadline_reminds_again(org):
    application = register(org, handler="handler_2")
    sweep(D(2024, 3, 25))
    with on(D(2024, 3, 26)):
        services.extend(user=org["leader"], application_id=application.pk, reason="需调取档案",
                        notice_on=D(2024, 3, 26))
    sweep(D(2024, 3, 29))  # the old deadline's 1-day reminder does not come
    sweep(D(2024, 4, 2))  # nor its overdue one
    assert reminders_of(application) == [("handler_2", "due5:2024-04-01")]
    # due Mon 29 Apr; five working days before: Tue 23 Apr leaves 24–26, Sun 28 (调休), 29
    sweep(D(2024, 4, 22))
    assert len(reminders_of(application)) == 1
    sweep(D(2024, 4, 23))
    assert reminders_of(application) == [("handler_2", "due5:2024-04-01"),
                                         ("handler_2", "due5:2024-04-29")]


def test_a_stopped_clock_reminds_nobody(org):
    h = org["handler_office"]
    correction = register(org, handler="handler_2")
    fee = register(org, handler="handler_2")
    with on(D(2024, 3, 5)):
        services.request_correction(user=h, application_id=correction.pk,
                                    notice_on=D(2024, 3, 5), items="请写明年份")
        services.send_fee_notice(user=h, application_id=fee.pk, notice_on=D(2024, 3, 5),
                                 method="per_page", quantity=150)
    for day in (D(2024, 3, 25), D(2024, 3, 29), D(2024, 4, 2), D(2024, 5, 6)):
        sweep(day)
    assert reminders_of() == []


def test_a_consultation_unanswered_after_fifteen_working_days_runs_the_clock_again(org):
    # sent on the day of receipt: Mar 5–25 not counted, then due Tue 23 Apr (test_clock)
    application = register(org, handler="handler_2")
    with on(D(2024, 3, 4)):
        services.consult_third_party(user=org["handler_office"], application_id=application.pk,
                                     sent_on=D(2024, 3, 4))
    sweep(D(2024, 3, 20))
    application.refresh_from_db()
    assert (application.clock_stopped_by, application.deadline) == ("consultation", None)
    sweep(D(2024, 4, 2))
    application.refresh_from_db()
    assert (application.clock_stopped_by, application.deadline) == ("", D(2024, 4, 23))
    assert application.status == "consulting_third_party"
    # Tue 16 Apr: Apr 17–19, 22 and 23 left
    sweep(D(2024, 4, 16))
    assert reminders_of(application) == [("handler_2", "due5:2024-04-23")]
    assert sweep(D(2024, 4, 24))["overdue"] == 1


def test_a_deadline_past_the_holiday_table_is_reported_once_and_never_as_due(org):
    Holiday.objects.filter(date__year__gte=2027).delete()
    HolidayYear.objects.filter(year__gte=2027).delete()
    application = register(org, received_on=D(2026, 12, 15), handler="handler_2")
    assert application.deadline_beyond_known
    sweep(D(2026, 12, 16))
    sweep(D(2026, 12, 17))
    assert reminders_of(application) == [
        ("handler_2", f"unknown:{application.deadline.isoformat()}")]
    # its weekend-only date passes: still nobody is told it is due or overdue
    sweep(application.deadline)
    sweep(D(2027, 2, 1))
    assert len(reminders_of(application)) == 1


def test_closed_and_unassigned_applications(org):
    replied = register(org, handler="handler_2")
    with on(D(2024, 3, 20)):
        services.draft_reply(user=org["handler_office"], application_id=replied.pk,
                             outcome="disclosed", basis="第三十六条", text="予以公开")
        services.approve_reply(user=org["leader"], application_id=replied.pk)
    unassigned = register(org)
    sweep(D(2024, 3, 25))
    sweep(D(2024, 4, 2))
    assert reminders_of(replied) == []
    # no handler to remind; the covering leaders still hear it is overdue
    assert reminders_of(unassigned) == [("leader", "overdue:2024-04-01"),
                                        ("leading_handler", "overdue:2024-04-01")]


# --- two sweeps at the same moment, on two connections ------------------------------------

@pytest.mark.postgres
@pytest.mark.usefixtures("committed_db")
def test_two_concurrent_sweeps_write_each_reminder_once():
    org = make_org()
    office = org.sections["office"]
    org.users["handler_office"] = make_user(org.agency, "handler_office",
                                            [Role.APPLICATION_HANDLER], office)
    applications = [register(org, received_on=D(2024, 3, day)) for day in (1, 4, 5, 6, 25)]
    assert applications[0].handler is None
    for application in applications[1:]:
        services.assign(user=org["handler_office"], application_id=application.pk,
                        handler="handler_office")
    for day in (D(2024, 3, 25), D(2024, 3, 29), D(2024, 4, 2)):
        barrier = threading.Barrier(2)
        counts = []

        def run(day=day, barrier=barrier, counts=counts):
            try:
                barrier.wait()
                counts.append(reminders.sweep(on=day))
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(counts) == 2
    keys = list(Notification.objects.filter(kind__in=KINDS).values_list(
        "recipient__username", "application_id", "reminder"))
    assert len(keys) == len(set(keys))
    # due Mar 29 (no handler), Apr 1, 2, 3 and 23. Mar 25: due5 for Apr 1. Mar 29: due5 for
    # Apr 2 and 3, due1 for Apr 1. Apr 2: overdue for Apr 1 (and the leader for Mar 29 and
    # Apr 1), due1 for Apr 2 and 3.
    got = {}
    for username, _application, _key in keys:
        got[username] = got.get(username, 0) + 1
    assert got == {"handler_office": 7, "leader": 2}
