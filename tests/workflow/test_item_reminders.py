"""The Art. 26 reminder sweep over items (workflow.reminders): who hears what, on which
working day, once.

An item formed on Fri 27 Sep 2024, before the National Day week, is due Wed 30 Oct
(tests/workdays/test_deadlines.py: Sun 29 Sep and Sat 12 Oct are 调休 working days, 1–7 Oct
are not). Five working days before: Wed 23 Oct (24, 25, 28, 29 and 30 are left); one: Tue
29 Oct; overdue from Thu 31 Oct, and again five working days later, Thu 7 Nov.
"""

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from testsupport.factories import create_item, make_org, submitted_item, task_for
from workdays.calendar import WorkingCalendar
from workflow import reminders
from workflow import services as review
from workflow.tasks import send_item_reminders

pytestmark = pytest.mark.django_db

D = dt.date
BEIJING = dt.timezone(dt.timedelta(hours=8))
KINDS = ("item_due_soon", "item_overdue")
NATIONAL_DAY_FRIDAY = D(2024, 9, 27)


def at(day: dt.date, hour=9, minute=0):
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)


def sweep(day: dt.date, hour=9):
    """The beat's task, as if it were `day` at `hour` Beijing time."""
    with time_machine.travel(at(day, hour), tick=False):
        return send_item_reminders()


def reminders_of(publication=None, **filters):
    qs = Notification.objects.filter(kind__in=KINDS, **filters)
    if publication is not None:
        qs = qs.filter(publication=publication)
    return sorted((n.recipient.username, n.reminder) for n in qs.select_related("recipient"))


