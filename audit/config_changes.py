"""Configuration changes made in the admin, in the trail of the agency they configure.

An agency's rows (its people, sections, channels, word lists, …) go in that agency's
chain. Platform-wide configuration (the holiday calendar every deadline is counted with)
and people of no agency (the platform operators) go in the chain of the **platform**: an
`Agency` row with the reserved code `PLATFORM_CODE`, created on its first event, which has
no people, items or channels and is verified and checkpointed like any other chain.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency

from .models import AuditAction
from .services import Event, record

PLATFORM_CODE = "platform"
PLATFORM_NAME = _("平台（全平台配置）")


def platform_agency() -> Agency:
    agency, _created = Agency.objects.get_or_create(
        code=PLATFORM_CODE, defaults={"name": str(PLATFORM_NAME)})
    return agency


def chain_of(obj) -> int:
    """The id of the agency whose chain records a change of `obj`."""
    if isinstance(obj, Agency):
        return obj.pk
    agency_id = getattr(obj, "agency_id", None)
    return agency_id if agency_id is not None else platform_agency().pk


def record_config_change(*, user, obj, operation: str, changes: dict):
    """One `config_changed` event: which row, added/changed/deleted, what changed from
    what to what (secrets only as changed). Called inside the admin's transaction."""
    data = {"model": obj._meta.label_lower, "object": str(obj), "operation": operation,
            "changes": json.loads(json.dumps(changes, cls=DjangoJSONEncoder))}
    return record(agency_id=chain_of(obj), events=[
        Event(AuditAction.CONFIG_CHANGED, subject=obj, actor=user, data=data)])
