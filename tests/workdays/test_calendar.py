"""Working days for legal deadlines: 调休, long holidays, and years without known data."""

import datetime as dt
import io

import chinese_calendar
import pytest
from django.core.management import call_command

from agencies.models import Role
from testsupport.factories import make_user
from workdays.calendar import (
    LATE,
    ON_TIME,
    UNKNOWN,
    WorkdayResult,
    WorkingCalendar,
    add_working_days,
    art26_deadline,
    is_working_day,
)
from workdays.models import Holiday, HolidaySource, HolidayYear

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("known_data_ends_with_2026")]

D = dt.date



def test_the_seeded_calendar_covers_2004_to_2026_and_nothing_after():
    complete = set(HolidayYear.objects.filter(complete=True).values_list("year", flat=True))
    assert complete == set(range(2004, 2027))
    assert Holiday.objects.get(date=D(2024, 10, 1)).name == "国庆节"


def test_spring_festival_2024_with_its_make_up_sundays():
    assert is_working_day(D(2024, 2, 4))  # Sunday, 调休 make-up working day
    assert is_working_day(D(2024, 2, 9))  # Friday before the holiday: still a working day
    for day in range(10, 18):
        assert not is_working_day(D(2024, 2, day)), day
    assert is_working_day(D(2024, 2, 18))  # Sunday, make-up working day
    assert not is_working_day(D(2024, 2, 24))  # an ordinary Saturday

    assert add_working_days(D(2024, 2, 9), 1) == WorkdayResult(D(2024, 2, 18), False)
    assert add_working_days(D(2024, 2, 9), 2).date == D(2024, 2, 19)
    assert add_working_days(D(2024, 2, 3), 1).date == D(2024, 2, 4)


def test_starting_on_a_holiday_counts_from_the_next_working_day():
    # find_workday(1, holiday) in chinesecalendar would be one day off here
    assert add_working_days(D(2024, 2, 12), 1).date == D(2024, 2, 18)
    assert add_working_days(D(2024, 2, 12), 0).date == D(2024, 2, 12)


def test_twenty_working_days_across_the_2024_spring_festival():
    # 26 Jan = 1, 29 Jan–2 Feb = 2–6, Sun 4 Feb = 7, 5–9 Feb = 8–12, (10–17 off),
    # Sun 18 Feb = 13, 19–23 Feb = 14–18, 26 Feb = 19, 27 Feb = 20
    result = art26_deadline(D(2024, 1, 25))
    assert result == WorkdayResult(D(2024, 2, 27), False, None)


def test_national_day_2024_and_its_make_up_days():
    assert is_working_day(D(2024, 9, 29))  # Sunday, worked
    assert is_working_day(D(2024, 10, 12))  # Saturday, worked
    assert not any(is_working_day(D(2024, 10, d)) for d in range(1, 8))
    assert add_working_days(D(2024, 9, 27), 1).date == D(2024, 9, 29)
    assert add_working_days(D(2024, 9, 30), 1).date == D(2024, 10, 8)
    assert add_working_days(D(2024, 10, 11), 1).date == D(2024, 10, 12)
    # 中秋 2024: Sat 14 Sep worked, 15–17 Sep off
    assert add_working_days(D(2024, 9, 13), 2).date == D(2024, 9, 18)


def test_every_day_2004_to_2026_agrees_with_the_chinesecalendar_package():
    calendar = WorkingCalendar()
    calendar.load(2004, 2026)
    day = D(2004, 1, 1)
    while day <= D(2026, 12, 31):
        assert calendar.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


def test_a_deadline_running_into_2027_is_flagged_not_guessed():
    inside = art26_deadline(D(2026, 12, 1))
    assert inside == WorkdayResult(D(2026, 12, 29), False, None)
    result = art26_deadline(D(2026, 12, 20))
    assert result.beyond_known_data
    assert result.first_unknown_day == D(2027, 1, 1)
    # weekends only after 2026: 1 Jan 2027 (a Friday) is counted, so the date is a guess
    assert result.date == D(2027, 1, 15)


