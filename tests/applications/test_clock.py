"""The statutory clock against dates counted by hand on the 2024–2026 holiday notices.

2024 National Day: 1–7 Oct off, Sun 29 Sep and Sat 12 Oct worked. 2024 Qingming: 4–6 Apr off,
Sun 7 Apr worked. 2024 Labour Day: 1–5 May off, Sun 28 Apr and Sat 11 May worked. 2025 Spring
Festival: 28 Jan – 4 Feb off, Sun 26 Jan and Sat 8 Feb worked.
"""

import datetime as dt

import pytest

from applications import services
from applications.models import ApplicationStatus, ClockEventKind
from applications.selectors import application_for, clock_data, shown
from core.errors import Conflict
from workdays.models import Holiday, HolidayYear

from .conftest import D, on, register

pytestmark = pytest.mark.django_db


def clock(org, application, day):
    with on(day):
        a = application_for(org["handler_office"], application.pk)
        return shown([a], user=org["handler_office"], on=day)[0].clock


def test_friday_before_national_day_week(handlers):
    # Fri 27 Sep 2024 (not counted). Counted: Sun 29 Sep (调休) 1, Mon 30 Sep 2, Oct 8–11 3–6,
    # Sat 12 Oct (调休) 7, Oct 14–18 8–12, Oct 21–25 13–17, Oct 28–30 18–20.
    application = register(handlers, received_on=D(2024, 9, 27))
    assert application.deadline == D(2024, 10, 30)
    c = clock(handlers, application, D(2024, 10, 8))
    assert (c.days_used, c.days_left) == (3, 17)
    c = clock(handlers, application, D(2024, 10, 31))
    assert c.overdue(D(2024, 10, 31)) and c.days_left == -1


def test_weekend_receipt_is_deemed_received_next_working_day(handlers):
    # Sat 2 Mar 2024 → deemed Mon 4 Mar; counting from Tue 5 Mar: 20th working day is Fri 29 Mar
    application = register(handlers, received_on=D(2024, 3, 2))
    c = clock(handlers, application, D(2024, 3, 4))
    assert c.start == D(2024, 3, 4) and c.deemed
    assert application.deadline == D(2024, 4, 1)  # Mar 5–8, 11–15, 18–22, 25–29 = 19, Apr 1 = 20
    assert clock_data(c, on=D(2024, 3, 4))["deemed_received_on"] == D(2024, 3, 4)


def test_correction_across_spring_festival_restarts_from_a_worked_saturday(handlers):
    # Received Mon 20 Jan 2025; notice Wed 22 Jan; the 15-day period: Jan 23, 24, Sun 26 (调休),
    # 27, Feb 5, 6, 7, Sat 8 (调休), 10–14, 17, 18 → due Tue 18 Feb.
    org = handlers
    application = register(org, received_on=D(2025, 1, 20))
    with on(D(2025, 1, 22)):
        services.request_correction(user=org["handler_office"], application_id=application.pk,
                                    notice_on=D(2025, 1, 22), items="请写明具体年份")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.AWAITING_CORRECTION
    assert application.deadline is None and application.clock_stopped_by == "correction"
    c = clock(org, application, D(2025, 1, 27))
    assert c.correction_due_on == D(2025, 2, 18) and c.days_used == 2
    # the correction arrives on Sat 8 Feb, a working day: 20 days from then:
    # Feb 10–14, 17–21, 24–28, Mar 3–7 → Fri 7 Mar
    with on(D(2025, 2, 8)):
        services.record_correction(user=org["handler_office"], application_id=application.pk,
                                   received_on=D(2025, 2, 8))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RECEIVED
    assert application.deadline == D(2025, 3, 7)
    assert clock(org, application, D(2025, 2, 10)).days_used == 1


def test_correction_received_on_a_sunday_counts_from_monday(handlers):
    org = handlers
    application = register(org, received_on=D(2025, 1, 20))
    with on(D(2025, 1, 22)):
        services.request_correction(user=org["handler_office"], application_id=application.pk,
                                    notice_on=D(2025, 1, 22), items="请写明具体年份")
    with on(D(2025, 2, 9)):
        services.record_correction(user=org["handler_office"], application_id=application.pk,
                                   received_on=D(2025, 2, 9))
    application.refresh_from_db()
    # deemed Mon 10 Feb; Feb 11–14 (4), 17–21 (9), 24–28 (14), Mar 3–7 (19), Mon 10 Mar (20)
    assert application.deadline == D(2025, 3, 10)


def test_correction_notice_limit_is_seven_working_days(handlers):
    # received Mon 20 Jan 2025: Jan 21, 22, 23, 24, Sun 26 (调休), 27 are 1–6; the festival;
    # Wed 5 Feb is the 7th working day, so Thu 6 Feb is too late.
    org = handlers
    application = register(org, received_on=D(2025, 1, 20))
    with on(D(2025, 2, 6)), pytest.raises(Conflict, match="7 个工作日"):
        services.request_correction(user=org["handler_office"], application_id=application.pk,
                                    notice_on=D(2025, 2, 6), items="请写明具体年份")
    with on(D(2025, 2, 6)):
        services.request_correction(user=org["handler_office"], application_id=application.pk,
                                    notice_on=D(2025, 2, 5), items="请写明具体年份")
    with on(D(2025, 2, 7)):
        services.record_correction(user=org["handler_office"], application_id=application.pk,
                                   received_on=D(2025, 2, 7))
    with on(D(2025, 2, 7)), pytest.raises(Conflict, match="只能发出一次"):
        services.request_correction(user=org["handler_office"], application_id=application.pk,
                                    notice_on=D(2025, 2, 7), items="再次补正")


