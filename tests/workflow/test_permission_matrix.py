"""Who may do what: every role × every action × own/other section, through the REST API.

Read the tables first. A row is a person of the test agency (tests.factories.make_org)
or of a second agency (`other_…`); a column is an item of the office or of the
construction section; a cell is the HTTP status the API must answer, or ACT: the
person may take that review task (claim, approve, reject and unclaim their own
claim answer 200; withhold answers 200 at the secrecy step and 409 elsewhere, as
only the secrecy step may decide 不予公开), and it is in their queue.

Every refused request is also checked to have changed nothing: the item (status,
round, fingerprint, updated_at), its review tasks (status and owner), the number
of items and the number of audit events.

Earlier tiers of an item in review are approved by stand-ins who are not in the
tables, so nobody in a table has acted on the item before the request under test.
"""

import pytest
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from agencies.models import Role
from audit.models import AuditEvent
from publications.models import Publication
from testsupport.factories import api, create_item, item_data, make_user, submitted_item
from workflow import services as review
from workflow.permissions import LEADERSHIP_REVIEW, SECRECY_REVIEW, SECTION_HEAD_REVIEW

pytestmark = pytest.mark.django_db

ACT = "act"
OFFICE, CONSTRUCTION = "office", "construction"
SECTIONS = (OFFICE, CONSTRUCTION)
STEPS = (SECTION_HEAD_REVIEW, SECRECY_REVIEW, LEADERSHIP_REVIEW)

# One person per role of the second agency: they see and do nothing in the first.
OTHER_AGENCY = ["other_drafter_office", "other_head_office", "other_secrecy", "other_leader",
                "other_publisher", "other_auditor", "other_admin"]

# POST /api/v1/publications/ with "section" set to the column.
#                              office  construction
CREATE = {
    "drafter_office":          (201,   403),
    "drafter_construction":    (403,   201),
    "drafting_head":           (201,   403),   # a drafter of the office, who also heads it
    "head_office":             (403,   403),
    "head_office_2":           (403,   403),
    "head_construction":       (403,   403),
    "secrecy":                 (403,   403),
    "secrecy_2":               (403,   403),
    "leader":                  (403,   403),
    "leader_construction":     (403,   403),
    "publisher":               (403,   403),
    "auditor":                 (403,   403),
    "admin":                   (403,   403),
}

# A draft item written by drafter_office (office) or drafter_construction (construction).
#   see:   GET the item, GET its trail/, and whether GET /publications/ lists it
#   write: PATCH the item, POST submit/, POST withdraw/ (only the item's drafter)
#                              see              write
#                              office  constr.  office  constr.
ITEM = {
    "drafter_office":          (200,   404,     200,    404),
    "drafter_construction":    (404,   200,     404,    200),
    "drafting_head":           (200,   200,     403,    403),
    "head_office":             (200,   200,     403,    403),
    "head_office_2":           (200,   200,     403,    403),
    "head_construction":       (200,   200,     403,    403),
    "secrecy":                 (200,   200,     403,    403),
    "secrecy_2":               (200,   200,     403,    403),
    "leader":                  (200,   200,     403,    403),
    "leader_construction":     (200,   200,     403,    403),
    "publisher":               (200,   200,     403,    403),
    "auditor":                 (200,   200,     403,    403),
    "admin":                   (200,   200,     403,    403),
    **{name:                   (404,   404,     404,    404) for name in OTHER_AGENCY},
}

