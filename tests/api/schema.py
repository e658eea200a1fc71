"""The served OpenAPI schema as schemathesis sees it, calling the WSGI application in-process,
and the checks the API tests hold its answers to."""

import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

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
