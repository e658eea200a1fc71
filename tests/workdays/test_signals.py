"""`calendar_changed`: every committed change of the holiday calendar is announced once,
with the years it touched, so deadlines counted elsewhere can be counted again."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import transaction

from testsupport.factories import make_user
from workdays.models import Holiday, HolidayYear
from workdays.signals import calendar_changed

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def sent():
    """The `years` of every `calendar_changed` sent while the test runs."""
    calls = []

    def listener(sender, years, **kwargs):
        calls.append(set(years))

    calendar_changed.connect(listener)
    yield calls
    calendar_changed.disconnect(listener)


@pytest.fixture
def operator(db):
    return make_user(None, "operator", [], is_staff=True, is_superuser=True)


def test_an_administrator_adding_a_holiday_announces_its_year_once_after_the_commit(
        client, operator, sent, django_capture_on_commit_callbacks):
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/workdays/holiday/add/",
                               {"date": "2027-01-01", "kind": "holiday", "name": "元旦"})
        assert response.status_code == 302
        assert sent == []  # not before the admin's transaction is committed
    assert sent == [{2027}]


def test_moving_a_day_to_another_year_in_the_admin_names_both_years(
        client, operator, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # sent apart, as in production
        day = Holiday.objects.create(date=D(2026, 12, 31), kind="holiday", name="误录")
    sent.clear()
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/workdays/holiday/{day.pk}/change/",
                               {"date": "2027-01-01", "kind": "holiday", "name": "元旦"})
    assert response.status_code == 302
    assert sent == [{2026, 2027}]


def test_a_bulk_delete_in_the_admin_announces_the_years_once(
        client, operator, sent, django_capture_on_commit_callbacks):
    days = [Holiday.objects.get(date=D(2024, 10, 1)), Holiday.objects.get(date=D(2025, 10, 1))]
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/workdays/holiday/", {
            "action": "delete_selected", "_selected_action": [d.pk for d in days],
            "post": "yes"})
    assert response.status_code == 302
    assert not Holiday.objects.filter(pk__in=[d.pk for d in days]).exists()
    assert sent == [{2024, 2025}]


def test_deleting_a_holiday_year_announces_it(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        HolidayYear.objects.get(year=2026).delete()
    assert sent == [{2026}]


def test_updates_bypassing_save_are_announced_too(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        HolidayYear.objects.filter(year=2026).update(complete=False)
    with django_capture_on_commit_callbacks(execute=True):
        Holiday.objects.filter(date=D(2026, 1, 1)).update(date=D(2027, 1, 1))
    assert sent == [{2026}, {2026, 2027}]


def test_seeding_announces_the_years_it_filled_and_nothing_when_nothing_changed(
        sent, django_capture_on_commit_callbacks):
    Holiday.objects.filter(date__year=2024).delete()
    HolidayYear.objects.filter(year=2025).delete()
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_holidays", stdout=io.StringIO())
    assert sent == [{2024, 2025}]
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_holidays", stdout=io.StringIO())
    assert sent == [{2024, 2025}]


@pytest.mark.usefixtures("committed_db")
def test_two_rows_in_one_transaction_are_announced_once_with_both_years(sent):
    with transaction.atomic():
        Holiday.objects.create(date=D(2027, 1, 1), kind="holiday", name="元旦")
        HolidayYear.objects.create(year=2028)
        assert sent == []
    assert sent == [{2027, 2028}]


@pytest.mark.usefixtures("committed_db")
def test_a_transaction_rolled_back_announces_nothing(sent):
    with pytest.raises(RuntimeError), transaction.atomic():
        Holiday.objects.create(date=D(2027, 1, 1), kind="holiday", name="元旦")
        HolidayYear.objects.create(year=2027, complete=True)
        raise RuntimeError("the request failed after the calendar was written")
    assert sent == []
    assert not HolidayYear.objects.filter(year=2027).exists()


@pytest.mark.usefixtures("committed_db")
def test_a_change_undone_by_a_savepoint_is_not_announced_when_the_rest_commits(sent):
    with transaction.atomic():
        make_user(None, "someone", [])
        with pytest.raises(RuntimeError), transaction.atomic():
            HolidayYear.objects.create(year=2027, complete=True)
            raise RuntimeError
    assert sent == []


@pytest.mark.usefixtures("committed_db")
def test_a_change_in_a_savepoint_that_commits_is_announced_with_the_outer_ones(sent):
    with transaction.atomic():
        with transaction.atomic():
            HolidayYear.objects.create(year=2028)
        Holiday.objects.create(date=D(2027, 1, 1), kind="holiday", name="元旦")
    assert sent == [{2027, 2028}]


def test_a_failing_listener_neither_undoes_the_change_nor_silences_the_others(
        client, operator, sent, django_capture_on_commit_callbacks):
    def broken(sender, **kwargs):
        raise RuntimeError("listener bug")

    calendar_changed.connect(broken)
    try:
        client.force_login(operator)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/admin/workdays/holidayyear/add/",
                                   {"year": "2027", "complete": "on", "note": "通知"})
    finally:
        calendar_changed.disconnect(broken)
    assert response.status_code == 302
    assert HolidayYear.objects.get(year=2027).complete
    assert sent == [{2027}]