# The open task of an item in review, at each step. Actions: claim/, unclaim/, approve/,
# reject/, withhold/ and whether GET /tasks/ lists it. For unclaim/ a person who may
# not act finds the task claimed by the step's stand-in. The office item is drafter_office's
# own (403 to them); drafting_head reviews it as any office head would. A drafter of another
# section cannot see the item (404 above), so its tasks are 404 to them too.
#                              section_head_review  secrecy_review    leadership_review
#                              office  constr.      office  constr.   office  constr.
TASKS = {
    "drafter_office":          (403,   404,         403,    404,      403,    404),
    "drafter_construction":    (404,   403,         404,    403,      404,    403),
    "drafting_head":           (ACT,   403,         403,    403,      403,    403),
    "head_office":             (ACT,   403,         403,    403,      403,    403),
    "head_office_2":           (ACT,   403,         403,    403,      403,    403),
    "head_construction":       (403,   ACT,         403,    403,      403,    403),
    "secrecy":                 (403,   403,         ACT,    ACT,      403,    403),
    "secrecy_2":               (403,   403,         ACT,    ACT,      403,    403),
    "leader":                  (403,   403,         403,    403,      ACT,    ACT),
    "leader_construction":     (403,   403,         403,    403,      403,    ACT),
    "publisher":               (403,   403,         403,    403,      403,    403),
    "auditor":                 (403,   403,         403,    403,      403,    403),
    "admin":                   (403,   403,         403,    403,      403,    403),
    **{name:                   (404,   404,         404,    404,      404,    404)
       for name in OTHER_AGENCY},
}

# What an item's drafter may do with it in each state.
#                  edit   submit  withdraw
BY_STATE = {
    "draft":       (200,  200,    200),
    "returned":    (200,  200,    200),
    "in_review":   (409,  409,    200),
    "approved":    (409,  409,    409),
    "withheld":    (409,  409,    409),
    "withdrawn":   (409,  409,    409),
}

TASK_PAYLOADS = {
    "claim": {},
    "unclaim": {},
    "approve": {"comment": "同意"},
    "reject": {"comment": "请补充检查时间"},
    "withhold": {"basis": "process_information", "comment": "属于过程性信息"},
}
REVIEW_DECISIONS = ("claim", "approve", "reject", "withhold")



# --- building blocks ---------------------------------------------------------------------

def person(org, request, name):
    if name.startswith("other_"):
        return request.getfixturevalue("other_org")[name.removeprefix("other_")]
    return org[name]


@pytest.fixture
def stand_ins(org):
    """Reviewers of every section, outside the tables, who move items to the step under test."""
    office, construction = org.sections[OFFICE], org.sections[CONSTRUCTION]
    return {
        SECTION_HEAD_REVIEW: make_user(org.agency, "stand_in_head", [Role.SECTION_HEAD],
                                       headed=[office, construction]),
        SECRECY_REVIEW: make_user(org.agency, "stand_in_secrecy", [Role.SECRECY_REVIEWER]),
        LEADERSHIP_REVIEW: make_user(org.agency, "stand_in_leader", [Role.LEADER],
                                     covered=[office, construction]),
    }


def open_task(publication):
    return Task.objects.get(process__reviewprocess__publication=publication,
                            status__in=[STATUS.NEW, STATUS.ASSIGNED])


def approve_as(user, publication):
    review.approve_task(user=user, task_id=open_task(publication).pk, comment="同意")


def item_at_step(org, stand_ins, step, *, section=OFFICE, drafter=None, approvers=None):
    """An item in review whose open task is `step`; earlier tiers approved by `approvers`."""
    publication = submitted_item(org, drafter or f"drafter_{section}")
    for tier in STEPS[:STEPS.index(step)]:
        approve_as((approvers or {}).get(tier, stand_ins[tier]), publication)
    return publication


def snapshot(publication=None):
    """Everything a refused request must leave as it was."""
    state = {"items": Publication.objects.count(), "audit_events": AuditEvent.objects.count()}
    if publication is not None:
        state["item"] = Publication.objects.values(
            "status", "round", "fingerprint", "title", "updated_at").get(pk=publication.pk)
        state["tasks"] = list(
            Task.objects.filter(process__reviewprocess__publication=publication)
            .order_by("pk").values_list("pk", "status", "owner_id"))
    return state


def queue(user):
    return [t["id"] for t in api(user).get("/api/v1/tasks/?page_size=500").json()["results"]]


def post_task_action(user, task, action):
    return api(user).post(f"/api/v1/tasks/{task.pk}/{action}/", TASK_PAYLOADS[action],
                          format="json")


def last_action_of(user):
    return (AuditEvent.objects.filter(actor=user).order_by("-pk")
            .values_list("action", flat=True).first())


