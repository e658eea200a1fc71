"""The served OpenAPI schema against the API itself, with schemathesis: generated requests for
every operation, as each role, must get no server error and answers the schema describes
(status codes, content types, bodies). Bounded examples and derandomized, so CI is repeatable.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

from accounts.services import issue_token
from testsupport.factories import approve_through, make_org, submitted_item

# generated requests only (the coverage phase's exhaustive edge cases would take minutes)
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(request=None, public=True), config=CONFIG)
schema.app = get_wsgi_application()

# What the API answers, checked against the schema. Not checked: that schema-violating input
# is refused (DRF ignores unknown query parameters, as most APIs do) and that valid-looking
# input succeeds (generated ids name nothing, so 404 is right).
CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_schema_conformance,
          checks.response_headers_conformance]
ROLES = ["drafter_office", "head_office", "secrecy", "leader", "publisher", "auditor", "admin"]


@pytest.fixture
def in_test_transaction():
    """Requests go through the WSGI handler, whose request signals close the database
    connection (and with it the test's transaction); the test client disconnects them too."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db, in_test_transaction):
    org = make_org()
    draft = submitted_item(org)
    approve_through(org, draft, "head_office")
    return {role: issue_token(user=org[role])[0] for role in ROLES}


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(max_examples=6, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_what_the_schema_says(case, role, tokens):
    case.call_and_validate(headers={"Authorization": f"Token {tokens[role]}"}, checks=CHECKS)
