"""Quiet hours (免打扰, notifications.quiet): ordinary e-mails wait for the end of the
agency's quiet period (20:00–08:00, weekends, holidays); urgent kinds go out at once."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from agencies.models import Agency, User
from notifications.models import Notification
from notifications.tasks import send_held_emails
from testsupport.factories import submitted_item, task_for
from workflow import services as review

pytestmark = pytest.mark.django_db

D = dt.date
BEIJING = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def _quiet_hours_on(settings):
    settings.NOTIFICATION_QUIET_HOURS = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def addressed(org):
    for person in org.users.values():
        User.objects.filter(pk=person.pk).update(email=f"{person.username}@example.gov.cn")
    return org


def at(day, hour, minute=0):
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)


def submit_at(org, when, capture):
    with time_machine.travel(when, tick=False), capture(execute=True):
        return submitted_item(org, formed_on=D(2024, 9, 20))


def mailed_to():
    return sorted(address for message in mail.outbox for address in message.to)


def sweep_held(when, capture):
    with time_machine.travel(when, tick=False), capture(execute=True):
        return send_held_emails()


HEADS = ["drafting_head@example.gov.cn", "head_office@example.gov.cn",
         "head_office_2@example.gov.cn"]


def test_by_day_on_a_working_day_e_mail_goes_out_at_once(
        addressed, django_capture_on_commit_callbacks):
    submit_at(addressed, at(D(2024, 10, 23), 10), django_capture_on_commit_callbacks)
    assert mailed_to() == HEADS


def test_in_the_evening_it_waits_for_eight_the_next_morning(
        addressed, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    submit_at(addressed, at(D(2024, 10, 23), 21, 30), capture)
    assert mail.outbox == []
    held = Notification.objects.filter(kind="task_queued")
    assert {n.email_held_until for n in held} == {at(D(2024, 10, 24), 8)}
    # the bell has it at once
    assert held.count() == 3 and all(n.read_at is None for n in held)
    assert sweep_held(at(D(2024, 10, 24), 7, 55), capture) == 0
    assert mail.outbox == []
    assert sweep_held(at(D(2024, 10, 24), 8, 0), capture) == 3
    assert mailed_to() == HEADS
    assert sweep_held(at(D(2024, 10, 24), 8, 5), capture) == 0
    assert len(mail.outbox) == 3


def test_before_the_national_day_holiday_it_waits_for_the_first_working_day_after(
        addressed, django_capture_on_commit_callbacks):
    # Mon 30 Sep 2024 in the evening: 1–7 Oct are holidays, Tue 8 Oct the next working day
    submit_at(addressed, at(D(2024, 9, 30), 20, 0), django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert set(Notification.objects.values_list("email_held_until", flat=True)) == {
        at(D(2024, 10, 8), 8)}


def test_on_a_weekend_all_day_is_quiet_but_a_make_up_saturday_is_not(
        addressed, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    submit_at(addressed, at(D(2024, 10, 26), 11), capture)  # an ordinary Saturday
    assert mail.outbox == []
    assert set(Notification.objects.values_list("email_held_until", flat=True)) == {
        at(D(2024, 10, 28), 8)}
    submit_at(addressed, at(D(2024, 10, 12), 11), capture)  # a 调休 Saturday
    assert mailed_to() == HEADS


def test_an_urgent_kind_goes_out_at_night(addressed, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    publication = submit_at(addressed, at(D(2024, 10, 23), 10), capture)
    task = task_for(addressed["head_office"], publication)
    review.claim_task(user=addressed["head_office"], task_id=task.pk)
    mail.outbox.clear()
    with time_machine.travel(at(D(2024, 10, 23), 22), tick=False), capture(execute=True):
        review.urge_task(user=addressed["leader"], task_id=task.pk, message="请今天办结")
    assert mailed_to() == ["head_office@example.gov.cn"]
    assert "催办" in mail.outbox[0].subject


def test_the_agency_sets_its_own_quiet_period_and_urgent_kinds(
        addressed, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    Agency.objects.filter(pk=addressed.agency.pk).update(
        quiet_from=dt.time(22, 0), quiet_until=dt.time(7, 0), urgent_kinds=["task_queued"])
    submit_at(addressed, at(D(2024, 10, 26), 23), capture)  # Saturday night, but urgent
    assert mailed_to() == HEADS
    Agency.objects.filter(pk=addressed.agency.pk).update(urgent_kinds=[])
    mail.outbox.clear()
    submit_at(addressed, at(D(2024, 10, 23), 21), capture)  # before its 22:00
    assert mailed_to() == HEADS
    mail.outbox.clear()
    submit_at(addressed, at(D(2024, 10, 23), 23), capture)
    assert mail.outbox == []
    assert sweep_held(at(D(2024, 10, 24), 7), capture) == 3
