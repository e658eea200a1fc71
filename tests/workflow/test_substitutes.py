"""Substitutes on leave (代理): while 王敏 (head of the office) is away, 李强 (head of
construction) acts on the office's section-head tasks as her substitute, under the same
separation of duties; the trail says "李强 代 王敏"; her claims go back to the queue when
her leave starts."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from agencies.models import Role
from audit.models import AuditAction, AuditEvent
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from notifications.kinds import NotificationKind
from notifications.models import Notification
from publications.services import create_publication
from testsupport.factories import item_data, make_user, submitted_item, task_for
from workflow import services as review
from workflow.selectors import (
    actionable_tasks,
    people_who_may_act,
    stands_in_today,
    with_stand_in,
)
from workflow.substitutions import cancel_substitution, name_substitute, start_leaves

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def people(org):
    wang, li = org["head_office"], org["head_construction"]
    wang.display_name, li.display_name = "王敏", "李强"
    wang.save()
    li.save()
    return wang, li


def today():
    return timezone.localdate()


def away(absent, substitute, *, starts=0, days=3, by=None):
    return name_substitute(user=by or absent, absent_id=absent.pk, substitute_id=substitute.pk,
                           starts_on=today() + dt.timedelta(days=starts),
                           ends_on=today() + dt.timedelta(days=starts + days - 1))


def queue_of(user, publication):
    return actionable_tasks(user=user).filter(process__reviewprocess__publication=publication)


# ---------------------------------------------------------------- acting for the absent

def test_substitute_claims_and_approves_the_absent_persons_task_on_their_behalf(org, people):
    wang, li = people
    publication = submitted_item(org)
    assert not queue_of(li, publication).exists()  # not her section: not his task
    away(wang, li)

    task = task_for(li, publication)
    assert with_stand_in(queue_of(li, publication), user=li).get().stand_in == "王敏"
    review.claim_task(user=li, task_id=task.pk)
    review.approve_task(user=li, task_id=task.pk, comment="同意")

    task.refresh_from_db()
    assert task.status == STATUS.DONE and task.owner_id == li.pk
    for action in (AuditAction.CLAIM, AuditAction.APPROVE):
        event = AuditEvent.objects.get(subject_id=publication.pk, action=action)
        assert event.actor_id == li.pk
        assert event.data["on_behalf_of"] == wang.username
        assert event.data["on_behalf_of_name"] == "王敏"
    # the next tier is the secrecy reviewers' as always
    assert task_for(org["secrecy"], publication)


def test_own_sections_need_no_substitution_and_the_event_says_nothing_of_one(org, people):
    wang, li = people
    away(wang, org["head_office_2"])
    publication = submitted_item(org)
    task = task_for(org["head_office_2"], publication)
    assert with_stand_in(queue_of(org["head_office_2"], publication),
                         user=org["head_office_2"]).get().stand_in is None
    review.approve_task(user=org["head_office_2"], task_id=task.pk)
    event = AuditEvent.objects.get(subject_id=publication.pk, action=AuditAction.APPROVE)
    assert "on_behalf_of" not in event.data


def test_substitute_is_refused_on_an_item_they_drafted(org, people):
    wang = people[0]
    drafting_head = make_user(org.agency, "drafting_head_c", [Role.DRAFTER, Role.SECTION_HEAD],
                              org.sections["office"], headed=[org.sections["construction"]])
    away(wang, drafting_head)
    publication = create_publication(user=drafting_head, data=item_data(section="office"))
    review.submit_publication(user=drafting_head, publication_id=publication.pk)
    task = Task.objects.get(process__reviewprocess__publication=publication,
                            status=STATUS.NEW)

    assert not queue_of(drafting_head, publication).exists()
    with pytest.raises(NotPermitted, match="经办人不能审核自己起草的信息"):
        review.claim_task(user=drafting_head, task_id=task.pk)
    with pytest.raises(NotPermitted):
        review.approve_task(user=drafting_head, task_id=task.pk)


def test_substitute_is_refused_a_second_decision_in_the_round(org, people):
    wang, li = people
    li.roles = [Role.SECTION_HEAD, Role.SECRECY_REVIEWER]
    li.save()
    away(wang, li)
    publication = submitted_item(org)
    review.approve_task(user=li, task_id=task_for(li, publication).pk)

    secrecy_task = task_for(org["secrecy"], publication)
    assert not queue_of(li, publication).exists()
    with pytest.raises(NotPermitted, match="只能审核一次"):
        review.claim_task(user=li, task_id=secrecy_task.pk)


def test_no_substitution_for_a_task_the_absent_person_could_not_take(org, people):
    """The substitute borrows only what the absent person could do: not the tasks of a
    section she does not head."""
    wang, li = people
    away(wang, org["head_office_2"])
    publication = submitted_item(org, "drafter_construction")
    task = task_for(li, publication)  # li's own section
    with pytest.raises(NotPermitted):
        review.claim_task(user=org["head_office_2"], task_id=task.pk)


def test_outside_the_dates_the_substitute_has_no_access(org, people):
    wang, li = people
    publication = submitted_item(org)
    task = Task.objects.get(process__reviewprocess__publication=publication, status=STATUS.NEW)
    away(wang, li, starts=1, days=2)

    assert not queue_of(li, publication).exists()  # the leave starts tomorrow
    with pytest.raises(NotPermitted):
        review.claim_task(user=li, task_id=task.pk)
    start = dt.datetime.combine(today() + dt.timedelta(days=1), dt.time(9), tzinfo=SHANGHAI)
    with time_machine.travel(start):
        assert queue_of(li, publication).exists()
    with time_machine.travel(start + dt.timedelta(days=2)):  # the day after the last
        assert not queue_of(li, publication).exists()
        with pytest.raises(NotPermitted):
            review.claim_task(user=li, task_id=task.pk)


def test_a_cancelled_substitution_gives_no_access_and_releases_the_substitutes_claim(
        org, people):
    wang, li = people
    substitution = away(wang, li)
    publication = submitted_item(org)
    task = task_for(li, publication)
    review.claim_task(user=li, task_id=task.pk)

    cancel_substitution(user=wang, substitution_id=substitution.pk)

    task.refresh_from_db()
    assert task.status == STATUS.NEW and task.owner_id is None
    assert not queue_of(li, publication).exists()
    assert AuditEvent.objects.filter(action=AuditAction.SUBSTITUTE_CANCELLED,
                                     subject_id=substitution.pk).exists()
    with pytest.raises(Conflict):
        cancel_substitution(user=wang, substitution_id=substitution.pk)


def test_the_substitute_is_told_of_new_tasks_during_the_leave(org, people):
    wang, li = people
    away(wang, li)
    publication = submitted_item(org)
    assert li in people_who_may_act(publication=publication, step="section_head_review")
    assert Notification.objects.filter(recipient=li, kind=NotificationKind.TASK_QUEUED,
                                       publication=publication).exists()


# ---------------------------------------------------------------- claims at the leave's start

def test_claims_are_released_when_the_leave_starts(org, people):
    wang, li = people
    publication = submitted_item(org)
    task = task_for(wang, publication)
    review.claim_task(user=wang, task_id=task.pk)
    away(wang, li, starts=1, days=2)
    assert Notification.objects.filter(recipient=li,
                                       kind=NotificationKind.SUBSTITUTE_NAMED).count() == 1
    assert start_leaves()["started"] == 0  # not yet
    task.refresh_from_db()
    assert task.status == STATUS.ASSIGNED

    with time_machine.travel(dt.datetime.combine(today() + dt.timedelta(days=1), dt.time(0, 5),
                                                 tzinfo=SHANGHAI)):
        assert start_leaves() == {"started": 1, "released": 1}
        assert start_leaves() == {"started": 0, "released": 0}  # once

        task.refresh_from_db()
        assert task.status == STATUS.NEW and task.owner_id is None
        event = AuditEvent.objects.get(subject_id=publication.pk,
                                       action=AuditAction.CLAIM_RELEASED)
        assert event.data["reason"] == "on_leave"
        assert event.data["previous_holder"] == wang.username
        # the substitute hears the task is back in the queue, and may take it
        assert Notification.objects.filter(recipient=li, kind=NotificationKind.TASK_QUEUED,
                                           task_id=task.pk).exists()
        review.claim_task(user=li, task_id=task.pk)


def test_a_leave_starting_today_releases_the_claims_at_once(org, people):
    wang, li = people
    publication = submitted_item(org)
    task = task_for(wang, publication)
    review.claim_task(user=wang, task_id=task.pk)
    substitution = away(wang, li)
    task.refresh_from_db()
    assert task.status == STATUS.NEW
    substitution.refresh_from_db()
    assert substitution.claims_released_at is not None
    assert start_leaves()["started"] == 0


# ---------------------------------------------------------------- naming

def test_naming_is_audited_and_an_admin_may_name_for_a_colleague(org, people):
    wang, li = people
    substitution = away(wang, li, by=org["admin"], starts=2)
    event = AuditEvent.objects.get(action=AuditAction.SUBSTITUTE_NAMED)
    assert event.actor_id == org["admin"].pk and event.subject_id == substitution.pk
    assert event.data["absent"] == wang.username and event.data["substitute"] == li.username
    notice = Notification.objects.get(recipient=li, kind=NotificationKind.SUBSTITUTE_NAMED)
    assert "王敏" in notice.title


def test_only_the_absent_person_or_an_admin_names_a_substitute(org, other_org, people):
    wang, li = people
    for user in (org["drafter_office"], org["head_office_2"], li):
        with pytest.raises(NotPermitted):
            away(wang, li, by=user)
    with pytest.raises(NotFound):
        away(wang, li, by=other_org["admin"])


@pytest.mark.parametrize("case", ["overlap", "other_agency", "lacking_role", "end_before_start",
                                  "oneself", "inactive", "past"])
def test_invalid_substitutions_are_refused(org, other_org, people, case):
    wang, li = people
    substitute, starts, ends = li, today(), today() + dt.timedelta(days=2)
    if case == "overlap":
        away(wang, org["head_office_2"], starts=2)
    elif case == "other_agency":
        substitute = other_org["head_construction"]
    elif case == "lacking_role":
        substitute = org["secrecy"]
    elif case == "end_before_start":
        ends = starts - dt.timedelta(days=1)
    elif case == "oneself":
        substitute = wang
    elif case == "inactive":
        li.is_active = False
        li.save()
    elif case == "past":
        starts = today() - dt.timedelta(days=1)
    with pytest.raises(InvalidInput) as refused:
        name_substitute(user=wang, absent_id=wang.pk, substitute_id=substitute.pk,
                        starts_on=starts, ends_on=ends)
    assert refused.value.fields
    assert not AuditEvent.objects.filter(action=AuditAction.SUBSTITUTE_NAMED,
                                         actor=wang).exclude(data__substitute="head_office_2"
                                                             ).exists()


# ---------------------------------------------------------------- the queue stays one query

def queue_queries(user):
    """As the queue page reads it: whether they stand in today (asked once), then the
    queue with who they would act for."""
    with CaptureQueriesContext(connection) as ctx:
        standing = stands_in_today(user)
        rows = list(with_stand_in(actionable_tasks(user=user, standing=standing), user=user,
                                  standing=standing).values_list("pk", "stand_in"))
    return len(ctx), rows


def test_queue_query_count_is_the_same_with_a_substitution_and_for_5_or_20_tasks(org, people):
    wang, li = people
    for _ in range(5):
        submitted_item(org)
    without, rows = queue_queries(li)
    assert rows == []
    away(wang, li)
    small, rows = queue_queries(li)
    assert len(rows) == 5 and {name for _pk, name in rows} == {"王敏"}
    for _ in range(15):
        submitted_item(org, "drafter_construction")
    large, rows = queue_queries(li)
    assert len(rows) == 20
    assert {name for _pk, name in rows} == {None, "王敏"}  # his own section's: no 代
    assert without == small == large == 2
