"""The confidentiality reviewer's task page lists attachments the pre-scan could not read
and offers, to the reviewer deciding, to acknowledge each one with a note."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from audit.models import AuditAction
from audit.selectors import subject_trail
from publications.services import add_attachment
from scanning.services import current_report, scan_attachments, scan_if_missing
from testsupport.factories import approve_through, create_item
from workflow import services as review

from .test_review_pages import INBOX, claimed_by, login, messages_of, page, task_url

pytestmark = pytest.mark.postgres

OLD_DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
URL = "unscanned/acknowledge"


def at_secrecy_with_a_legacy_doc(org):
    publication = create_item(org)
    add_attachment(user=org["drafter_office"], publication_id=publication.pk,
                   uploaded=SimpleUploadedFile("会议纪要.doc", OLD_DOC))
    review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
    publication = approve_through(org, publication, "head_office")
    scan_if_missing(publication.pk)
    report = current_report(publication)
    scan_attachments(report.pk, report.run)  # the worker's part
    return publication


def test_only_the_reviewing_secrecy_reviewer_is_offered_the_acknowledgement(client, org):
    publication = at_secrecy_with_a_legacy_doc(org)
    task = claimed_by(org["secrecy"], publication)
    html = page(login(client, org["secrecy"]), task_url(task))
    listed = re.search(r'data-testid="unscanned">(.*?)</ul>', html, re.S).group(1)
    assert "会议纪要.doc" in listed and "未能检查：无法读取该文件" in listed
    assert 'data-testid="acknowledge-0"' in listed and "确认已人工检查" in listed
    for username in ("head_office", "secrecy_2"):  # not a secrecy reviewer; not claimed
        other = page(login(client, org[username]), task_url(task))
        assert "会议纪要.doc" in other and 'data-testid="acknowledge-0"' not in other


def test_approval_is_refused_on_the_page_until_the_file_is_acknowledged(client, org):
    org["secrecy"].display_name = "李保密"
    org["secrecy"].save()
    publication = at_secrecy_with_a_legacy_doc(org)
    task = claimed_by(org["secrecy"], publication)
    login(client, org["secrecy"])
    refused = client.post(task_url(task, "approve"), {"comment": "已核对"})
    assert refused.status_code == 422  # the task page again, the comment kept
    decision = re.search(r'id="decide-approve">(.*?)</section>', refused.content.decode(),
                         re.S).group(1)
    assert "有 1 个附件未能自动检查" in decision and "已核对</textarea>" in decision

    empty = client.post(task_url(task, URL), {"field": "attachment:会议纪要.doc", "note": " ",
                                              "index": "0"})
    assert empty.status_code == 422 and "请说明人工检查的结果。" in empty.content.decode()

    note = "已打开原件逐页核对，无涉密内容"
    done = client.post(task_url(task, URL), {"field": "attachment:会议纪要.doc", "note": note,
                                             "index": "0"}, follow=True)
    assert messages_of(done) == ["已确认该附件经人工检查。"]
    html = done.content.decode()
    assert "李保密 于" in html and "已打开原件逐页核对，无涉密内容" in html
    assert 'data-testid="acknowledge-0"' not in html
    event = subject_trail(subject=publication).get(action=AuditAction.UNSCANNED_ACKNOWLEDGED)
    assert event.actor == org["secrecy"]

    approved = client.post(task_url(task, "approve"), {"comment": ""}, follow=True)
    assert approved.redirect_chain[-1][0] == INBOX
    assert Task.objects.get(pk=task.pk).status == STATUS.DONE
