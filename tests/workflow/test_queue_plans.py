"""The review queues read their own agency's rows, whatever the size of the platform.

PostgreSQL's plan of each queue query, with another agency holding thousands of open
tasks at the same step: the query must use the index of open tasks by round and examine
no more task rows than the person's own agency has (`EXPLAIN ANALYZE`: rows returned plus
rows filtered out, times loops, summed over every scan of the task table). Before, the
queue walked every open task of the platform at the step and joined each to its round.
"""

import json

import pytest
from django.db import connection
from django.db.models import Count, Window
from django.utils import timezone
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

from agencies.models import Role
from publications.models import Publication
from testsupport.factories import approve_through, make_user, submitted_item
from workflow import services as review
from workflow.flows import ReviewFlow
from workflow.models import ReviewProcess
from workflow.selectors import (
    actionable_tasks,
    in_queue_order,
    tasks_claimed_by_others,
    tasks_held_by_colleagues,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

OTHER_AGENCY_ROUNDS = 3000
INDEX = "workflow_open_tasks_by_round"
HELD = {"head_office": 3, "secrecy": 1, "leader": 2}


def _columns(model, *, without=()):
    return [f.column for f in model._meta.local_concrete_fields
            if not f.primary_key and f.column not in without]


def clone_round(publication, copies):
    """`copies` more items like `publication`, each in review at the same step, with its
    round and tasks: the template's rows copied in SQL (seconds of services otherwise)."""
    round_ = ReviewProcess.objects.get(publication=publication, outcome="")
    with connection.cursor() as cur:
        ids = {}
        for model in (Publication, Process):
            table = model._meta.db_table
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                        "FROM generate_series(1, %s)", [table, copies])
            ids[model] = [row[0] for row in cur.fetchall()]
        columns = ", ".join(_columns(Publication))
        cur.execute(f"INSERT INTO publications_publication (id, {columns}) "
                    f"SELECT unnest(%s::bigint[]), {columns} FROM publications_publication "
                    "WHERE id = %s", [ids[Publication], publication.pk])
        columns = ", ".join(_columns(Process))
        cur.execute(f"INSERT INTO viewflow_process (id, {columns}) "
                    f"SELECT unnest(%s::bigint[]), {columns} FROM viewflow_process "
                    "WHERE id = %s", [ids[Process], round_.pk])
        columns = ", ".join(_columns(ReviewProcess, without=("publication_id",)))
        cur.execute(f"INSERT INTO workflow_reviewprocess (process_ptr_id, publication_id, "
                    f"{columns}) SELECT unnest(%s::bigint[]), unnest(%s::bigint[]), {columns} "
                    "FROM workflow_reviewprocess WHERE process_ptr_id = %s",
                    [ids[Process], ids[Publication], round_.pk])
        columns = ", ".join(_columns(Task, without=("process_id",)))
        cur.execute(f"INSERT INTO viewflow_task (process_id, {columns}) "
                    f"SELECT p, {columns} FROM viewflow_task, unnest(%s::bigint[]) AS p "
                    "WHERE process_id = %s", [ids[Process], round_.pk])


