"""The content fingerprint: what reviewers approve is what gets released."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from viewflow.workflow.models import Task

from audit.models import AuditEvent
from audit.selectors import subject_trail
from core.errors import Conflict
from publications.models import Publication
from publications.services import add_attachment, update_publication
from releases.models import Release
from testsupport.factories import approve_through, create_item, submitted_item, task_for
from workflow import services as review

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field, value", [
    ("title", "关于开展建筑施工安全大检查的补充通知"),
    ("body", "<p>检查时间调整为4月。</p>"),
    ("category", "licensing"),
    ("article20_item", 6),
    ("formed_on", dt.date(2024, 3, 2)),
    ("channels", ["website"]),
    ("document_number", "温建〔2024〕9号"),
    ("fee_amount_yuan", Decimal("120.50")),
    ("decision_count", 4),
    ("effective_on", dt.date(2024, 5, 1)),
])
def test_every_hashed_field_changes_the_fingerprint(org, field, value):
    publication = create_item(org)
    before = publication.fingerprint
    updated = update_publication(user=org["drafter_office"], publication_id=publication.pk,
                                 data={field: value})
    assert updated.fingerprint != before


def test_attachment_changes_the_fingerprint(org):
    publication = create_item(org)
    before = publication.fingerprint
    add_attachment(user=org["drafter_office"], publication_id=publication.pk,
                   uploaded=SimpleUploadedFile("名单.pdf", b"%PDF-1.4 list", "application/pdf"))
    publication.refresh_from_db()
    assert publication.fingerprint != before


def test_whitespace_only_title_change_keeps_fingerprint_and_writes_nothing(org):
    publication = create_item(org)
    events = AuditEvent.objects.count()
    updated = update_publication(user=org["drafter_office"], publication_id=publication.pk,
                                 data={"title": "  " + publication.title + " "})
    assert updated.fingerprint == publication.fingerprint
    assert AuditEvent.objects.count() == events


def test_round_one_approvals_do_not_count_after_a_change(org):
    publication = submitted_item(org)
    approve_through(org, publication, "head_office", "secrecy")
    review.reject_task(user=org["leader"], task_id=task_for(org["leader"], publication).pk,
                       comment="补充附件")
    update_publication(user=org["drafter_office"], publication_id=publication.pk,
                       data={"body": "<p>已补充。</p>"})
    review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
    publication.refresh_from_db()
    # the leader cannot jump in: round 2 starts at the section head again
    assert [t.flow_task.name for t in
            [task_for(org["head_office"], publication)]] == ["section_head_review"]
    with pytest.raises(Task.DoesNotExist):
        task_for(org["leader"], publication)
    approve_through(org, publication, "head_office", "secrecy", "leader")
    release_prints = set(Release.objects.filter(publication=publication)
                         .values_list("fingerprint", flat=True))
    assert release_prints == {publication.fingerprint}


def test_content_changed_behind_the_services_during_review_forces_a_new_round(org):
    publication = submitted_item(org)
    approve_through(org, publication, "head_office")
    # someone changes the content behind the services' back (e.g. directly in the database)
    Publication.objects.filter(pk=publication.pk).update(body="<p>被篡改的内容</p>",
                                                         fingerprint="0" * 64)
    task = task_for(org["secrecy"], publication)
    with pytest.raises(Conflict):
        review.approve_task(user=org["secrecy"], task_id=task.pk)
    publication.refresh_from_db()
    assert publication.status == "returned"
    assert publication.fingerprint != "0" * 64  # recomputed from the content as it now is
    assert not Release.objects.filter(publication=publication).exists()
    last = subject_trail(subject=publication).order_by("-seq").first()
    assert last.action == "content_changed" and last.tier == "secrecy_review"

    review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
    publication = approve_through(org, publication, "head_office", "secrecy", "leader")
    assert publication.status == "approved" and publication.round == 2


def test_final_approval_refuses_release_of_stale_content(org):
    """Content altered without touching the stored fingerprint is caught at release."""
    publication = submitted_item(org)
    approve_through(org, publication, "head_office", "secrecy")
    Publication.objects.filter(pk=publication.pk).update(title="篡改后的标题")
    task = task_for(org["leader"], publication)
    with pytest.raises(Conflict):
        review.approve_task(user=org["leader"], task_id=task.pk)
    publication.refresh_from_db()
    assert publication.status == "returned"
    assert not Release.objects.filter(publication=publication).exists()
    assert not subject_trail(subject=publication).filter(action="approve",
                                         tier="leadership_review").exists()


def test_abolished_documents_are_part_of_the_fingerprint(org):
    document = submitted_item(org, document_type="normative_document",
                              document_number="温建〔2023〕1号")
    approve_through(org, document, "head_office", "secrecy", "leader")
    publication = create_item(org)
    before = publication.fingerprint
    updated = update_publication(user=org["drafter_office"], publication_id=publication.pk,
                                 data={"abolishes": [document.pk]})
    assert updated.fingerprint != before
    retitled = update_publication(user=org["drafter_office"], publication_id=publication.pk,
                                  data={"title": "关于废止有关文件的决定"})
    assert retitled.fingerprint != updated.fingerprint
    assert list(retitled.abolishes.values_list("pk", flat=True)) == [document.pk]
    from publications.fingerprint import fingerprint_of

    assert fingerprint_of(retitled) == retitled.fingerprint
