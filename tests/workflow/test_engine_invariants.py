"""Engine rules that viewflow alone would not keep."""

from dataclasses import replace

import pytest
from viewflow.workflow.nodes.view import ViewActivation

from core.errors import Conflict, NotPermitted
from publications.models import Publication
from releases.models import Release
from releases.services import create_releases_for_approval
from testsupport.factories import approve_through, submitted_item, task_for
from workflow import services as review
from workflow.flows import ReviewActivation, ReviewFlow
from workflow.models import ReviewProcess
from workflow.services import approval_of

pytestmark = pytest.mark.django_db


def _cancel_and_revive(task, activation_class):
    with ReviewFlow.lock(task.process_id):
        task.refresh_from_db()
        activation_class(task).cancel()
        task.refresh_from_db()
        return activation_class(task).revive()


def test_revived_review_task_stays_restricted_to_the_sections_heads(org):
    publication = submitted_item(org)
    task = task_for(org["head_office"], publication)
    assert ReviewFlow.section_head_review.activation_class is ReviewActivation
    revived = _cancel_and_revive(task, ReviewActivation)

    assert revived.owner_permission == "workflow.section_head_review"
    assert revived.owner_permission_obj_pk == str(task.process_id)
    node = ReviewFlow.section_head_review
    assert node.can_assign(org["head_office"], revived)
    for outsider in ("head_construction", "secrecy", "auditor", "drafter_office", "publisher"):
        assert not node.can_assign(org[outsider], revived), outsider
    assert task_for(org["head_office"], publication).pk == revived.pk


def test_stock_viewflow_revive_would_open_the_task_to_everyone(org):
    """Why ReviewActivation exists: viewflow 2.4 drops owner_permission on revive."""
    publication = submitted_item(org)
    task = task_for(org["head_office"], publication)
    revived = _cancel_and_revive(task, ViewActivation)
    assert revived.owner_permission is None
    assert ReviewFlow.section_head_review.can_assign(org["auditor"], revived)


def test_viewflow_permission_checks_follow_separation_of_duties(org):
    publication = submitted_item(org, drafter="drafting_head")
    task = task_for(org["head_office"], publication)
    node = ReviewFlow.section_head_review
    assert node.can_assign(org["head_office"], task)
    assert not node.can_assign(org["drafting_head"], task)  # drafted it


def test_releases_cannot_be_created_before_all_tiers_approved(org):
    publication = submitted_item(org)
    approve_through(org, publication, "head_office", "secrecy")
    review_process = ReviewProcess.objects.get(publication=publication, round=1)
    with pytest.raises(Conflict):
        approval_of(review_process=review_process, publication=publication)
    assert not Release.objects.filter(publication=publication).exists()


def test_releases_refuse_a_round_whose_approvals_were_for_other_content(org):
    publication = submitted_item(org)
    approve_through(org, publication, "head_office", "secrecy", "leader")
    review_process = ReviewProcess.objects.get(publication=publication, round=1)
    Release.objects.filter(publication=publication).delete()
    Publication.objects.filter(pk=publication.pk).update(body="<p>另一份内容</p>")
    publication.refresh_from_db()
    approval = approval_of(review_process=review_process, publication=publication)
    with pytest.raises(Conflict):
        create_releases_for_approval(approval=approval)


def test_releases_refuse_an_approval_naming_the_drafter_or_one_person_twice(org):
    """Releases check what they are handed, whoever builds the Approval."""
    publication = submitted_item(org)
    approve_through(org, publication, "head_office", "secrecy", "leader")
    Release.objects.filter(publication=publication).delete()
    publication.refresh_from_db()
    review_process = ReviewProcess.objects.get(publication=publication, round=1)
    approval = approval_of(review_process=review_process, publication=publication)
    for approvers in ((publication.drafter_id, *approval.approvers[1:]),
                      (approval.approvers[0],) * 3):
        with pytest.raises(Conflict):
            create_releases_for_approval(approval=replace(approval, approvers=approvers))
    assert not Release.objects.filter(publication=publication).exists()
    assert len(create_releases_for_approval(approval=approval)) == publication.channels.count()


def test_a_reviewer_whose_role_changed_after_deciding_cannot_decide_another_tier(org):
    """The section head approves; an admin then makes them a confidentiality reviewer only.
    With one reviewer role they were not checked for having acted in the round, so they
    approved a second tier: one person, two decisions in one round."""
    head = org["head_office"]
    publication = approve_through(org, submitted_item(org), "head_office")
    head.roles = ["secrecy_reviewer"]
    head.save(update_fields=["roles"])

    secrecy_task = task_for(org["secrecy"], publication)
    with pytest.raises(NotPermitted):
        review.approve_task(user=head, task_id=secrecy_task.pk)
    approve_through(org, publication, "secrecy", "leader")
    assert publication.status == "approved"
    assert Release.objects.filter(publication=publication).count() == 2
