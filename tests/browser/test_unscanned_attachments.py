"""The confidentiality reviewer meets an attachment the pre-scan could not read: the
approval is refused until they acknowledge the file with a note, on the task page."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.selectors import subject_trail
from publications.models import Publication
from publications.services import add_attachment
from tests.browser.helpers import log_in
from testsupport.factories import approve_through, create_item, make_org
from workflow import services as review

pytestmark = pytest.mark.postgres

OLD_DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600


def test_the_reviewer_acknowledges_an_unreadable_attachment_then_approves(page, shot):
    org = make_org(code="wenxian_housing")
    publication = create_item(org, title="关于2024年公租房分配会议纪要的公示")
    add_attachment(user=org["drafter_office"], publication_id=publication.pk,
                   uploaded=SimpleUploadedFile("会议纪要.doc", OLD_DOC))
    review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
    approve_through(org, publication, "head_office")  # the scan runs after this commit

    log_in(page, org["secrecy"], next_path="/app/review/")
    page.locator("tr", has_text=publication.title).get_by_role("button", name="签收").click()
    page.wait_for_url(re.compile(r".*/app/review/tasks/\d+/$"))
    listed = page.get_by_test_id("unscanned")
    assert "会议纪要.doc" in listed.inner_text()
    assert "未能检查" in listed.inner_text()

    page.locator("#decide-approve").get_by_role("button", name="通过").click()
    page.wait_for_url(re.compile(r".*/app/review/tasks/\d+/approve/$"))  # shown again (422)
    assert "个附件未能自动检查" in page.locator("#decide-approve .webui-errors").inner_text()
    shot(page, "unscanned-refused")

    form = page.get_by_test_id("acknowledge-0")
    form.get_by_role("button", name="确认已人工检查").click()  # no note: refused at the field
    assert page.locator(".webui-field-error", has_text="请说明人工检查的结果。").is_visible()
    form = page.get_by_test_id("acknowledge-0")
    form.locator("textarea").fill("已打开原件逐页核对，无涉密及个人信息")
    form.get_by_role("button", name="确认已人工检查").click()
    page.wait_for_url(re.compile(r".*/app/review/tasks/\d+/#unscanned$"))
    assert "已确认该附件经人工检查。" in page.get_by_role("status").first.inner_text()
    assert "已打开原件逐页核对" in page.get_by_test_id("unscanned").inner_text()
    assert page.get_by_test_id("acknowledged-0").is_visible()
    shot(page, "unscanned-acknowledged")

    page.locator("#decide-approve").get_by_role("button", name="通过").click()
    page.wait_for_url(re.compile(r".*/app/review/(mine/)?(\?.*)?$"))
    publication = Publication.objects.get(pk=publication.pk)
    assert subject_trail(subject=publication).filter(action="unscanned_acknowledged").exists()
    assert subject_trail(subject=publication).order_by("seq").last().action == "approve"
