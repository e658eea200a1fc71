"""File names and 文号 are scanned too; an ID with a wrong check digit is a warning.

Observed on main (issue 10, defect 12): attachment file names and 文号 were not scanned;
an ID number with a wrong check digit (17 correct digits including the birth date) was
neither reported nor masked.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from publications.models import Publication
from publications.services import add_attachment
from scanning.detectors import id_check_char
from testsupport.factories import api, create_item

pytestmark = pytest.mark.django_db

BODY17 = "41082319800101123"
VALID = BODY17 + id_check_char(BODY17)
WRONG = BODY17 + next(c for c in "0123456789" if c != id_check_char(BODY17))


def scan(org, publication):
    response = api(org["drafter_office"]).post(f"/api/v1/publications/{publication.pk}/scan/")
    assert response.status_code in (200, 202), response.json()
    return response.json()


def test_attachment_file_names_are_scanned(org):
    publication = create_item(org)
    add_attachment(user=org["drafter_office"], publication_id=publication.pk,
                   uploaded=SimpleUploadedFile(f"张三{VALID}身份证复印件.txt", b"ok"))
    add_attachment(user=org["drafter_office"], publication_id=publication.pk,
                   uploaded=SimpleUploadedFile("内部资料-会议纪要.txt", b"ok"))
    findings = scan(org, publication)["findings"]
    assert sorted((f["field"], f["kind"], f["severity"]) for f in findings) == [
        ("attachment_name:内部资料-会议纪要.txt", "secrecy_marking", "blocking"),
        (f"attachment_name:张三{VALID}身份证复印件.txt", "id_number", "blocking")]


def test_document_number_is_scanned_and_masked(org):
    publication = create_item(org, article20_item=1, document_type="normative_document",
                              document_number=f"温建〔2024〕3号（经办人{WRONG}）")
    findings = scan(org, publication)["findings"]
    [found] = [f for f in findings if f["field"] == "document_number"]
    assert (found["kind"], found["severity"], found["text"]) == ("id_number", "warning", WRONG)
    masked = api(org["drafter_office"]).post(f"/api/v1/publications/{publication.pk}/apply-masks/")
    assert masked.status_code == 200, masked.json()
    number = Publication.objects.get(pk=publication.pk).document_number
    assert WRONG not in number and WRONG[:2] + "*" * 13 + WRONG[-3:] in number


def test_id_with_a_wrong_check_digit_in_the_body_is_a_warning_and_masked(org):
    publication = create_item(org, body=f"<p>申请人身份证号：{WRONG}</p>")
    [found] = scan(org, publication)["findings"]
    assert (found["kind"], found["severity"], found["masked"]) == (
        "id_number", "warning", WRONG[:2] + "*" * 13 + WRONG[-3:])
    api(org["drafter_office"]).post(f"/api/v1/publications/{publication.pk}/apply-masks/")
    assert WRONG not in Publication.objects.get(pk=publication.pk).body
