"""The deadline reminder sweep run by a real Celery worker, as beat sends it: two sweeps
queued back to back (two beat processes, or one that fired twice) write each reminder once.
The worker runs on today's date, so the application is one that is overdue on any date."""

import datetime as dt
import time

import pytest
from django.db import connection

from agencies.models import Role
from applications import services
from applications.tasks import send_deadline_reminders
from notifications.models import Notification
from testsupport.factories import make_org, make_user
from testsupport.workers import Worker

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("committed_db")]


def register(org, received_on):
    return services.register_application(user=org["handler_office"], data={
        "received_on": received_on, "received_via": "post", "applicant_type": "natural_person",
        "applicant_name": "张三", "contact_phone": "13812341234", "content": "保障性住房分配名单",
        "section": "office", "handler": "handler_office"})


def overdue_notices(application):
    return sorted(Notification.objects.filter(application_id=application.pk,
                                              kind="application_overdue")
                  .values_list("recipient__username", "reminder"))


def wait_for(condition, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.2)
        connection.close()
    pytest.fail("the worker did not write the reminders")


def test_two_sweeps_through_a_worker_write_each_reminder_once(broker):
    org = make_org()
    org.users["handler_office"] = make_user(org.agency, "handler_office",
                                            [Role.APPLICATION_HANDLER], org.sections["office"])
    late = register(org, dt.date(2024, 3, 4))  # due 1 Apr 2024
    send_deadline_reminders.delay()
    send_deadline_reminders.delay()
    assert overdue_notices(late) == []  # queued, not run in this process
    worker = Worker(broker.conf.broker_url, "reminders1", concurrency=1)
    try:
        expected = [("handler_office", "overdue:2024-04-01"), ("leader", "overdue:2024-04-01")]
        wait_for(lambda: overdue_notices(late) == expected)
        # one worker process runs the queue in order: once a third sweep's reminder is there,
        # the second sweep has run too
        canary = register(org, dt.date(2024, 3, 5))
        send_deadline_reminders.delay()
        wait_for(lambda: len(overdue_notices(canary)) == 2)
    finally:
        worker.stop()
    assert overdue_notices(late) == expected
    assert overdue_notices(canary) == [("handler_office", "overdue:2024-04-02"),
                                       ("leader", "overdue:2024-04-02")]
