"""Claims that outlive their holder's right to them never leave a task stuck.

A section head or a leader covering the item's section takes back a colleague's claim
(audited, the colleague told); deactivating a person, or taking away the role or the
section that let them hold a task, releases their claims in the same transaction; a
person whose roles change mid-round still acts at most once in it.
"""

import pytest
from django.contrib.auth.models import Permission
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from agencies.models import Role
from audit.models import AuditAction, AuditEvent
from core.errors import Conflict, NotFound, NotPermitted
from notifications.models import Notification
from notifications.texts import email_of, headline
from publications.models import Publication
from releases.models import Release
from testsupport.factories import (
    api,
    approve_through,
    make_user,
    submitted_item,
    task_for,
)
from workflow import services as review

pytestmark = pytest.mark.django_db


def claimed_by(org, username, publication):
    task = task_for(org[username], publication)
    review.claim_task(user=org[username], task_id=task.pk)
    task.refresh_from_db()
    assert task.status == STATUS.ASSIGNED and task.owner_id == org[username].pk
    return task


def events(publication, action):
    return list(AuditEvent.objects.filter(subject_id=publication.pk, action=action)
                .order_by("seq"))


def notices(user, kind):
    return list(Notification.objects.filter(recipient=user, kind=kind))


# ---------------------------------------------------------------- taking a claim back

def test_another_head_of_the_section_takes_back_a_claim_and_it_returns_to_the_queue(org):
    publication = submitted_item(org)
    task = claimed_by(org, "head_office", publication)

    review.take_back_claim(user=org["head_office_2"], task_id=task.pk)

    task.refresh_from_db()
    assert task.status == STATUS.NEW and task.owner_id is None
    [event] = events(publication, AuditAction.CLAIM_TAKEN_BACK)
    assert event.actor_id == org["head_office_2"].pk
    assert event.tier == "section_head_review"
    assert event.data["previous_holder"] == org["head_office"].username
    assert event.data["previous_holder_id"] == org["head_office"].pk
    # the colleague is told, and the task is theirs or anyone's again
    [told] = notices(org["head_office"], "claim_taken_back")
    assert told.task_id == task.pk
    assert headline(told) == "您签收的科室审核任务已被收回"
    subject, body = email_of(told)
    assert str(org["head_office_2"]) in body and f"/app/review/tasks/{task.pk}/" in body
    assert api(org["head_office"]).post(f"/api/v1/tasks/{task.pk}/claim/").status_code == 200


def test_taking_back_and_claiming_in_one_step_gives_the_task_to_the_taker(org):
    publication = submitted_item(org)
    task = claimed_by(org, "head_office", publication)
    Notification.objects.all().delete()

    review.take_back_claim(user=org["head_office_2"], task_id=task.pk, claim=True)

    task.refresh_from_db()
    assert task.status == STATUS.ASSIGNED and task.owner_id == org["head_office_2"].pk
    assert [e.action for e in AuditEvent.objects.filter(subject_id=publication.pk)
            .order_by("-seq")[:2]][::-1] == [AuditAction.CLAIM_TAKEN_BACK, AuditAction.CLAIM]
    assert notices(org["head_office"], "claim_taken_back")
    assert not Notification.objects.filter(kind="task_queued").exists()  # nobody to queue for
    review.approve_task(user=org["head_office_2"], task_id=task.pk)


def test_a_leader_covering_the_section_takes_back_a_confidentiality_claim(org):
    publication = approve_through(org, submitted_item(org), "head_office")
    task = claimed_by(org, "secrecy", publication)
    Notification.objects.all().delete()

    review.take_back_claim(user=org["leader"], task_id=task.pk)

    task.refresh_from_db()
    assert task.status == STATUS.NEW
    # the confidentiality reviewers are told it waits again; the one who held it is told why
    assert notices(org["secrecy_2"], "task_queued")
    assert notices(org["secrecy"], "claim_taken_back")
    assert not notices(org["secrecy"], "task_queued")
    # the leader cannot also claim what is not their step
    other = approve_through(org, submitted_item(org), "head_office")
    other_task = claimed_by(org, "secrecy", other)
    with pytest.raises(NotPermitted):
        review.take_back_claim(user=org["leader"], task_id=other_task.pk, claim=True)
    other_task.refresh_from_db()
    assert other_task.owner_id == org["secrecy"].pk