def task_rows_examined(queryset) -> tuple[int, set[str]]:
    """(rows of viewflow_task the plan read, the indexes it read them through)."""
    plan = json.loads(queryset.explain(format="json", analyze=True))[0]["Plan"]
    examined, indexes = 0, set()

    def walk(node):
        nonlocal examined
        if node.get("Relation Name") == "viewflow_task":
            read = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
                    + node.get("Rows Removed by Index Recheck", 0))
            examined += read * node.get("Actual Loops", 1)
            if "Index Name" in node:
                indexes.add(node["Index Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk(plan)
    return examined, indexes


def as_the_api_pages_it(tasks):
    """The queue API's one query: a page of ids and the total (core.pagination)."""
    return tasks.annotate(_total=Window(Count("pk"))).values_list("pk", "_total")[:50]


@pytest.fixture
def crowded_platform(org, other_org):
    """Two open items of `org` at each step; the other agency holds thousands of open
    tasks at every step."""
    own = []
    for passed in ((), ("head_office",), ("head_office", "secrecy")):
        for _ in range(2):
            own.append(approve_through(org, submitted_item(org), *passed))
    for passed in ((), ("head_office",), ("head_office", "secrecy")):
        template = approve_through(other_org, submitted_item(other_org), *passed)
        clone_round(template, OTHER_AGENCY_ROUNDS // 3)
    # half the other agency's open tasks are claimed, one of ours at each step too
    others = Task.objects.filter(status=STATUS.NEW,
                                 process__reviewprocess__agency=other_org.agency)
    others.filter(pk__in=others.values("pk")[:OTHER_AGENCY_ROUNDS // 2]).update(
        status=STATUS.ASSIGNED, owner=other_org["secrecy"], assigned=timezone.now())
    for username in ("head_office_2", "secrecy_2", "leader"):
        review.claim_task(user=org[username], task_id=actionable_tasks(
            user=org[username]).filter(status=STATUS.NEW).first().pk)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return org, Task.objects.filter(process__reviewprocess__agency=org.agency).count()


@pytest.mark.parametrize("username", ["head_office", "secrecy", "leader"])
def test_a_queue_reads_only_its_own_agencys_open_tasks(crowded_platform, username):
    """The queue page and API, and the list of what colleagues hold under it."""
    org, own_tasks = crowded_platform
    person = org[username]
    for tasks in (as_the_api_pages_it(actionable_tasks(user=person)),
                  in_queue_order(actionable_tasks(user=person))[:20]):
        examined, indexes = task_rows_examined(tasks)
        assert INDEX in indexes
        assert examined <= own_tasks, (examined, own_tasks)
    # looked up by round too (through this index or the one on all of a round's tasks)
    examined, indexes = task_rows_examined(tasks_held_by_colleagues(user=person))
    assert "workflow_open_review_tasks" not in indexes
    assert examined <= own_tasks, (examined, own_tasks)
    assert actionable_tasks(user=person).filter(status=STATUS.NEW).count() == 1
    # a head and a covering leader also see what they may take back at the other steps
    assert tasks_held_by_colleagues(user=person).count() == HELD[username]


def test_taking_back_reads_only_the_sections_rounds(crowded_platform):
    org, own_tasks = crowded_platform
    taken_back = tasks_claimed_by_others(user=org["leader"])
    examined, indexes = task_rows_examined(taken_back)
    assert "workflow_open_review_tasks" not in indexes
    assert examined <= own_tasks
    assert taken_back.count() == 2  # the head's and the secrecy reviewer's claims


def test_what_colleagues_hold_is_read_from_the_sections_the_person_reviews(crowded_platform):
    """A section head's list of what colleagues hold is looked up from the rounds of the
    sections they head: another section's claimed tasks, however many, are not read."""
    org, _own = crowded_platform
    office_tasks = Task.objects.filter(process__reviewprocess__agency=org.agency).count()
    template = submitted_item(org, "drafter_construction")
    clone_round(template, 400)
    Task.objects.filter(status=STATUS.NEW, process__reviewprocess__section__code="construction"
                        ).update(status=STATUS.ASSIGNED, owner=org["head_construction"],
                                 assigned=timezone.now())
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    held = tasks_held_by_colleagues(user=org["head_office"])
    examined, _indexes = task_rows_examined(held)
    assert examined <= office_tasks, (examined, office_tasks)
    assert held.count() == HELD["head_office"]
    # the construction head holds every claimed task of their section themselves: nothing
    # held by a colleague there; the secrecy reviewer's step covers every section
    assert tasks_held_by_colleagues(user=org["head_construction"]).count() == 0
    assert tasks_held_by_colleagues(user=org["secrecy"]).count() == HELD["secrecy"]


def _joins_rounds_per_task(tasks) -> bool:
    """Whether the query joins each open task to its round (outside the rounds' ARRAY)."""
    sql = str(tasks.query)
    return 'JOIN "workflow_reviewprocess"' in sql.split("ARRAY(")[0]


def test_a_one_step_queue_does_not_test_each_tasks_section_again(crowded_platform):
    """The rounds within a section head's (or covering leader's) reach are their sections'
    already; only a person with two steps tied to different sections (head of one, leader
    covering another) needs each task's section tested, and still sees only their own."""
    org, _own = crowded_platform
    for username in ("head_office", "leader"):
        assert not _joins_rounds_per_task(actionable_tasks(user=org[username]))
    both = make_user(org.agency, "head_and_leader", [Role.SECTION_HEAD, Role.LEADER],
                     headed=[org.sections["construction"]],
                     covered=[org.sections["office"]])
    assert _joins_rounds_per_task(actionable_tasks(user=both))
    at_head = actionable_tasks(user=both).filter(flow_task=ReviewFlow.section_head_review)
    at_leader = actionable_tasks(user=both).filter(flow_task=ReviewFlow.leadership_review)
    # org's open items are all of the office section: none at the head step is theirs;
    # of the two at the leader's step one is claimed (crowded_platform)
    assert at_head.count() == 0
    assert at_leader.count() == 1