def test_entries_of_a_year_not_marked_complete_are_not_used():
    Holiday.objects.create(date=D(2027, 1, 1), kind="holiday", name="元旦")
    result = art26_deadline(D(2026, 12, 20))
    assert result.beyond_known_data and result.date == D(2027, 1, 15)


def test_an_administrator_adds_2027_and_the_deadline_becomes_known(client, org):
    admin = make_user(org.agency, "root", [Role.AGENCY_ADMIN], is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post("/admin/workdays/holiday/add/",
                           {"date": "2027-01-01", "kind": "holiday", "name": "元旦"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Holiday.objects.get(date=D(2027, 1, 1)).source == HolidaySource.ADMIN
    assert art26_deadline(D(2026, 12, 20)).beyond_known_data  # not complete yet
    response = client.post("/admin/workdays/holidayyear/add/",
                           {"year": "2027", "complete": "on", "note": "2027 年节假日安排通知"})
    assert response.status_code == 302
    result = art26_deadline(D(2026, 12, 20))
    assert result == WorkdayResult(D(2027, 1, 18), False, None)


def test_the_holiday_admin_pages_render_in_chinese(client, org):
    admin = make_user(org.agency, "root", [Role.AGENCY_ADMIN], is_staff=True, is_superuser=True)
    client.force_login(admin)
    for page in ("workdays/holiday", "workdays/holidayyear"):
        response = client.get(f"/admin/{page}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200
        html = response.content.decode()
        assert "节假日" in html


def test_seeding_again_changes_nothing_and_keeps_what_an_administrator_corrected():
    corrected = Holiday.objects.get(date=D(2024, 2, 10))
    corrected.name, corrected.source = "春节（已核对）", HolidaySource.ADMIN
    corrected.save()
    HolidayYear.objects.filter(year=2026).update(complete=False)
    before = Holiday.objects.count()
    call_command("seed_holidays", stdout=io.StringIO())
    assert Holiday.objects.count() == before
    assert Holiday.objects.get(date=D(2024, 2, 10)).name == "春节（已核对）"
    assert not HolidayYear.objects.get(year=2026).complete
    Holiday.objects.filter(date=D(2024, 10, 1)).delete()
    call_command("seed_holidays", stdout=io.StringIO())
    assert Holiday.objects.get(date=D(2024, 10, 1)).source == "chinesecalendar"


@pytest.mark.parametrize(("formed", "published", "expected"), [
    (D(2024, 1, 25), D(2024, 2, 27), ON_TIME),  # the 20th working day itself
    (D(2024, 1, 25), D(2024, 2, 28), LATE),
    (D(2024, 1, 25), D(2024, 1, 25), ON_TIME),
    (D(2026, 12, 1), D(2026, 12, 29), ON_TIME),
    (D(2026, 12, 1), D(2026, 12, 30), LATE),
    (D(2026, 12, 20), D(2026, 12, 31), ON_TIME),  # before the unknown year: certainly in time
    (D(2026, 12, 20), D(2027, 1, 5), UNKNOWN),
    (D(2026, 12, 20), D(2027, 3, 1), UNKNOWN),
])
def test_timeliness_against_the_art26_deadline(formed, published, expected):
    assert WorkingCalendar().timeliness(formed, published) == expected


def test_one_calendar_loads_each_year_once(django_assert_num_queries):
    calendar = WorkingCalendar()
    with django_assert_num_queries(2):
        for month in range(1, 12):
            calendar.add_working_days(D(2024, month, 3), 20)
    with django_assert_num_queries(0):
        calendar.add_working_days(D(2024, 6, 1), 20)


def test_a_negative_count_is_refused():
    with pytest.raises(ValueError):
        add_working_days(D(2024, 1, 1), -1)
