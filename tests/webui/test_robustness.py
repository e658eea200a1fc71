"""No page of the web UI answers 500, whatever a person (or a stale bookmark) sends it.

Every route of the /app/ frame is requested by people of every role with nonsense in the
path, the query string and the form: the answer is a page (200, 302, 400, 403, 404, 405 or
422), never a server error.
"""

import pytest
from django.urls import URLPattern, URLResolver

from testsupport.factories import approve_through, submitted_item, task_for
from webui.site import site

JUNK_QUERY = {"page": "-1'", "section": "<x>", "step": "9", "waited": "abc", "actor": "x",
              "action": "nope", "date_from": "2024-13-45", "date_to": "yesterday"}
JUNK_FORM = {"comment": "x" * 5000, "basis": "not_a_basis", "justification": "",
             "title": "", "formed_on": "tomorrow", "channels": ["nope"], "category": "?",
             "section": "elsewhere", "article20_item": "99", "language": "xx"}


def routes(patterns, prefix="/app/"):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def fill(route: str, value: str) -> str:
    import re

    return re.sub(r"<(?:int:)?\w+>", value, route)


@pytest.mark.parametrize("username", ["drafter_office", "head_office", "secrecy", "leader",
                                      "auditor", "publisher"])
def test_no_route_answers_500_to_anyone(client, org, username):
    publication = submitted_item(org)
    approve_through(org, submitted_item(org), "head_office", "secrecy", "leader")
    task = task_for(org["head_office"], publication)
    paths = sorted(set(routes(site.urls[0])))
    assert len(paths) > 20
    for route in paths:
        for value in (str(publication.pk), str(task.pk), "0", "99999999"):
            path = fill(route, value)
            client.force_login(org[username])  # the logout route signs people out
            for response in (client.get(path, JUNK_QUERY), client.post(path, JUNK_FORM)):
                assert response.status_code < 500, (path, response.status_code)
