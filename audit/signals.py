"""Signals of the audit trail.

`events_recorded` is sent by `audit.services.record` right after it appended events, still
inside the transaction of the change they describe. Receivers that write (notifications)
therefore commit or roll back together with the change. Arguments: `agency_id` and
`events`, the saved `AuditEvent` rows, each with its `publication` and `actor` objects
already attached (no query to read them).
"""

from django.dispatch import Signal

events_recorded = Signal()
