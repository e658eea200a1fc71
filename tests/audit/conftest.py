"""A small chain to verify, sign and tamper with: a reviewed item and a draft."""

import pytest

from audit.models import AuditEvent
from testsupport.factories import approve_through, create_item, submitted_item


@pytest.fixture
def chain(org):
    approve_through(org, submitted_item(org, title="已审"), "head_office", "secrecy")
    create_item(org, title="草稿")
    return list(AuditEvent.objects.filter(agency=org.agency).order_by("seq"))
