"""When the holiday table changes, open deadlines are counted again and handlers are told."""

import pytest

from applications.models import Application
from audit.models import AuditEvent
from notifications.models import Notification
from workdays.models import Holiday, HolidayYear

from .conftest import D, on, register

pytestmark = pytest.mark.django_db


def test_entering_next_years_notice_moves_an_unknown_deadline_and_tells_the_handler(
        committed_db, handlers):
    # real commits: the calendar announces its changes after the commit
    Holiday.objects.filter(date__year__gte=2027).delete()
    HolidayYear.objects.filter(year__gte=2027).delete()
    org = handlers
    application = register(org, received_on=D(2026, 12, 15), handler="handler_office")
    assert application.deadline_beyond_known
    # counted over weekends only: Dec 16–18, 21–25, 28–31, Fri 1 Jan, 4–8, 11, 12 Jan 2027
    assert application.deadline == D(2027, 1, 12)
    # the operator enters 2027's New Year's Day (Fri 1 Jan) and marks 2027 complete: the
    # deadline is now known, one working day later
    with on(D(2026, 12, 16)):
        Holiday.objects.create(date=D(2027, 1, 1), kind="holiday", name="元旦")
        HolidayYear.objects.create(year=2027, complete=True)
    application.refresh_from_db()
    assert not application.deadline_beyond_known
    assert application.deadline == D(2027, 1, 13)
    moved = Notification.objects.get(application_id=application.pk, kind="deadline_moved")
    assert moved.recipient == org["handler_office"]
    assert "2027-01-13" in moved.message
    event = AuditEvent.objects.get(action="deadline_recomputed", subject_id=application.pk)
    assert event.data["after"] == "2027-01-13"


def test_a_change_that_moves_nothing_writes_nothing(committed_db, handlers):
    application = register(handlers, received_on=D(2024, 3, 4))
    Holiday.objects.create(date=D(2024, 8, 1), kind="holiday", name="测试")  # after the deadline
    application.refresh_from_db()
    assert application.deadline == D(2024, 4, 1)
    assert not AuditEvent.objects.filter(action="deadline_recomputed").exists()
    assert Application.objects.count() == 1
