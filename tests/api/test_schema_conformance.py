"""The served OpenAPI schema against the API itself, with schemathesis: generated requests for
every operation, as each role, must get no server error and answers the schema describes
(status codes, content types, bodies). Bounded examples and derandomized, so CI is repeatable.
"""

import pytest
from hypothesis import HealthCheck, settings

from accounts.services import issue_token
from testsupport.factories import approve_through, make_org, submitted_item

from .schema import CHECKS, schema

ROLES = ["drafter_office", "head_office", "secrecy", "leader", "publisher", "auditor", "admin"]


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
