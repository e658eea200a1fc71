"""Search on the drafter's list and the review queues: by title or 文号 (and status), with an
empty state that says what to do, and no error for a hand-edited filter."""

import pytest

from testsupport.factories import create_item, submitted_item

pytestmark = pytest.mark.django_db


def test_the_drafters_list_searches_by_title_number_and_status(client, org):
    create_item(org, title="关于城区道路施工的通告", document_number="温住建〔2024〕7号")
    submitted_item(org, title="关于公租房租金的通知")
    client.force_login(org["drafter_office"])
    assert "道路施工" in client.get("/app/items/?q=道路").content.decode()
    html = client.get("/app/items/?q=道路").content.decode()
    assert "公租房" not in html
    html = client.get("/app/items/?q=〔2024〕7号").content.decode()
    assert "道路施工" in html and "公租房" not in html
    html = client.get("/app/items/?status=in_review").content.decode()
    assert "公租房" in html and "道路施工" not in html
    html = client.get("/app/items/?q=不存在").content.decode()
    assert 'data-testid="no-match"' in html and "清除筛选" in html
    # a status nobody has: ignored, not a 500
    assert client.get("/app/items/?status=nonsense").status_code == 200


def test_the_review_queue_searches_by_title_and_number(client, org):
    submitted_item(org, title="关于城区道路施工的通告", document_number="温住建〔2024〕7号")
    submitted_item(org, title="关于公租房租金的通知")
    client.force_login(org["head_office"])
    html = client.get("/app/review/?q=道路").content.decode()
    assert "道路施工" in html and "公租房" not in html
    html = client.get("/app/review/?q=7号").content.decode()
    assert "道路施工" in html and "公租房" not in html
    html = client.get("/app/review/?q=不存在").content.decode()
    assert "没有符合筛选条件的审核任务" in html
