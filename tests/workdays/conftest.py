import pytest

from workdays.models import Holiday, HolidayYear


@pytest.fixture
def known_data_ends_with_2026(db):
    """The calendar as chinesecalendar 1.11 knows it; a later package version may already
    know 2027, which these tests need to be missing."""
    Holiday.objects.filter(date__year__gte=2027).delete()
    HolidayYear.objects.filter(year__gte=2027).delete()
