"""What applications do when something below them changes.

The holiday calendar (workdays) changed: every open application's deadline is counted again
in a worker, and each handler whose deadline moved is told (services.recompute_open_deadlines).
"""

import logging

from django.dispatch import receiver

from workdays.signals import calendar_changed

log = logging.getLogger(__name__)


@receiver(calendar_changed, dispatch_uid="applications.recompute_on_calendar_change")
def recompute_on_calendar_change(sender, years, **kwargs):
    from .tasks import recompute_deadlines

    try:
        recompute_deadlines.delay(sorted(years))
    except Exception:  # the broker is down: the nightly recomputation catches up
        log.exception("could not queue the recomputation of deadlines after %s", sorted(years))