@pytest.mark.parametrize("who", ["leader_construction", "head_construction", "drafter_office",
                                 "auditor", "secrecy_2", "publisher"])
def test_only_heads_and_covering_leaders_of_the_section_take_back_claims(org, who):
    publication = submitted_item(org)
    task = claimed_by(org, "head_office", publication)
    with pytest.raises(NotPermitted):
        review.take_back_claim(user=org[who], task_id=task.pk)
    task.refresh_from_db()
    assert task.owner_id == org["head_office"].pk
    assert not events(publication, AuditAction.CLAIM_TAKEN_BACK)


def test_the_drafter_never_takes_back_a_claim_on_their_own_item_even_as_a_head(org):
    publication = submitted_item(org, drafter="drafting_head")
    task = claimed_by(org, "head_office", publication)
    with pytest.raises(NotPermitted):
        review.take_back_claim(user=org["drafting_head"], task_id=task.pk)


def test_another_agency_does_not_find_the_task(org, other_org):
    task = claimed_by(org, "head_office", submitted_item(org))
    with pytest.raises(NotFound):
        review.take_back_claim(user=other_org["head_office"], task_id=task.pk)


def test_a_task_nobody_holds_or_ones_own_claim_is_a_conflict(org):
    publication = submitted_item(org)
    task = task_for(org["head_office"], publication)
    with pytest.raises(Conflict):
        review.take_back_claim(user=org["head_office_2"], task_id=task.pk)
    review.claim_task(user=org["head_office"], task_id=task.pk)
    with pytest.raises(Conflict):
        review.take_back_claim(user=org["head_office"], task_id=task.pk)
    review.approve_task(user=org["head_office"], task_id=task.pk)
    with pytest.raises(Conflict):
        review.take_back_claim(user=org["head_office_2"], task_id=task.pk)


def test_take_back_through_the_api(org, other_org):
    publication = submitted_item(org)
    task = claimed_by(org, "head_office", publication)
    url = f"/api/v1/tasks/{task.pk}/take-back/"

    assert api(org["auditor"]).post(url).status_code == 403
    assert api(org["drafter_office"]).post(url).status_code == 403
    assert api(other_org["head_office"]).post(url).status_code == 404
    assert api(org["head_office_2"]).post(url, {"claim": "maybe"}, format="json").status_code == 400
    response = api(org["head_office_2"]).post(url, {"claim": True}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"id": task.pk, "step": "section_head_review",
                               "status": "assigned", "owner": org["head_office_2"].username}
    assert api(org["leader"]).post(url).json()["owner"] is None
    again = api(org["leader"]).post(url)
    assert again.status_code == 409 and "detail" in again.json()
    assert api(org["leader"]).post("/api/v1/tasks/999999/take-back/").status_code == 404


def test_take_back_is_in_the_served_schema(org):
    schema = api(org["head_office"]).get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/tasks/{id}/take-back/"]["post"]
    assert set(operation["responses"]) >= {"200", "403", "404", "409"}


# ---------------------------------------------------------------- claims that lose their holder

def test_deactivating_a_person_releases_their_claims_and_tells_the_queue(org):
    publication = submitted_item(org)
    task = claimed_by(org, "head_office", publication)
    Notification.objects.all().delete()
    person = org["head_office"]

    person.is_active = False
    person.save()

    task.refresh_from_db()
    assert task.status == STATUS.NEW and task.owner_id is None
    [event] = events(publication, AuditAction.CLAIM_RELEASED)
    assert event.actor_id is None  # nobody acted on the task: the system released it
    assert event.data == {"previous_holder": person.username, "previous_holder_id": person.pk,
                          "reason": "inactive"}
    assert notices(org["head_office_2"], "task_queued")
    review.approve_task(user=org["head_office_2"], task_id=task.pk)


def test_taking_away_the_role_releases_the_claim(org):
    publication = approve_through(org, submitted_item(org), "head_office", "secrecy")
    task = claimed_by(org, "leader", publication)
    leader = org["leader"]
    leader.roles = [Role.PUBLISHER]
    leader.save(update_fields=["roles"])

    task.refresh_from_db()
    assert task.status == STATUS.NEW
    [event] = events(publication, AuditAction.CLAIM_RELEASED)
    assert event.data["reason"] == "no_longer_permitted"
    # the second leader covering the section finishes the round
    leader_2 = make_user(org.agency, "leader_2", [Role.LEADER], covered=[org.sections["office"]])
    review.approve_task(user=leader_2, task_id=task.pk)
    assert Publication.objects.get(pk=publication.pk).status == "approved"