def test_extension_consultation_and_fee_in_one_case(handlers):
    # Received Mon 4 Mar 2024. Counted Mar 5–8, 11 (1–5); consultation sent Mon 11 Mar, reply
    # Wed 20 Mar: Mar 12–20 not counted. Mar 21, 22 (6, 7); fee notice Fri 22 Mar, paid Tue
    # 2 Apr: Mar 25–Apr 2 not counted. Extended on Wed 3 Apr (before the deadline, then Mon 22
    # Apr): 40 days. Apr 3 (8), Qingming 4–6 off, Sun 7 Apr 调休 (9), Apr 8–12 (10–14),
    # 15–19 (15–19), 22–26 (20–24), Sun 28 Apr 调休 (25), 29, 30 (26, 27), 1–5 May off,
    # May 6–10 (28–32), Sat 11 May 调休 (33), 13–17 (34–38), 20, 21 (39, 40) → Tue 21 May.
    org = handlers
    h = org["handler_office"]
    application = register(org, received_on=D(2024, 3, 4))
    assert application.deadline == D(2024, 4, 1)
    with on(D(2024, 3, 11)):
        services.consult_third_party(user=h, application_id=application.pk,
                                     sent_on=D(2024, 3, 11), third_party="某房地产开发公司")
    with on(D(2024, 3, 20)):
        services.record_third_party_reply(user=h, application_id=application.pk,
                                          replied_on=D(2024, 3, 20))
    application.refresh_from_db()
    # 15 more: Mar 21, 22, 25–29, Apr 1–3 (15), Sun 7 Apr 调休 (16), Apr 8–11 (17–20)
    assert application.deadline == D(2024, 4, 11)
    with on(D(2024, 3, 22)):
        services.send_fee_notice(user=h, application_id=application.pk, notice_on=D(2024, 3, 22),
                                 method="per_page", quantity=120)
    application.refresh_from_db()
    assert (application.status, application.deadline) == (ApplicationStatus.AWAITING_FEE, None)
    with on(D(2024, 4, 2)):
        services.record_fee_paid(user=h, application_id=application.pk, paid_on=D(2024, 4, 2))
    application.refresh_from_db()
    assert application.deadline == D(2024, 4, 22)
    with on(D(2024, 4, 3)):
        services.extend(user=org["leader"], application_id=application.pk,
                        reason="需要调取档案室存档材料", notice_on=D(2024, 4, 3))
    application.refresh_from_db()
    assert application.deadline == D(2024, 5, 21) and application.extended
    c = clock(org, application, D(2024, 4, 8))
    assert (c.days_used, c.days_left, c.allowance) == (10, 30, 40)
    kinds = [e.event for e in c.history]
    assert kinds == [ClockEventKind.RECEIVED, ClockEventKind.CONSULTATION_SENT,
                     ClockEventKind.CONSULTATION_REPLIED, ClockEventKind.FEE_NOTICE,
                     ClockEventKind.FEE_PAID, ClockEventKind.EXTENDED]
    assert [e.days_used for e in c.history] == [0, 5, 5, 7, 7, 8]
    with on(D(2024, 4, 8)), pytest.raises(Conflict, match="只能延长一次"):
        services.extend(user=org["leader"], application_id=application.pk, reason="再延",
                        notice_on=D(2024, 4, 8))


def test_consultation_without_reply_stops_the_clock_fifteen_working_days_at_most(handlers):
    # sent Mon 4 Mar 2024 (received that day, so nothing used yet): Mar 5–25 are 15 working
    # days not counted; from Tue 26 Mar the clock runs again by itself: Mar 26–29 (4),
    # Apr 1–3 (7), Sun 7 (8), 8–12 (13), 15–19 (18), 22, 23 (20) → Tue 23 Apr.
    org = handlers
    application = register(org, received_on=D(2024, 3, 4))
    with on(D(2024, 3, 4)):
        services.consult_third_party(user=org["handler_office"], application_id=application.pk,
                                     sent_on=D(2024, 3, 4))
    c = clock(org, application, D(2024, 3, 20))
    assert c.stopped_by == "consultation" and c.deadline is None
    assert c.consultation_ends_on == D(2024, 3, 25)
    c = clock(org, application, D(2024, 3, 27))
    assert c.stopped_by == "" and c.deadline == D(2024, 4, 23) and c.days_used == 2


def test_deadline_past_the_holiday_table_is_unknown_and_flagged(handlers):
    Holiday.objects.filter(date__year__gte=2027).delete()
    HolidayYear.objects.filter(year__gte=2027).delete()
    application = register(handlers, received_on=D(2026, 12, 15))
    assert application.deadline_beyond_known
    c = clock(handlers, application, D(2026, 12, 16))
    data = clock_data(c, on=D(2026, 12, 16))
    assert data["deadline"] is None and data["deadline_unknown"] is True
    assert data["first_unknown_day"] == dt.date(2027, 1, 1)
    assert data["days_left"] is None and data["days_used"] == 1