# --- create ------------------------------------------------------------------------------

CREATE_CASES = [pytest.param(name, section, expected, id=f"{name}-{section}")
                for name, row in CREATE.items()
                for section, expected in zip(SECTIONS, row, strict=True)]


@pytest.mark.parametrize(("actor", "section", "expected"), CREATE_CASES)
def test_only_drafters_create_items_and_only_for_their_own_section(org, actor, section,
                                                                   expected):
    before = snapshot()
    response = api(org[actor]).post("/api/v1/publications/", item_data(section=section),
                                    format="json")
    assert response.status_code == expected, response.json()
    if expected == 201:
        body = response.json()
        assert (body["section"], body["drafter"], body["status"]) == (section, actor, "draft")
        assert last_action_of(org[actor]) == "create"
    else:
        assert snapshot() == before


# --- see and write an item -----------------------------------------------------------------

def _item_request(client, action, pid):
    if action == "read":
        return client.get(f"/api/v1/publications/{pid}/")
    if action == "trail":
        return client.get(f"/api/v1/publications/{pid}/trail/")
    if action == "edit":
        return client.patch(f"/api/v1/publications/{pid}/", {"title": "关于调整检查时间的通知"},
                            format="json")
    return client.post(f"/api/v1/publications/{pid}/{action}/")


SEE_ACTIONS, WRITE_ACTIONS = ("read", "trail", "list"), ("edit", "submit", "withdraw")
ITEM_CASES = [
    pytest.param(name, section, action, (see if action in SEE_ACTIONS else write),
                 id=f"{name}-{section}-{action}")
    for name, (see_office, see_construction, write_office, write_construction) in ITEM.items()
    for section, see, write in [(OFFICE, see_office, write_office),
                                (CONSTRUCTION, see_construction, write_construction)]
    for action in SEE_ACTIONS + WRITE_ACTIONS
]


@pytest.mark.parametrize(("actor", "section", "action", "expected"), ITEM_CASES)
def test_who_sees_and_who_writes_an_item(org, request, actor, section, action, expected):
    user = person(org, request, actor)
    publication = create_item(org, f"drafter_{section}")
    before = snapshot(publication)

    if action == "list":
        response = api(user).get("/api/v1/publications/?page_size=500")
        assert response.status_code == 200
        listed = publication.pk in [item["id"] for item in response.json()["results"]]
        assert listed == (expected == 200)
        assert snapshot(publication) == before
        return

    response = _item_request(api(user), action, publication.pk)
    assert response.status_code == expected, response.json()
    if action in ("read", "trail") or expected != 200:
        assert snapshot(publication) == before
    if expected != 200:
        return
    if action == "read":
        assert response.json()["id"] == publication.pk
    elif action == "trail":
        assert [e["action"] for e in response.json()["results"]] == ["create"]
    else:
        publication.refresh_from_db()
        assert publication.status == {"edit": "draft", "submit": "in_review",
                                      "withdraw": "withdrawn"}[action]
        assert last_action_of(user) == action


def item_in_state(org, stand_ins, state):
    if state == "draft":
        return create_item(org)
    publication = item_at_step(org, stand_ins, LEADERSHIP_REVIEW)
    if state == "approved":
        approve_as(stand_ins[LEADERSHIP_REVIEW], publication)
    elif state == "returned":
        review.reject_task(user=stand_ins[LEADERSHIP_REVIEW],
                           task_id=open_task(publication).pk, comment="请补充检查时间")
    elif state == "withdrawn":
        review.withdraw_publication(user=org["drafter_office"], publication_id=publication.pk)
    elif state == "withheld":
        publication = item_at_step(org, stand_ins, SECRECY_REVIEW)
        review.withhold_task(user=stand_ins[SECRECY_REVIEW], task_id=open_task(publication).pk,
                             basis="state_secret", comment="含涉密内容")
    publication.refresh_from_db()
    assert publication.status == state
    return publication


STATE_CASES = [pytest.param(state, action, expected, id=f"{state}-{action}")
               for state, row in BY_STATE.items()
               for action, expected in zip(("edit", "submit", "withdraw"), row, strict=True)]


