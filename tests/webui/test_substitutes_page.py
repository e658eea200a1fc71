"""代理 in the web UI: the page at /app/review/substitutes/ (reviewers and agency admins),
the queue's "代 王敏", and the trail's "李强 代 王敏"."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.status import STATUS

from audit.models import AuditAction, AuditEvent
from testsupport.factories import submitted_item, task_for
from workflow import services as review
from workflow.models import Substitution
from workflow.substitutions import name_substitute

pytestmark = pytest.mark.postgres

PAGE = "/app/review/substitutes/"


@pytest.fixture
def people(org):
    wang, li = org["head_office"], org["head_construction"]
    wang.display_name, li.display_name = "王敏", "李强"
    wang.save()
    li.save()
    return wang, li


def day(offset=0) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


def away(wang, li, *, by=None):
    return name_substitute(user=by or wang, absent_id=wang.pk, substitute_id=li.pk,
                           starts_on=timezone.localdate(),
                           ends_on=timezone.localdate() + dt.timedelta(days=2))


def test_a_reviewer_names_a_substitute_and_sees_it_listed(client, org, people):
    wang, li = people
    client.force_login(wang)
    html = client.get(PAGE).content.decode()
    assert "设置代理" in html and "李强" in html  # an eligible colleague to choose

    response = client.post(PAGE, {"substitute": li.pk, "starts_on": day(), "ends_on": day(3)})
    assert response.status_code == 302
    substitution = Substitution.objects.get(absent=wang)
    assert substitution.substitute_id == li.pk
    html = client.get(PAGE).content.decode()
    assert f'data-testid="substitution-{substitution.pk}"' in html and "进行中" in html
    assert AuditEvent.objects.filter(action=AuditAction.SUBSTITUTE_NAMED).count() == 1


def test_the_substitute_select_offers_only_eligible_colleagues(client, org, people):
    wang, _li = people
    client.force_login(wang)
    html = client.get(PAGE).content.decode()
    options = html.split('name="substitute"')[1].split("</select>")[0]
    assert org["head_office_2"].username in options
    for username in ("secrecy", "leader", "drafter_office", "head_office"):
        assert f"（{username}）" not in options and f">{username}<" not in options


@pytest.mark.parametrize("data, error", [
    ({"starts_on": day(3), "ends_on": day(1)}, "结束日期不能早于开始日期"),
    ({"starts_on": "", "ends_on": day(1)}, ""),
])
def test_bad_input_answers_422_with_the_reason(client, org, people, data, error):
    wang, li = people
    client.force_login(wang)
    response = client.post(PAGE, {"substitute": li.pk, **data})
    assert response.status_code == 422
    assert error in response.content.decode()
    assert not Substitution.objects.exists()


def test_an_overlapping_leave_answers_422(client, org, people):
    wang, li = people
    away(wang, li)
    client.force_login(wang)
    response = client.post(PAGE, {"substitute": org["head_office_2"].pk, "starts_on": day(1),
                                  "ends_on": day(4)})
    assert response.status_code == 422
    assert "重叠" in response.content.decode()


def test_non_reviewers_get_403_and_admins_the_agency_list(client, org, people):
    wang, li = people
    substitution = away(wang, li)
    for username in ("drafter_office", "auditor", "publisher"):
        client.force_login(org[username])
        assert client.get(PAGE).status_code == 403
        assert client.post(PAGE, {}).status_code == 403
    client.force_login(org["admin"])
    html = client.get(PAGE).content.decode()
    assert 'data-testid="agency-substitutions"' in html
    assert f'data-testid="substitution-{substitution.pk}"' in html
    assert "代理" in html
    # the rest of the reviewers' application stays theirs
    assert client.get("/app/review/").status_code == 403
    # an admin names for a colleague
    response = client.post(PAGE, {"absent": org["head_construction"].pk,
                                  "substitute": org["head_office_2"].pk,
                                  "starts_on": day(5), "ends_on": day(6)})
    assert response.status_code == 302
    assert Substitution.objects.filter(absent=org["head_construction"],
                                       created_by=org["admin"]).exists()


def test_cancel_needs_post_and_the_confirmation(client, org, people):
    wang, li = people
    substitution = away(wang, li)
    url = f"{PAGE}{substitution.pk}/cancel/"
    client.force_login(wang)
    assert client.get(url).status_code == 405
    client.post(url)  # without the checkbox: nothing changes
    substitution.refresh_from_db()
    assert substitution.cancelled_at is None
    response = client.post(url, {"confirm": "1"})
    assert response.status_code == 302
    substitution.refresh_from_db()
    assert substitution.cancelled_at is not None
    client.force_login(org["head_office_2"])  # not theirs to cancel
    other = away(org["head_construction"], org["head_office_2"],
                 by=org["head_construction"])
    assert client.post(f"{PAGE}{other.pk}/cancel/", {"confirm": "1"}).status_code == 403


def test_the_queue_shows_for_whom_and_the_trail_shows_both_names(client, org, people):
    wang, li = people
    away(wang, li)
    publication = submitted_item(org)
    task = task_for(li, publication)
    client.force_login(li)
    html = client.get("/app/review/").content.decode()
    assert 'data-testid="stand-in"' in html and "代 王敏" in html

    review.approve_task(user=li, task_id=task.pk, comment="同意")
    task.refresh_from_db()
    assert task.status == STATUS.DONE
    client.force_login(org["auditor"])
    trail = client.get(f"/app/audit/items/{publication.pk}/").content.decode()
    assert "李强 代 王敏" in trail
    assert "李强 代 王敏" in client.get("/app/audit/").content.decode()
    client.force_login(org["drafter_office"])
    item_page = client.get(f"/app/items/{publication.pk}/").content.decode()
    assert "李强 代 王敏" in item_page  # 审核意见


def test_queue_page_query_count_is_the_same_for_5_and_20_tasks(client, org, people):
    wang, li = people
    away(wang, li)
    client.force_login(li)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/app/review/").status_code == 200
        return len(ctx)

    for _ in range(5):
        submitted_item(org)
    client.get("/app/review/")  # warm caches
    small = queries()
    for _ in range(15):
        submitted_item(org)
    assert queries() == small
