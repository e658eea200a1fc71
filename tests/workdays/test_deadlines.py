"""The Art. 26 deadline as the lists show it: date, working days left, amber, red, 待定."""

import datetime as dt

import pytest

from workdays.calendar import WorkingCalendar
from workdays.deadlines import OK, OVERDUE, PENDING, SOON, art26_due, art26_due_many

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("known_data_ends_with_2026")]
D = dt.date



def due(formed, today):
    return art26_due(formed, today=today, calendar=WorkingCalendar())


def test_formed_the_friday_before_national_day_2024_the_holiday_week_does_not_count():
    # Sun 29 Sep (调休) = 1, 30 Sep = 2, 1–7 Oct off, 8–11 Oct = 3–6, Sat 12 Oct (调休) = 7,
    # 14–18 Oct = 8–12, 21–25 Oct = 13–17, 28–30 Oct = 18–20
    result = due(D(2024, 9, 27), D(2024, 9, 27))
    assert result.date == D(2024, 10, 30)
    assert (result.state, result.days_left) == (OK, 20)


def test_five_working_days_left_is_amber_and_the_holiday_days_are_not_counted_as_left():
    result = due(D(2024, 9, 27), D(2024, 10, 23))
    assert (result.state, result.days_left) == (SOON, 5)
    assert due(D(2024, 9, 27), D(2024, 10, 22)).state == OK


def test_the_deadline_day_itself_is_still_in_time_and_the_next_working_day_is_overdue():
    assert (due(D(2024, 9, 27), D(2024, 10, 30)).state,
            due(D(2024, 9, 27), D(2024, 10, 30)).days_left) == (SOON, 0)
    late = due(D(2024, 9, 27), D(2024, 10, 31))
    assert (late.state, late.days_left, late.days_late) == (OVERDUE, -1, 1)


def test_a_deadline_in_a_year_without_holiday_data_is_pending_never_guessed():
    result = due(D(2026, 12, 20), D(2026, 12, 21))
    assert (result.state, result.date, result.missing_year) == (PENDING, None, 2027)


def test_a_list_loads_the_calendar_once(django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        dues = art26_due_many([D(2024, 9, 27), D(2024, 3, 1), D(2024, 9, 27)],
                              today=D(2024, 10, 18))
    assert set(dues) == {D(2024, 9, 27), D(2024, 3, 1)}
    assert dues[D(2024, 3, 1)].state == OVERDUE
