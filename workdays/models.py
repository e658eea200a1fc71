from disclosure.models import Holiday, HolidayYear, HolidayKind  # noqa TEMP SHIM