@pytest.mark.parametrize(("state", "action", "expected"), STATE_CASES)
def test_the_drafter_writes_only_in_states_that_allow_it(org, stand_ins, state, action,
                                                         expected):
    publication = item_in_state(org, stand_ins, state)
    before = snapshot(publication)
    response = _item_request(api(org["drafter_office"]), action, publication.pk)
    assert response.status_code == expected, response.json()
    if expected != 200:
        assert snapshot(publication) == before


# --- review tasks --------------------------------------------------------------------------

def _task_case(name, step, section, action, rule):
    expected = rule
    if rule == ACT:
        expected = 409 if action == "withhold" and step != SECRECY_REVIEW else 200
    return pytest.param(name, step, section, action, rule, expected,
                        id=f"{name}-{step}-{section}-{action}")


TASK_CASES = [
    _task_case(name, step, section, action, row[2 * step_index + section_index])
    for name, row in TASKS.items()
    for step_index, step in enumerate(STEPS)
    for section_index, section in enumerate(SECTIONS)
    for action in ("list", *TASK_PAYLOADS)
]


@pytest.mark.parametrize(("actor", "step", "section", "action", "rule", "expected"),
                         TASK_CASES)
def test_who_may_act_on_which_review_task(org, request, stand_ins, actor, step, section,
                                          action, rule, expected):
    user = person(org, request, actor)
    publication = item_at_step(org, stand_ins, step, section=section)
    task = open_task(publication)

    if action == "list":
        assert (task.pk in queue(user)) == (rule == ACT)
        return

    if action == "unclaim":
        claimer = user if rule == ACT else stand_ins[step]
        review.claim_task(user=claimer, task_id=task.pk)
    before = snapshot(publication)
    response = post_task_action(user, task, action)
    assert response.status_code == expected, response.json()
    if expected != 200:
        assert snapshot(publication) == before
        return

    task.refresh_from_db()
    publication.refresh_from_db()
    assert last_action_of(user) == action
    if action == "claim":
        assert (task.status, task.owner_id) == (STATUS.ASSIGNED, user.pk)
    elif action == "unclaim":
        assert (task.status, task.owner_id) == (STATUS.NEW, None)
    else:
        assert (task.status, task.owner_id) == (STATUS.DONE, user.pk)
        assert publication.status == {
            "approve": "approved" if step == LEADERSHIP_REVIEW else "in_review",
            "reject": "returned", "withhold": "withheld"}[action]


# Wrong role, wrong step, section not covered, own item: never allowed, claimed or not.
REFUSED_ON_CLAIMED = [("auditor", SECTION_HEAD_REVIEW), ("publisher", SECRECY_REVIEW),
                      ("admin", LEADERSHIP_REVIEW), ("secrecy", SECTION_HEAD_REVIEW),
                      ("head_office", SECRECY_REVIEW), ("leader_construction", LEADERSHIP_REVIEW),
                      ("drafter_office", SECTION_HEAD_REVIEW)]


@pytest.mark.parametrize("action", REVIEW_DECISIONS)
@pytest.mark.parametrize(("actor", "step"), REFUSED_ON_CLAIMED)
def test_a_task_someone_else_claimed_is_still_403_for_who_may_never_act_on_it(
        org, stand_ins, actor, step, action):
    publication = item_at_step(org, stand_ins, step)
    task = open_task(publication)
    review.claim_task(user=stand_ins[step], task_id=task.pk)
    before = snapshot(publication)
    response = post_task_action(org[actor], task, action)
    assert snapshot(publication) == before
    assert response.status_code == 403, response.json()


# --- separation of duties: own items, one action per person per round -------------------

def drafter_who_also_reviews(org, step):
    """A drafter of the office who also holds the role of `step` for the office."""
    office = org.sections[OFFICE]
    if step == SECTION_HEAD_REVIEW:
        return org["drafting_head"]
    if step == SECRECY_REVIEW:
        user = make_user(org.agency, "drafting_secrecy", [Role.DRAFTER, Role.SECRECY_REVIEWER],
                         office)
    else:
        user = make_user(org.agency, "drafting_leader", [Role.DRAFTER, Role.LEADER], office,
                         covered=[office])
    org.users[user.username] = user
    return user


