from disclosure.workdays import *  # noqa  TEMP SHIM
from disclosure.workdays import WorkingCalendar  # noqa
