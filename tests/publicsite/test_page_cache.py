"""The column's server-side page cache (publicsite.cache, core.column_cache): a page asked for
again is answered without the database, conditional requests get 304, and every release,
retraction or configuration change shows on the very next request.

Each test runs against the local-memory cache (the embedded mode) and Redis (production),
through the full middleware stack of the test client.
"""

import os
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date

from core import column_cache
from releases import delivery
from releases.models import Release
from releases.services import retract_publication
from tests.publicsite.test_public_site import (
    BASE,
    approved_item,
    feed_entries,
    item_url,
    sitemap_locs,
    text,
)

pytestmark = pytest.mark.django_db

BACKENDS = {
    "locmem": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
               "LOCATION": "column-cache-tests"},
    "redis": {"BACKEND": "core.redis_cache.RedisCache",
              "LOCATION": os.environ.get("REDIS_URL", "")},
}


@pytest.fixture(params=sorted(BACKENDS), autouse=True)
def backend(request, settings):
    if request.param == "redis" and not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis (set REDIS_URL)")
    settings.CACHES = {"default": {**BACKENDS[request.param],
                                   "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    return request.param


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run a service as if its transaction committed: its after-commit work runs too."""
    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)
    return run


def released(org, on_commit, **overrides):
    """Approved, then delivered to the site by the delivery engine."""
    publication = approved_item(org, **overrides)
    site = Release.objects.get(publication=publication, channel__kind="site")
    on_commit(delivery.deliver, site.pk)
    return publication


def queries(client, url, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    return response, len(ctx)


def test_a_released_item_is_served_from_the_cache_on_the_second_request_without_a_query(
        client, org, on_commit):
    publication = released(org, on_commit, title="关于开展建筑施工安全大检查的通知")
    first, rendered = queries(client, item_url(publication))
    assert first.status_code == 200 and rendered > 0
    again, count = queries(client, item_url(publication))
    assert count == 0
    assert again.status_code == 200
    assert again.content == first.content
    # the same headers, those of the security and clickjacking middleware among them
    assert dict(again.headers) == dict(first.headers)
    assert again["X-Frame-Options"] == "DENY"
    assert again["X-Content-Type-Options"] == "nosniff"
    assert again["Cache-Control"] == "public, max-age=60"
    assert "Cookie" not in again.get("Vary", "") and "Accept-Language" not in again.get(
        "Vary", "")
    assert not again.cookies


def test_index_feed_and_sitemap_are_served_from_the_cache_too(client, org, on_commit):
    released(org, on_commit)
    for url in [f"{BASE}/", f"{BASE}/category/work_updates/", f"{BASE}/item20/12/",
                f"{BASE}/reports/", f"{BASE}/feed.atom", f"{BASE}/sitemap.xml",
                f"{BASE}/category/work_updates/?page=2"]:
        assert queries(client, url)[0].status_code == 200, url
        assert queries(client, url)[1] == 0, url


def test_searches_and_other_queries_are_not_kept(client, org, on_commit):
    released(org, on_commit)
    for url in [f"{BASE}/search/?q=通知", f"{BASE}/?utm_source=x",
                f"{BASE}/category/work_updates/?page=101"]:
        queries(client, url)
        assert queries(client, url)[1] > 0, url


def test_a_staff_members_request_is_answered_from_the_cache_but_never_fills_it(
        client, org, on_commit):
    publication = released(org, on_commit)
    client.force_login(org["drafter_office"])
    assert queries(client, item_url(publication))[1] > 0  # the session was read: not kept
    assert queries(client, item_url(publication))[1] > 0
    client.logout()
    client.cookies.clear()
    queries(client, item_url(publication))
    client.force_login(org["drafter_office"])
    response, count = queries(client, item_url(publication))
    assert response.status_code == 200 and count == 0
    assert not response.cookies  # nor is the session touched by a cached page


def test_if_none_match_and_if_modified_since_answer_304_from_the_cache(client, org, on_commit):
    publication = released(org, on_commit)
    first = client.get(item_url(publication))
    etag, modified = first["ETag"], first["Last-Modified"]
    response, count = queries(client, item_url(publication), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304 and count == 0
    assert not response.content
    assert response["ETag"] == etag and response["Cache-Control"] == "public, max-age=60"
    response, count = queries(client, item_url(publication), HTTP_IF_MODIFIED_SINCE=modified)
    assert response.status_code == 304 and count == 0
    stale = client.get(item_url(publication), HTTP_IF_NONE_MATCH='"not-this-one"')
    assert stale.status_code == 200 and stale.content == first.content
    earlier = client.get(item_url(publication), HTTP_IF_MODIFIED_SINCE=http_date(0))
    assert earlier.status_code == 200


def test_after_a_retraction_the_next_request_answers_410_without_waiting_for_expiry(
        client, org, on_commit):
    publication = released(org, on_commit, title="将被撤稿的通知")
    etag = client.get(item_url(publication))["ETag"]
    assert queries(client, item_url(publication))[1] == 0  # cached
    assert "将被撤稿的通知" in text(client.get(f"{BASE}/"))
    assert "将被撤稿的通知" in feed_entries(client).values()

    on_commit(retract_publication, user=org["leader"], publication_id=publication.pk,
              reason="内容有误")

    gone = client.get(item_url(publication))
    assert gone.status_code == 410
    assert "将被撤稿的通知" not in text(gone)
    assert client.get(item_url(publication), HTTP_IF_NONE_MATCH=etag).status_code == 410
    assert "将被撤稿的通知" not in text(client.get(f"{BASE}/"))
    assert "将被撤稿的通知" not in feed_entries(client).values()
    assert sitemap_locs(client) == []
    # and the 410 is then kept like any page
    response, count = queries(client, item_url(publication))
    assert response.status_code == 410 and count == 0


def test_while_a_retraction_is_being_written_no_cached_page_is_served(client, org, on_commit):
    """Between the purge and the commit the column is rendered from the database: at the
    commit nothing cached before can answer, whenever the after-commit renewal runs."""
    publication = released(org, on_commit)
    client.get(item_url(publication))
    with CaptureQueriesContext(connection) as ctx:
        column_cache.purge(org.agency.code)  # as the retraction does, inside its transaction
        assert column_cache.generation(org.agency.code) is None
        assert client.get(item_url(publication)).status_code == 200
    assert len(ctx) > 0  # rendered, not cached


def test_a_purge_gives_a_new_generation_after_the_commit(org, on_commit):
    before = column_cache.generation(org.agency.code)
    on_commit(column_cache.purge, org.agency.code)
    after = column_cache.generation(org.agency.code)
    assert after is not None and after != before
    assert column_cache.generation(org.agency.code) == after
    assert column_cache.generation("other_agency") not in (None, after)


def test_a_newly_released_item_appears_on_the_index_feed_and_sitemap_at_once(
        client, org, on_commit):
    released(org, on_commit, title="先发布的通知")
    for url in [f"{BASE}/", f"{BASE}/feed.atom", f"{BASE}/sitemap.xml"]:
        client.get(url)
    publication = released(org, on_commit, title="刚发布的通知")
    assert "刚发布的通知" in text(client.get(f"{BASE}/"))
    assert "刚发布的通知" in feed_entries(client).values()
    assert f"http://testserver{item_url(publication)}" in sitemap_locs(client)


def test_an_unreleased_items_404_is_not_cached(client, org, on_commit):
    publication = approved_item(org, title="尚未发布的通知")
    assert client.get(item_url(publication)).status_code == 404
    response, count = queries(client, item_url(publication))
    assert response.status_code == 404 and count > 0
    assert "public" not in response.get("Cache-Control", "")
    site = Release.objects.get(publication=publication, channel__kind="site")
    on_commit(delivery.deliver, site.pk)
    assert client.get(item_url(publication)).status_code == 200


def test_staff_who_chose_english_neither_see_nor_leave_an_english_page(
        client, org, on_commit):
    publication = released(org, on_commit)
    client.cookies["django_language"] = "en"
    for url in [f"{BASE}/", item_url(publication)]:
        english_first = client.get(url)  # fills the cache
        assert english_first["Content-Language"] == "zh-hans"
        assert "Government information disclosure" not in text(english_first)
    client.cookies.clear()
    for url in [f"{BASE}/", item_url(publication)]:
        response, count = queries(client, url)
        assert count == 0
        assert "政府信息公开" in text(response)
        assert "Government information disclosure" not in text(response)
        assert response["Content-Language"] == "zh-hans"


def test_a_category_renamed_in_the_admin_is_on_the_index_at_once(client, org, on_commit):
    released(org, on_commit)
    assert "工作动态" in text(client.get(f"{BASE}/"))
    admin = org["admin"]
    admin.is_staff = True
    admin.save()
    category = org.agency.categories.get(code="work_updates")
    staff = type(client)()
    staff.force_login(admin)
    with_commit = on_commit(staff.post, f"/admin/publications/category/{category.pk}/change/",
                            {"agency": org.agency.pk, "code": "work_updates", "name": "政务动态"})
    assert with_commit.status_code == 302
    page = text(client.get(f"{BASE}/"))
    assert "政务动态" in page and "工作动态" not in page


def test_with_the_cache_unreachable_the_column_is_served_and_retraction_goes_through(
        client, org, on_commit, settings):
    publication = released(org, on_commit)
    settings.CACHES = {"default": {"BACKEND": "core.redis_cache.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0"}}
    assert client.get(item_url(publication)).status_code == 200
    assert client.get(f"{BASE}/").status_code == 200
    on_commit(retract_publication, user=org["leader"], publication_id=publication.pk,
              reason="内容有误")
    assert client.get(item_url(publication)).status_code == 410