def days(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def sweep_every_day(first, last, publication):
    """Sweep each calendar day at 09:00; {day: the reminders first written that day}."""
    seen, new = set(), {}
    for day in days(first, last):
        sweep(day)
        now = set(reminders_of(publication))
        if now - seen:
            new[day] = sorted(now - seen)
        seen = now
    return new


def formed_for(deadline: dt.date) -> dt.date:
    """A `formed_on` whose Art. 26 deadline is `deadline`."""
    calendar = WorkingCalendar()
    for back in range(20, 60):
        formed = deadline - dt.timedelta(days=back)
        if calendar.add_working_days(formed, 20).date == deadline:
            return formed
    raise AssertionError(f"no date formed {deadline}")


def test_an_item_formed_before_national_day_is_reminded_on_the_right_working_days(org):
    publication = submitted_item(org, formed_on=NATIONAL_DAY_FRIDAY)
    task = task_for(org["head_office"], publication)
    review.claim_task(user=org["head_office"], task_id=task.pk)

    new = sweep_every_day(D(2024, 9, 27), D(2024, 11, 8), publication)

    assert new == {
        D(2024, 10, 23): [("head_office", "due5:2024-10-30")],
        D(2024, 10, 29): [("head_office", "due1:2024-10-30")],
        # overdue: the holder and the leader covering the office (not construction's)
        D(2024, 10, 31): [("head_office", "overdue:2024-10-30+1"),
                          ("leader", "overdue:2024-10-30+1")],
        D(2024, 11, 7): [("head_office", "overdue:2024-10-30+6"),
                         ("leader", "overdue:2024-10-30+6")],
    }
    holder = Notification.objects.get(recipient=org["head_office"], reminder="due1:2024-10-30")
    assert holder.kind == "item_due_soon" and holder.task_id == task.pk
    assert holder.step == "section_head_review" and holder.message == "2024-10-30"
    assert holder.path == f"/app/review/tasks/{task.pk}/"
    assert "今天" in holder.headline
    leader = Notification.objects.get(recipient=org["leader"], reminder="overdue:2024-10-30+1")
    assert leader.kind == "item_overdue" and leader.title == publication.title
    assert leader.agency_id == org.agency.pk


def test_nothing_is_sent_in_the_holiday_week_and_the_reminder_waits_for_the_next_working_day(
        org):
    # due Wed 9 Oct: on Thu 26 Sep five working days are left (27, Sun 29 a 调休 working
    # day, 30, 8 and 9 Oct); from 1 Oct only one is, but the holiday week is no working day
    publication = create_item(org, formed_on=formed_for(D(2024, 10, 9)))
    new = sweep_every_day(D(2024, 9, 25), D(2024, 10, 9), publication)
    assert new == {D(2024, 9, 26): [("drafter_office", "due5:2024-10-09")],
                   D(2024, 10, 8): [("drafter_office", "due1:2024-10-09")]}
    assert not any(D(2024, 10, 1) <= day <= D(2024, 10, 7) for day in new)


def test_a_make_up_working_saturday_counts_as_a_working_day(org):
    # due Mon 14 Oct: on Sat 12 Oct (调休) one working day is left
    publication = create_item(org, formed_on=formed_for(D(2024, 10, 14)))
    new = sweep_every_day(D(2024, 10, 8), D(2024, 10, 14), publication)
    assert new[D(2024, 10, 12)] == [("drafter_office", "due1:2024-10-14")]
    # and the five-day reminder came on Tue 8 Oct (9, 10, 11, 12 and 14 left)
    assert new[D(2024, 10, 8)] == [("drafter_office", "due5:2024-10-14")]


def test_nothing_before_eight_in_the_morning_beijing_time(org):
    publication = create_item(org, formed_on=NATIONAL_DAY_FRIDAY)
    sweep(D(2024, 10, 23), hour=7)
    assert reminders_of(publication) == []
    sweep(D(2024, 10, 23), hour=8)
    assert reminders_of(publication) == [("drafter_office", "due5:2024-10-30")]


def test_an_unclaimed_task_reminds_everyone_who_may_take_it(org):
    publication = submitted_item(org, formed_on=NATIONAL_DAY_FRIDAY)
    sweep(D(2024, 10, 23))
    # the office's heads, the drafting head too (not the drafter of this item)
    assert reminders_of(publication) == [("drafting_head", "due5:2024-10-30"),
                                         ("head_office", "due5:2024-10-30"),
                                         ("head_office_2", "due5:2024-10-30")]
    review.approve_task(user=org["head_office"],
                        task_id=task_for(org["head_office"], publication).pk)
    sweep(D(2024, 10, 29))
    due1 = [row for row in reminders_of(publication) if row[1].startswith("due1")]
    # the confidentiality reviewers now; the head who approved is done with it
    assert due1 == [("secrecy", "due1:2024-10-30"), ("secrecy_2", "due1:2024-10-30")]
    notice = Notification.objects.get(recipient=org["secrecy"], reminder="due1:2024-10-30")
    assert notice.step == "secrecy_review" and notice.task_id is not None


def test_a_task_claimed_inside_the_window_reminds_its_new_holder(org):
    publication = submitted_item(org, formed_on=NATIONAL_DAY_FRIDAY)
    approve = task_for(org["head_office"], publication)
    review.approve_task(user=org["head_office"], task_id=approve.pk)
    sweep(D(2024, 10, 23))  # both confidentiality reviewers may take it
    review.claim_task(user=org["secrecy"], task_id=task_for(org["secrecy"], publication).pk)
    sweep(D(2024, 10, 24))
    assert reminders_of(publication) == [("secrecy", "due5:2024-10-30"),
                                         ("secrecy_2", "due5:2024-10-30")]


def test_a_returned_item_reminds_its_drafter_and_closed_ones_nobody(org):
    returned = submitted_item(org, formed_on=NATIONAL_DAY_FRIDAY)
    review.reject_task(user=org["head_office"],
                       task_id=task_for(org["head_office"], returned).pk, comment="请补充依据")
    withdrawn = create_item(org, formed_on=NATIONAL_DAY_FRIDAY)
    review.withdraw_publication(user=org["drafter_office"], publication_id=withdrawn.pk)
    sweep(D(2024, 10, 31))
    assert reminders_of(returned) == [("drafter_office", "overdue:2024-10-30+1"),
                                      ("leader", "overdue:2024-10-30+1")]
    notice = Notification.objects.get(recipient=org["drafter_office"], publication=returned,
                                      kind="item_overdue")
    assert notice.path == f"/app/items/{returned.pk}/"
    assert reminders_of(withdrawn) == []


def test_a_deadline_past_the_holiday_table_is_not_guessed(org):
    from workdays.models import Holiday, HolidayYear

    Holiday.objects.filter(date__year__gte=2027).delete()
    HolidayYear.objects.filter(year__gte=2027).delete()
    publication = create_item(org, formed_on=D(2026, 12, 15))
    for day in (D(2026, 12, 31), D(2027, 1, 8), D(2027, 2, 1)):
        sweep(day)
    assert reminders_of(publication) == []


def test_sweeping_again_or_a_redelivered_task_writes_and_mails_each_reminder_once(
        org, django_capture_on_commit_callbacks):
    for person in org.users.values():
        person.email = f"{person.username}@example.com"
        person.save(update_fields=["email"])
    publication = submitted_item(org, formed_on=NATIONAL_DAY_FRIDAY)
    review.claim_task(user=org["head_office"],
                      task_id=task_for(org["head_office"], publication).pk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = sweep(D(2024, 10, 31))
    assert first == {"holders": 1, "eligible": 0, "drafters": 0, "leaders": 1}
    assert sorted(m.to[0] for m in mail.outbox) == ["head_office@example.com",
                                                    "leader@example.com"]
    for hour in (9, 10, 17):  # the next hours, and the same task delivered again
        with django_capture_on_commit_callbacks(execute=True):
            assert sweep(D(2024, 10, 31), hour=hour) == {
                "holders": 0, "eligible": 0, "drafters": 0, "leaders": 0}
    assert len(reminders_of(publication)) == 2 and len(mail.outbox) == 2
    assert "超过" in mail.outbox[0].subject


def test_the_sweep_costs_the_same_for_five_and_fifty_items(org):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            reminders.sweep(now=at(D(2024, 10, 31)))
        return len(captured)

    def add(n):
        for i in range(n):
            item = submitted_item(org, formed_on=NATIONAL_DAY_FRIDAY - dt.timedelta(days=i))
            if i % 2:
                review.claim_task(user=org["head_office"],
                                  task_id=task_for(org["head_office"], item).pk)
            create_item(org, formed_on=NATIONAL_DAY_FRIDAY - dt.timedelta(days=i))

    add(3)
    few = queries()
    Notification.objects.all().delete()
    add(25)
    many = queries()
    assert Notification.objects.filter(kind__in=KINDS).count() > 50
    assert many == few


@pytest.mark.postgres
@pytest.mark.usefixtures("committed_db")
def test_two_beats_sweeping_at_once_write_each_reminder_once():
    org = make_org()
    items = [submitted_item(org, formed_on=NATIONAL_DAY_FRIDAY - dt.timedelta(days=i))
             for i in range(4)]
    review.claim_task(user=org["head_office"], task_id=task_for(org["head_office"],
                                                                 items[0]).pk)
    create_item(org, formed_on=NATIONAL_DAY_FRIDAY)
    for day in (D(2024, 10, 23), D(2024, 10, 29), D(2024, 10, 31)):
        barrier = threading.Barrier(2)
        counts = []

        def run(day=day, barrier=barrier, counts=counts):
            try:
                barrier.wait()
                counts.append(reminders.sweep(now=at(day)))
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(counts) == 2
        # one of the two wrote them, the other nothing
        assert min(sum(c.values()) for c in counts) == 0
    keys = list(Notification.objects.filter(kind__in=KINDS).values_list(
        "recipient__username", "publication_id", "reminder"))
    assert keys and len(keys) == len(set(keys))
    assert ("leader", items[0].pk, "overdue:2024-10-30+1") in keys


def test_the_embedded_mode_runs_the_same_sweep_from_a_command(org):
    from io import StringIO

    from django.core.management import call_command

    publication = create_item(org, formed_on=NATIONAL_DAY_FRIDAY)
    out = StringIO()
    with time_machine.travel(at(D(2024, 10, 29)), tick=False):
        call_command("send_item_reminders", stdout=out)
        call_command("send_item_reminders", stdout=out)
    assert reminders_of(publication) == [("drafter_office", "due1:2024-10-30")]
    assert "drafters=1" in out.getvalue() and "drafters=0" in out.getvalue()