def test_removing_a_head_from_the_section_releases_their_claim(org):
    publication = submitted_item(org)
    task = claimed_by(org, "head_office", publication)
    org.sections["office"].heads.remove(org["head_office"])

    task.refresh_from_db()
    assert task.status == STATUS.NEW
    assert events(publication, AuditAction.CLAIM_RELEASED)


def test_an_unrelated_change_keeps_the_claim(org):
    publication = submitted_item(org)
    task = claimed_by(org, "head_office", publication)
    person = org["head_office"]
    person.display_name = "新名字"
    person.save()
    org.sections["office"].leaders.remove(org["leader"])

    task.refresh_from_db()
    assert task.status == STATUS.ASSIGNED and task.owner_id == person.pk
    assert not events(publication, AuditAction.CLAIM_RELEASED)


@pytest.fixture
def agency_admin(org):
    admin = make_user(org.agency, "agency_admin_1", [Role.AGENCY_ADMIN], is_staff=True)
    admin.user_permissions.set(Permission.objects.filter(content_type__app_label="agencies"))
    return admin


def _admin_person_form(person, **changes):
    data = {"username": person.username, "display_name": person.display_name,
            "agency": person.agency_id, "section": person.section_id or "",
            "roles": list(person.roles), "is_active": "on" if person.is_active else "",
            "date_joined_0": "2024-01-01", "date_joined_1": "08:00:00",
            "first_name": "", "last_name": "", "email": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_deactivating_in_the_admin_releases_claims_in_the_admins_name(client, org, agency_admin):
    publication = submitted_item(org)
    task = claimed_by(org, "head_office", publication)
    person = org["head_office"]
    client.force_login(agency_admin)

    response = client.post(f"/admin/agencies/user/{person.pk}/change/",
                           _admin_person_form(person, is_active=None))
    assert response.status_code == 302, response.content.decode()[:2000]

    person.refresh_from_db()
    task.refresh_from_db()
    assert not person.is_active
    assert task.status == STATUS.NEW
    [event] = events(publication, AuditAction.CLAIM_RELEASED)
    assert event.actor_id == agency_admin.pk and event.data["reason"] == "inactive"


def test_removing_the_role_in_the_admin_releases_the_claim(client, org, agency_admin):
    publication = submitted_item(org)
    task = claimed_by(org, "head_office", publication)
    client.force_login(agency_admin)
    person = org["head_office"]

    response = client.post(f"/admin/agencies/user/{person.pk}/change/",
                           _admin_person_form(person, roles=[Role.DRAFTER]))
    assert response.status_code == 302

    task.refresh_from_db()
    assert task.status == STATUS.NEW
    [event] = events(publication, AuditAction.CLAIM_RELEASED)
    assert event.actor_id == agency_admin.pk


def test_taking_a_head_off_the_section_in_the_admin_releases_the_claim(client, org,
                                                                      agency_admin):
    publication = submitted_item(org)
    task = claimed_by(org, "head_office", publication)
    office = org.sections["office"]
    client.force_login(agency_admin)

    response = client.post(f"/admin/agencies/section/{office.pk}/change/", {
        "agency": office.agency_id, "code": office.code, "name": office.name,
        "heads": [org["head_office_2"].pk, org["drafting_head"].pk],
        "leaders": [org["leader"].pk]})
    assert response.status_code == 302, response.content.decode()[:2000]

    task.refresh_from_db()
    assert task.status == STATUS.NEW
    [event] = events(publication, AuditAction.CLAIM_RELEASED)
    assert event.actor_id == agency_admin.pk


def test_deactivate_person_service(org, other_org, agency_admin):
    publication = submitted_item(org)
    task = claimed_by(org, "head_office", publication)
    with pytest.raises(NotPermitted):
        review.deactivate_person(user=org["leader"], person_id=org["head_office"].pk)
    with pytest.raises(NotFound):
        review.deactivate_person(user=agency_admin, person_id=other_org["head_office"].pk)
    assert other_org["head_office"].__class__.objects.get(pk=other_org["head_office"].pk).is_active

    review.deactivate_person(user=agency_admin, person_id=org["head_office"].pk)

    task.refresh_from_db()
    assert task.status == STATUS.NEW
    assert not org["head_office"].__class__.objects.get(pk=org["head_office"].pk).is_active
    [event] = events(publication, AuditAction.CLAIM_RELEASED)
    assert event.actor_id == agency_admin.pk


# ---------------------------------------------------------------- roles changed mid-round

def test_a_reviewer_who_lost_a_second_role_cannot_act_again_in_the_round(org):
    """One person heads the office and covers it as a leader. After their section-head
    approval they lose the section-head role: with one role left they used to be offered
    and able to claim the leadership task, whose approval then had to be refused (one
    person, two tiers), so their claim kept the round from ever being released."""
    both = make_user(org.agency, "head_and_leader", [Role.SECTION_HEAD, Role.LEADER],
                     org.sections["office"], headed=[org.sections["office"]],
                     covered=[org.sections["office"]])
    publication = submitted_item(org)
    task = task_for(both, publication)
    review.approve_task(user=both, task_id=task.pk)
    approve_through(org, publication, "secrecy")
    both.roles = [Role.LEADER]
    both.save()

    leadership = Task.objects.get(process__reviewprocess__publication=publication,
                                  flow_task_type="HUMAN", status=STATUS.NEW)
    assert not review_queue_has(both, leadership)
    with pytest.raises(NotPermitted):
        review.claim_task(user=both, task_id=leadership.pk)
    with pytest.raises(NotPermitted):
        review.approve_task(user=both, task_id=leadership.pk)
    approve_through(org, publication, "leader")
    assert publication.status == "approved"


def review_queue_has(user, task):
    from workflow.selectors import actionable_tasks

    return actionable_tasks(user=user).filter(pk=task.pk).exists()


@pytest.mark.parametrize("change", ["deactivated", "role_removed", "tie_removed"])
def test_an_approval_stands_after_its_reviewer_loses_the_role(org, change):
    """谁审查谁负责: an approval is judged by the roles held when it was given. The round
    goes on and is released with the three approvals it has."""
    publication = approve_through(org, submitted_item(org), "head_office")
    head = org["head_office"]
    if change == "deactivated":
        head.is_active = False
        head.save()
    elif change == "role_removed":
        head.roles = [Role.DRAFTER]
        head.save()
    else:
        org.sections["office"].heads.remove(head)

    approve_through(org, publication, "secrecy", "leader")
    assert publication.status == "approved"
    assert Release.objects.filter(publication=publication).count() == 2


def test_heads_and_leaders_list_what_colleagues_hold_in_their_sections(org):
    office_item = submitted_item(org)
    task = claimed_by(org, "head_office", office_item)
    elsewhere = claimed_by(org, "head_construction", submitted_item(org, "drafter_construction"))

    def held(username, **params):
        response = api(org[username]).get("/api/v1/tasks/", {"held": "others", **params})
        assert response.status_code == 200
        return [(t["id"], t["owner"]) for t in response.json()["results"]]

    assert held("head_office_2") == [(task.pk, org["head_office"].username)]
    assert held("head_office") == []  # one's own claim is in one's queue, not here
    assert held("leader") == [(task.pk, org["head_office"].username),
                              (elsewhere.pk, org["head_construction"].username)]
    assert held("leader", section="construction") == [
        (elsewhere.pk, org["head_construction"].username)]
    assert held("leader", step="secrecy_review") == []
    assert held("leader_construction") == [(elsewhere.pk, org["head_construction"].username)]
    for nobody in ("secrecy", "auditor", "drafter_office"):
        assert held(nobody) == []


def test_a_change_behind_the_models_back_is_caught_by_the_sweep_command(org):
    from django.core.management import call_command

    publication = submitted_item(org)
    task = claimed_by(org, "head_office", publication)
    kept = claimed_by(org, "head_office_2", submitted_item(org))
    type(org["head_office"]).objects.filter(pk=org["head_office"].pk).update(is_active=False)
    task.refresh_from_db()
    assert task.status == STATUS.ASSIGNED  # nothing heard the UPDATE

    call_command("release_lost_claims")

    task.refresh_from_db()
    kept.refresh_from_db()
    assert task.status == STATUS.NEW and kept.owner_id == org["head_office_2"].pk
    [event] = events(publication, AuditAction.CLAIM_RELEASED)
    assert event.actor_id is None and event.data["reason"] == "inactive"
