"""The reviewer's queue: filters, paging and who appears in it."""

import pytest

from agencies.models import Role
from testsupport.factories import api, approve_through, make_user, submitted_item, task_for
from workflow import services as review

pytestmark = pytest.mark.django_db


def queue(user, query=""):
    response = api(user).get(f"/api/v1/tasks/{query}")
    assert response.status_code == 200, response.json()
    return response.json()


def test_queue_pages_oldest_first_with_working_links(org):
    items = [submitted_item(org) for _ in range(7)]
    first = queue(org["head_office"], "?page_size=3")
    assert first["count"] == 7 and first["previous"] is None
    assert [t["publication"] for t in first["results"]] == [p.pk for p in items[:3]]
    second = api(org["head_office"]).get(first["next"]).json()
    assert [t["publication"] for t in second["results"]] == [p.pk for p in items[3:6]]
    assert second["previous"].endswith("page_size=3")
    third = api(org["head_office"]).get(second["next"]).json()
    assert [t["publication"] for t in third["results"]] == [items[6].pk]
    assert third["next"] is None and third["count"] == 7


@pytest.mark.parametrize("page", ["0", "-1", "abc", "9"])
def test_a_page_that_does_not_exist_is_404(org, page):
    submitted_item(org)
    assert api(org["head_office"]).get(f"/api/v1/tasks/?page={page}").status_code == 404


def test_empty_queue_is_an_empty_first_page(org):
    assert queue(org["secrecy"]) == {"count": 0, "next": None, "previous": None, "results": []}


def test_queue_filters_by_step_and_section(org):
    multi = make_user(org.agency, "multi", [Role.SECRECY_REVIEWER, Role.LEADER],
                      covered=[org.sections["office"], org.sections["construction"]])
    at_secrecy = submitted_item(org)
    approve_through(org, at_secrecy, "head_office")
    at_leader = submitted_item(org, "drafter_construction")
    approve_through(org, at_leader, "head_construction", "secrecy")

    everything = queue(multi)["results"]
    assert {(t["publication"], t["step"]) for t in everything} == {
        (at_secrecy.pk, "secrecy_review"), (at_leader.pk, "leadership_review")}
    assert [t["publication"] for t in queue(multi, "?step=leadership_review")["results"]] == [
        at_leader.pk]
    assert [t["publication"] for t in queue(multi, "?section=office")["results"]] == [
        at_secrecy.pk]
    assert queue(multi, "?section=construction&step=secrecy_review")["count"] == 0


def test_person_with_two_roles_does_not_see_the_next_step_of_an_item_they_approved(org):
    both = make_user(org.agency, "head_and_secrecy", [Role.SECTION_HEAD, Role.SECRECY_REVIEWER],
                     headed=[org.sections["office"]])
    publication = submitted_item(org)
    review.approve_task(user=both, task_id=task_for(both, publication).pk)
    assert queue(both)["count"] == 0
    assert queue(org["secrecy"])["count"] == 1


def test_claimed_task_shows_to_its_claimer_only_with_its_status(org):
    publication = submitted_item(org)
    review.claim_task(user=org["head_office"], task_id=task_for(org["head_office"],
                                                                publication).pk)
    mine = queue(org["head_office"])["results"]
    assert [(t["publication"], t["status"], t["owner"]) for t in mine] == [
        (publication.pk, "assigned", org["head_office"].username)]
    assert queue(org["head_office_2"])["count"] == 0


def test_queue_rows_read_exactly_as_the_documented_task_serializer_renders_them(org):
    """The list builds its rows directly (workflow.api.queue_data); TaskSerializer is what
    the schema documents: both give the same JSON, field for field."""
    from workflow.api import TaskSerializer
    from workflow.selectors import queue_rows

    multi = make_user(org.agency, "multi", [Role.SECRECY_REVIEWER, Role.LEADER],
                      covered=[org.sections["office"], org.sections["construction"]])
    claimed = submitted_item(org, title="已签收 <b>&</b>")
    approve_through(org, claimed, "head_office")
    review.claim_task(user=multi, task_id=task_for(multi, claimed).pk)
    waiting = submitted_item(org, "drafter_construction")
    approve_through(org, waiting, "head_construction", "secrecy")

    answered = queue(multi)["results"]
    rows = queue_rows([task["id"] for task in answered])
    assert answered == TaskSerializer(rows, many=True).data
    assert {(t["step"], t["status"], t["owner"], t["section"]) for t in answered} == {
        ("secrecy_review", "assigned", "multi", "office"),
        ("leadership_review", "new", None, "construction")}
    assert answered[0]["created"].endswith("+08:00")  # local time, as DRF renders it