@pytest.mark.parametrize("action", ("list", *REVIEW_DECISIONS))
@pytest.mark.parametrize("step", STEPS)
def test_a_drafter_takes_no_review_task_of_their_own_item(org, stand_ins, step, action):
    drafter = drafter_who_also_reviews(org, step)
    publication = item_at_step(org, stand_ins, step, drafter=drafter.username)
    task = open_task(publication)
    assert api(drafter).get(f"/api/v1/publications/{publication.pk}/").status_code == 200
    # the same person may review another drafter's office item at this step
    others = item_at_step(org, stand_ins, step)
    assert open_task(others).pk in queue(drafter)

    if action == "list":
        assert task.pk not in queue(drafter)
        return
    before = snapshot(publication)
    response = post_task_action(drafter, task, action)
    assert response.status_code == 403, response.json()
    assert snapshot(publication) == before
    assert task.pk in queue(stand_ins[step])  # the item is not stuck


DOUBLE_ROLES = {
    (SECTION_HEAD_REVIEW, SECRECY_REVIEW): [Role.SECTION_HEAD, Role.SECRECY_REVIEWER],
    (SECTION_HEAD_REVIEW, LEADERSHIP_REVIEW): [Role.SECTION_HEAD, Role.LEADER],
    (SECRECY_REVIEW, LEADERSHIP_REVIEW): [Role.SECRECY_REVIEWER, Role.LEADER],
}


@pytest.mark.parametrize("action", ("list", *REVIEW_DECISIONS))
@pytest.mark.parametrize(("first", "second"), list(DOUBLE_ROLES))
def test_one_person_acts_at_most_once_per_item_per_round(org, stand_ins, first, second,
                                                         action):
    office, roles = org.sections[OFFICE], DOUBLE_ROLES[first, second]
    both = make_user(org.agency, "reviews_two_tiers", roles, office,
                     headed=[office] if Role.SECTION_HEAD in roles else [],
                     covered=[office] if Role.LEADER in roles else [])
    publication = item_at_step(org, stand_ins, second, approvers={first: both})
    task = open_task(publication)
    # holding both roles is no reason to refuse: on another item they may take the second tier
    fresh = item_at_step(org, stand_ins, second)
    assert open_task(fresh).pk in queue(both)

    if action == "list":
        assert task.pk not in queue(both)
        return
    before = snapshot(publication)
    response = post_task_action(both, task, action)
    assert response.status_code == 403, response.json()
    assert "只能审核一次" in response.json()["detail"]
    assert snapshot(publication) == before
    assert task.pk in queue(stand_ins[second])


# --- no login ------------------------------------------------------------------------------

ANONYMOUS_REQUESTS = [
    ("post", "/api/v1/publications/"), ("get", "/api/v1/publications/"),
    ("get", "/api/v1/publications/{item}/"), ("get", "/api/v1/publications/{item}/trail/"),
    ("patch", "/api/v1/publications/{item}/"), ("post", "/api/v1/publications/{item}/submit/"),
    ("post", "/api/v1/publications/{item}/withdraw/"), ("get", "/api/v1/tasks/"),
    *[("post", f"/api/v1/tasks/{{task}}/{action}/") for action in TASK_PAYLOADS],
]


@pytest.mark.parametrize(("method", "url"), ANONYMOUS_REQUESTS)
def test_a_request_without_login_is_401_and_changes_nothing(org, stand_ins, method, url):
    publication = item_at_step(org, stand_ins, SECTION_HEAD_REVIEW)
    url = url.format(item=publication.pk, task=open_task(publication).pk)
    before = snapshot(publication)
    client = api()
    response = (client.get(url) if method == "get"
                else getattr(client, method)(url, item_data(), format="json"))
    assert snapshot(publication) == before
    assert response.status_code == 401, response.json()
    assert response["WWW-Authenticate"].startswith("Token")
