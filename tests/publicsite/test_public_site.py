"""The public disclosure column (/gk/<agency>/): what it shows, to whom, and at what cost.

An item is public iff a site-channel release of it is published and it is not
retracted; these tests build items in every other state and look for them on
every page, in the feed and in the sitemap.
"""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import Agency, Channel
from core import column_cache
from publications.models import Attachment, Publication
from publications.services import add_attachment
from publicsite import selectors
from releases import delivery
from releases.models import Release
from releases.services import retract_publication
from scanning.services import current_report, scan_attachments, scan_if_missing
from testsupport.factories import approve_through, create_item, make_org, submitted_item, task_for
from workflow import services as review

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
TOMBSTONES = "{http://purl.org/atompub/tombstones/1.0}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
REVIEWERS = ("head_office", "secrecy", "leader")
BASE = "/gk/test_agency"


# --- building items ---------------------------------------------------------------------------

def column_changed(publication):
    """What the services do beside a change of the column: purge its cached pages."""
    column_cache.purge(publication.agency.code)


def publish_on_site(publication, when=None):
    """What the delivery engine does once the site channel has the item."""
    when = when or timezone.now()
    Release.objects.filter(publication=publication, channel__kind="site").update(
        status="published", published_at=when, published_on=timezone.localdate(when))
    column_changed(publication)


def approved_item(org, **overrides):
    """Through all three tiers: approved, with pending releases."""
    return approve_through(org, submitted_item(org, **overrides), *REVIEWERS)


def public_item(org, when=None, **overrides):
    publication = approved_item(org, **overrides)
    publish_on_site(publication, when)
    return publication


def item_with_attachment(org, *, content=b"%PDF-1.4 test", name="检查方案.pdf", **overrides):
    publication = create_item(org, **overrides)
    add_attachment(user=org["drafter_office"], publication_id=publication.pk,
                   uploaded=SimpleUploadedFile(name, content, content_type="text/html"))
    review.submit_publication(user=org["drafter_office"], publication_id=publication.pk)
    approve_through(org, publication, "head_office")
    # the test files are not real PDFs: the pre-scan lists them unscanned, and the
    # confidentiality reviewer acknowledges each before approving
    scan_if_missing(publication.pk)
    report = current_report(publication)
    scan_attachments(report.pk, report.run)
    for entry in current_report(publication).unscanned:
        review.acknowledge_unscanned(user=org["secrecy"], publication_id=publication.pk,
                                     field=entry["field"], note="已人工核对")
    return approve_through(org, publication, "secrecy", "leader")


def retract(publication, when):
    """What the retraction service leaves behind: item retracted, releases retracted."""
    Publication.objects.filter(pk=publication.pk).update(status="retracted")
    Release.objects.filter(publication=publication).update(status="retracted", retracted_at=when)
    column_changed(publication)


def set_site_release(publication, **fields):
    Release.objects.filter(publication=publication, channel__kind="site").update(**fields)
    column_changed(publication)


def _draft(org, title):
    return create_item(org, title=title)


def _in_review(org, title):
    return submitted_item(org, title=title)


def _returned(org, title):
    publication = submitted_item(org, title=title)
    review.reject_task(user=org["head_office"],
                       task_id=task_for(org["head_office"], publication).pk, comment="请补充")
    return publication


def _withheld(org, title):
    publication = approve_through(org, submitted_item(org, title=title), "head_office")
    review.withhold_task(user=org["secrecy"], task_id=task_for(org["secrecy"], publication).pk,
                         basis="state_secret", comment="含涉密内容")
    return publication


def _withdrawn(org, title):
    publication = submitted_item(org, title=title)
    review.withdraw_publication(user=org["drafter_office"], publication_id=publication.pk)
    return publication


def _release_pending(org, title):
    return approved_item(org, title=title)


def _release_sending(org, title):
    publication = approved_item(org, title=title)
    set_site_release(publication, status="sending")
    return publication


def _release_failed(org, title):
    publication = approved_item(org, title=title)
    set_site_release(publication, status="failed", error="timeout")
    return publication


def _released_elsewhere_only(org, title):
    publication = approved_item(org, title=title)
    Release.objects.filter(publication=publication, channel__kind="wechat").update(
        status="published", published_at=timezone.now())
    return publication


def _not_for_the_site(org, title):
    publication = approved_item(org, title=title, channels=["wechat", "jiaozuo_daily"])
    Release.objects.filter(publication=publication).update(
        status="published", published_at=timezone.now())
    return publication


def _retracted_before_reaching_site(org, title):
    publication = approved_item(org, title=title)
    Publication.objects.filter(pk=publication.pk).update(status="retracted")
    set_site_release(publication, status="retracted", retracted_at=timezone.now())
    return publication


def _forged_release_on_draft(org, title):
    """A published site release on an item that was never approved shows nothing."""
    publication = create_item(org, title=title)
    Release.objects.create(publication=publication, round=1, fingerprint=publication.fingerprint,
                           channel=Channel.objects.get(agency=org.agency, kind="site"),
                           status="published", published_at=timezone.now())
    return publication


def _published_on_another_agencys_site(org, title):
    publication = approved_item(org, title=title)
    stranger = make_org(code="stranger", prefix="stranger_")
    Release.objects.create(publication=publication, round=1, fingerprint=publication.fingerprint,
                           channel=Channel.objects.get(agency=stranger.agency, kind="site"),
                           status="published", published_at=timezone.now())
    return publication


NOT_PUBLIC = {
    "draft": _draft,
    "in_review": _in_review,
    "returned": _returned,
    "withheld": _withheld,
    "withdrawn": _withdrawn,
    "release_pending": _release_pending,
    "release_sending": _release_sending,
    "release_failed": _release_failed,
    "released_elsewhere_only": _released_elsewhere_only,
    "not_for_the_site": _not_for_the_site,
    "retracted_before_reaching_site": _retracted_before_reaching_site,
    "forged_release_on_draft": _forged_release_on_draft,
    "published_on_another_agencys_site": _published_on_another_agencys_site,
}


# --- reading the site -------------------------------------------------------------------------

def text(response) -> str:
    return response.content.decode()


def feed_root(client, base=BASE):
    response = client.get(f"{base}/feed.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)


def feed_entries(client, base=BASE) -> dict:
    """entry id -> entry title."""
    return {entry.findtext(f"{ATOM}id"): entry.findtext(f"{ATOM}title")
            for entry in feed_root(client, base).findall(f"{ATOM}entry")}


def sitemap_locs(client, base=BASE) -> list[str]:
    response = client.get(f"{base}/sitemap.xml")
    assert response.status_code == 200
    return [loc.text for loc in ET.fromstring(response.content).iter(f"{SITEMAP}loc")]


def item_url(publication, base=BASE) -> str:
    return f"{base}/items/{publication.pk}/"


def absolute(path) -> str:
    return f"http://testserver{path}"


def listing_pages(publication, q):
    return [f"{BASE}/", f"{BASE}/category/work_updates/", f"{BASE}/category/licensing/",
            f"{BASE}/item20/{publication.article20_item}/", f"{BASE}/search/?q={q}"]


def assert_nowhere(client, publication, title):
    for url in listing_pages(publication, title):
        response = client.get(url)
        assert response.status_code == 200, url
        # the search page echoes the query: look for the item's link, not just its words
        assert f">{title}</a>" not in text(response), url
        assert item_url(publication) not in text(response), url
    assert title not in feed_entries(client).values()
    assert absolute(item_url(publication)) not in sitemap_locs(client)


# --- the public-item rule ---------------------------------------------------------------------

def test_public_item_appears_on_every_page_feed_and_sitemap(client, org):
    publication = public_item(org, title="关于开展建筑施工安全大检查的通知")
    for url in listing_pages(publication, "安全大检查"):
        response = client.get(url)
        assert response.status_code == 200, url
        if "licensing" not in url:
            assert ">关于开展建筑施工安全大检查的通知</a>" in text(response), url
    assert client.get(item_url(publication)).status_code == 200
    assert list(feed_entries(client).values()) == ["关于开展建筑施工安全大检查的通知"]
    assert sitemap_locs(client) == [absolute(item_url(publication))]


@pytest.mark.parametrize("state", NOT_PUBLIC)
def test_item_that_is_not_public_is_on_no_page_and_its_page_is_404(client, org, state):
    control = public_item(org, title="已公开的对照信息")
    title = f"不应公开的信息{state}"
    publication = NOT_PUBLIC[state](org, title)
    assert client.get(item_url(control)).status_code == 200
    assert "已公开的对照信息" in text(client.get(f"{BASE}/"))

    response = client.get(item_url(publication))
    assert response.status_code == 404
    assert title not in text(response)
    assert_nowhere(client, publication, title)


def test_public_items_selects_exactly_the_published_unretracted_site_items(org, other_org):
    public = {public_item(org, title=f"公开{i}").pk for i in range(2)}
    for state, build in NOT_PUBLIC.items():
        build(org, f"不公开{state}")
    retract(public_item(org, title="已撤稿"), timezone.now())
    public_item(other_org, title="其他机关的公开信息")

    assert set(selectors.public_items(org.agency).values_list("pk", flat=True)) == public
    assert all(p.status == "approved" for p in selectors.public_items(org.agency))


def test_another_agencys_items_never_appear(client, org, other_org):
    ours = public_item(org, title="本机关的通知")
    theirs = public_item(other_org, title="其他机关的通知")
    assert_nowhere(client, theirs, "其他机关的通知")
    assert client.get(item_url(theirs)).status_code == 404
    assert client.get(item_url(ours, "/gk/other_agency")).status_code == 404
    assert client.get(item_url(theirs, "/gk/other_agency")).status_code == 200
    assert list(feed_entries(client, "/gk/other_agency").values()) == ["其他机关的通知"]


# --- retraction -------------------------------------------------------------------------------

def test_retracted_item_leaves_pages_and_feed_and_becomes_a_deleted_entry(client, org):
    kept = public_item(org, title="继续公开的通知")
    gone = public_item(org, title="将被撤稿的通知")
    entries = feed_entries(client)
    gone_id = next(i for i, title in entries.items() if title == "将被撤稿的通知")
    assert gone_id == absolute(item_url(gone))

    retracted_at = timezone.now() - dt.timedelta(days=3)
    retract(gone, retracted_at)

    response = client.get(f"{BASE}/feed.atom")
    assert b'xmlns:at="http://purl.org/atompub/tombstones/1.0"' in response.content
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    assert [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")] == ["继续公开的通知"]
    deleted = root.findall(f"{TOMBSTONES}deleted-entry")
    assert len(deleted) == 1
    assert deleted[0].get("ref") == gone_id
    assert dt.datetime.fromisoformat(deleted[0].get("when")) == retracted_at
    assert deleted[0].findtext(f"{TOMBSTONES}comment") == "该信息已撤稿"
    # the feed changed when the item was retracted
    updated = dt.datetime.fromisoformat(root.findtext(f"{ATOM}updated"))
    assert updated >= retracted_at

    assert_nowhere(client, gone, "将被撤稿的通知")
    assert client.get(item_url(kept)).status_code == 200


def test_retracted_item_page_answers_410_with_a_notice_and_without_its_content(client, org):
    gone = public_item(org, title="将被撤稿的通知", body="<p>撤稿前的正文内容</p>")
    retract(gone, timezone.now())
    response = client.get(item_url(gone))
    assert response.status_code == 410
    assert "该信息已撤稿" in text(response)
    assert "将被撤稿的通知" not in text(response)
    assert "撤稿前的正文内容" not in text(response)


def test_retraction_older_than_90_days_leaves_the_feed_but_the_page_stays_gone(client, org):
    old = public_item(org, title="很久以前撤稿的通知")
    retract(old, timezone.now() - dt.timedelta(days=91))
    recent = public_item(org, title="最近撤稿的通知")
    retract(recent, timezone.now() - dt.timedelta(days=89))
    refs = [e.get("ref") for e in feed_root(client).findall(f"{TOMBSTONES}deleted-entry")]
    assert refs == [absolute(item_url(recent))]
    assert client.get(item_url(old)).status_code == 410


def test_item_retracted_before_its_channel_retraction_is_recorded_is_already_gone(client, org):
    """The item is retracted; the site release still says published and has no time yet."""
    gone = public_item(org, title="刚刚撤稿的通知")
    changed = timezone.now() - dt.timedelta(hours=1)
    Publication.objects.filter(pk=gone.pk).update(status="retracted", updated_at=changed)
    column_changed(gone)

    assert client.get(item_url(gone)).status_code == 410
    root = feed_root(client)
    assert root.findall(f"{ATOM}entry") == []
    (deleted,) = root.findall(f"{TOMBSTONES}deleted-entry")
    assert deleted.get("ref") == absolute(item_url(gone))
    assert dt.datetime.fromisoformat(deleted.get("when")) == changed


def test_the_delivery_engine_publishes_to_and_retracts_from_the_site(client, org):
    """Through releases.delivery and releases.services, not ORM updates."""
    publication = approved_item(org, title="经发布引擎发布的通知")
    site_release = Release.objects.get(publication=publication, channel__kind="site")
    assert client.get(item_url(publication)).status_code == 404  # pending: not yet public
    delivery.deliver(site_release.pk)
    site_release.refresh_from_db()
    assert site_release.status == "published"
    assert site_release.external_url == item_url(publication)
    assert client.get(site_release.external_url).status_code == 200

    retract_publication(user=org["leader"], publication_id=publication.pk, reason="内容有误")
    assert client.get(item_url(publication)).status_code == 410  # at once, before the worker
    (deleted,) = feed_root(client).findall(f"{TOMBSTONES}deleted-entry")
    when = dt.datetime.fromisoformat(deleted.get("when"))

    delivery.retract(site_release.pk)
    site_release.refresh_from_db()
    assert site_release.status == "retracted"
    assert site_release.retracted_at >= when
    (deleted,) = feed_root(client).findall(f"{TOMBSTONES}deleted-entry")
    assert deleted.get("ref") == absolute(item_url(publication))
    assert dt.datetime.fromisoformat(deleted.get("when")) == when  # stable once recorded
    assert client.get(item_url(publication)).status_code == 410


def test_item_retracted_before_it_reached_the_site_is_just_not_found(client, org):
    never_shown = _retracted_before_reaching_site(org, "未上网即撤稿的通知")
    assert client.get(item_url(never_shown)).status_code == 404
    assert feed_root(client).findall(f"{TOMBSTONES}deleted-entry") == []


# --- item page --------------------------------------------------------------------------------

def test_item_page_shows_the_disclosure_metadata_and_body(client, org):
    when = timezone.make_aware(dt.datetime(2024, 3, 5, 10, 0))
    publication = public_item(
        org, when, title="关于印发建筑市场管理办法的通知", body="<p>第一条 为规范建筑市场。</p>",
        document_type="normative_document", document_number="温住建〔2024〕3号",
        effective_on=dt.date(2024, 4, 1), abolished_on=dt.date(2029, 3, 31), article20_item=1)
    page = text(client.get(item_url(publication)))
    for expected in ("关于印发建筑市场管理办法的通知", "温住建〔2024〕3号", "行政规范性文件",
                     "2024-03-01", "2024-04-01", "2029-03-31", "2024-03-05", "工作动态",
                     "第（1）项", "行政法规、规章和规范性文件", "<p>第一条 为规范建筑市场。</p>",
                     "测试机关 test_agency"):
        assert expected in page, expected


def test_item_page_exposes_no_internal_data(client, org):
    publication = submitted_item(org, title="含审核意见的通知")
    for username in REVIEWERS:
        review.approve_task(user=org[username], task_id=task_for(org[username], publication).pk,
                            comment=f"内部审核意见{username}")
    publish_on_site(publication)
    publication.refresh_from_db()
    drafter = org["drafter_office"]
    for url in (item_url(publication), f"{BASE}/", f"{BASE}/feed.atom"):
        page = text(client.get(url))
        assert "内部审核意见" not in page, url
        assert drafter.username not in page, url
        assert publication.fingerprint not in page, url
        assert "办公室" not in page, url  # the drafting section is internal


def test_titles_are_escaped_and_the_body_is_sanitised_again_on_display(client, org):
    title = "<script>alert('x')</script>通知"
    publication = public_item(org, title=title)
    Publication.objects.filter(pk=publication.pk).update(
        body='<p>正文</p><script>alert(1)</script><img src="x" onerror="alert(2)">')
    for url in (item_url(publication), f"{BASE}/", f"{BASE}/search/?q=通知"):
        page = text(client.get(url))
        assert "<script>alert" not in page, url
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;通知" in page, url
    page = text(client.get(item_url(publication)))
    assert "<p>正文</p>" in page
    assert "onerror" not in page
    root = feed_root(client)
    assert [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")] == [title]
    summary = root.find(f"{ATOM}entry").findtext(f"{ATOM}summary")
    assert "<p>正文</p>" in summary
    assert "<script>" not in summary
    assert "onerror" not in summary


# --- search -----------------------------------------------------------------------------------

@pytest.fixture
def searchable(org):
    return {
        "safety": public_item(org, title="关于开展建筑施工安全大检查的通知",
                              body="<p>请各单位于五月底前完成自查。</p>"),
        "air": public_item(org, title="关于PM2.5监测结果的公告",
                           body="<p>监测点位：A&amp;B 两处。</p>"),
        "hidden": approved_item(org, title="尚未发布的安全通知", body="<p>自查</p>"),
    }


def search_hits(client, q) -> set[str]:
    response = client.get(f"{BASE}/search/", {"q": q})
    assert response.status_code == 200
    page = text(response)
    return {title for title in ("关于开展建筑施工安全大检查的通知", "关于PM2.5监测结果的公告",
                                "尚未发布的安全通知") if f">{title}</a>" in page}


def test_search_finds_public_items_by_title_and_body_words(client, searchable):
    assert search_hits(client, "安全大检查") == {"关于开展建筑施工安全大检查的通知"}
    assert search_hits(client, "自查") == {"关于开展建筑施工安全大检查的通知"}
    assert search_hits(client, "pm2.5") == {"关于PM2.5监测结果的公告"}
    assert search_hits(client, "关于 通知") == {"关于开展建筑施工安全大检查的通知"}
    assert search_hits(client, "  安全   自查 ") == {"关于开展建筑施工安全大检查的通知"}
    assert search_hits(client, "安全 不存在的词") == set()
    assert search_hits(client, "关于") == {"关于开展建筑施工安全大检查的通知",
                                          "关于PM2.5监测结果的公告"}


@pytest.mark.postgres
def test_search_matches_body_text_not_markup(client, searchable):
    assert search_hits(client, "p") == {"关于PM2.5监测结果的公告"}  # "PM", not "<p>"
    assert search_hits(client, "A&B") == {"关于PM2.5监测结果的公告"}
    assert search_hits(client, "amp") == set()


@pytest.mark.parametrize("q", [
    "", "   ", "%", "_", "%%", "\\", "'", '"', "' OR 1=1 --", "<script>alert(1)</script>",
    "\x00", "a\x00b", "\u2028", "𠀀𠀁", "\ufffd", "&amp;", "安" * 5000, "a b c d e f g h i j",
])
def test_search_never_fails_on_odd_queries(client, searchable, q):
    response = client.get(f"{BASE}/search/", {"q": q})
    assert response.status_code == 200
    page = text(response)
    assert "<script>alert(1)" not in page
    assert "尚未发布的安全通知" not in page


def test_search_with_no_words_asks_for_a_keyword_and_wildcards_match_nothing(client, searchable):
    assert "请输入关键词" in text(client.get(f"{BASE}/search/"))
    assert "请输入关键词" in text(client.get(f"{BASE}/search/", {"q": " \x00 "}))
    assert search_hits(client, "%") == set()
    assert search_hits(client, "_") == set()
    assert "未找到" in text(client.get(f"{BASE}/search/", {"q": "不存在的词"}))


def test_search_terms_are_bounded():
    assert selectors.search_terms("安" * 5000) == ["安" * selectors.SEARCH_MAX_CHARS]
    assert selectors.search_terms("a b c d e f g") == ["a", "b", "c", "d", "e"]
    assert selectors.search_terms("a\x00b a") == ["a", "b"]
    assert selectors.search_terms(None) == []


# --- attachments ------------------------------------------------------------------------------

def test_attachment_of_a_public_item_downloads(client, org):
    publication = item_with_attachment(org, content=b"%PDF-1.4 hello")
    publish_on_site(publication)
    attachment = publication.attachments.get()
    url = f"{item_url(publication)}attachments/{attachment.pk}/"
    assert url in text(client.get(item_url(publication)))
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 hello"
    assert response["Content-Type"] == "application/pdf"  # from the name, not the upload's claim
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E6%A3%80%E6%9F%A5%E6%96%B9%E6%A1%88.pdf" in (
        response["Content-Disposition"])


def test_attachment_is_404_unless_its_item_is_public_here(client, org, other_org):
    pending = item_with_attachment(org)
    shown = item_with_attachment(org)
    publish_on_site(shown)
    gone = item_with_attachment(org)
    publish_on_site(gone)
    retract(gone, timezone.now())
    pending_file, shown_file, gone_file = (p.attachments.get() for p in (pending, shown, gone))

    assert client.get(f"{item_url(pending)}attachments/{pending_file.pk}/").status_code == 404
    assert client.get(f"{item_url(gone)}attachments/{gone_file.pk}/").status_code == 404
    # a hidden item's file through a public item's URL
    assert client.get(f"{item_url(shown)}attachments/{pending_file.pk}/").status_code == 404
    assert client.get(
        f"{item_url(shown, '/gk/other_agency')}attachments/{shown_file.pk}/").status_code == 404
    assert client.get(f"{item_url(shown)}attachments/{shown_file.pk}/").status_code == 200


def test_attachment_missing_from_storage_is_404_not_500(client, org):
    publication = item_with_attachment(org)
    publish_on_site(publication)
    attachment = publication.attachments.get()
    attachment.file.storage.delete(attachment.file.name)
    response = client.get(f"{item_url(publication)}attachments/{attachment.pk}/")
    assert response.status_code == 404
    assert Attachment.objects.filter(pk=attachment.pk).exists()


# --- open to everyone, cacheable --------------------------------------------------------------

def test_pages_need_no_login_set_no_cookie_and_may_be_cached(client, org):
    publication = item_with_attachment(org)
    publish_on_site(publication)
    attachment = publication.attachments.get()
    gone = public_item(org, title="已撤稿")
    retract(gone, timezone.now())
    for url in [f"{BASE}/", f"{BASE}/category/work_updates/", f"{BASE}/item20/12/",
                item_url(publication), f"{BASE}/search/?q=通知", f"{BASE}/feed.atom",
                f"{BASE}/sitemap.xml", f"{item_url(publication)}attachments/{attachment.pk}/",
                item_url(gone)]:
        response = client.get(url)
        assert response.status_code in (200, 410), url
        assert not response.cookies, url
        assert "public" in response["Cache-Control"], url
        assert "max-age=60" in response["Cache-Control"], url
    not_found = client.get(f"{BASE}/items/999999/")
    assert "public" not in not_found.get("Cache-Control", "")
    assert client.post(f"{BASE}/").status_code == 405


# --- not found --------------------------------------------------------------------------------

def test_unknown_agency_category_item_and_article20_item_are_404(client, org):
    Agency.objects.create(code="no_site", name="没有公开专栏的机关")
    for url in ["/gk/nobody/", "/gk/nobody/feed.atom", "/gk/nobody/sitemap.xml",
                "/gk/no_site/", f"{BASE}/category/nothing/", f"{BASE}/item20/0/",
                f"{BASE}/item20/16/", f"{BASE}/items/999999/",
                f"{BASE}/items/{10 ** 20}/", f"{BASE}/items/1/attachments/{10 ** 20}/"]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "页面不存在" in text(response), url


# --- lists ------------------------------------------------------------------------------------

def test_lists_paginate_by_20_newest_first(client, org):
    start = timezone.now() - dt.timedelta(days=1)
    items = [public_item(org, start + dt.timedelta(minutes=i), title=f"第{i:02d}号通知")
             for i in range(25)]
    first = text(client.get(f"{BASE}/category/work_updates/"))
    assert first.count("号通知</a>") == 20
    assert first.index("第24号通知") < first.index("第05号通知")
    assert "第04号通知" not in first
    assert "共 25 条" in first
    second = text(client.get(f"{BASE}/category/work_updates/", {"page": 2}))
    assert second.count("号通知</a>") == 5
    assert "第00号通知" in second
    assert text(client.get(f"{BASE}/category/work_updates/", {"page": "x"})) == first
    assert "第00号通知" in text(client.get(f"{BASE}/category/work_updates/", {"page": 99}))
    assert len(items) == 25


def test_empty_lists_say_so(client, org):
    for url in [f"{BASE}/", f"{BASE}/category/licensing/", f"{BASE}/item20/3/"]:
        assert "暂无公开信息" in text(client.get(url)), url


def test_index_counts_public_items_by_category_and_article20_item(client, org):
    public_item(org, category="work_updates", article20_item=12)
    public_item(org, category="work_updates", article20_item=12)
    public_item(org, category="licensing", article20_item=5)
    approved_item(org, category="licensing", article20_item=5)  # not released: not counted
    counts = {c.code: c.public_count for c in selectors.category_counts(org.agency)}
    assert counts == {"licensing": 1, "work_updates": 2}
    assert selectors.article20_counts(org.agency) == {5: 1, 12: 2}
    page = text(client.get(f"{BASE}/"))
    assert f'href="{BASE}/category/work_updates/">工作动态</a> <span class="muted">(2)' in page
    assert f'href="{BASE}/item20/5/">第（5）项</a>' in page


# --- feed and sitemap -------------------------------------------------------------------------

def test_feed_entries_carry_link_dates_categories_and_summary(client, org):
    when = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
    publication = public_item(org, when, title="关于开展建筑施工安全大检查的通知",
                              body="<p>正文</p>", article20_item=12)
    root = feed_root(client)
    assert root.findtext(f"{ATOM}title") == "测试机关 test_agency政府信息公开"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {"alternate": absolute(f"{BASE}/"), "self": absolute(f"{BASE}/feed.atom")}
    (entry,) = root.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}link").get("href") == absolute(item_url(publication))
    assert entry.findtext(f"{ATOM}id") == absolute(item_url(publication))
    assert dt.datetime.fromisoformat(entry.findtext(f"{ATOM}updated")) == when
    assert dt.datetime.fromisoformat(entry.findtext(f"{ATOM}published")) == when
    assert entry.find(f"{ATOM}summary").get("type") == "html"
    assert entry.findtext(f"{ATOM}summary") == "<p>正文</p>"
    assert [c.get("term") for c in entry.findall(f"{ATOM}category")] == [
        "工作动态", "第二十条第（12）项"]


def test_sitemap_lists_public_item_pages_only(client, org):
    shown = [public_item(org, title=f"公开{i}") for i in range(3)]
    approved_item(org, title="未发布")
    gone = public_item(org, title="撤稿")
    retract(gone, timezone.now())
    assert sorted(sitemap_locs(client)) == sorted(absolute(item_url(p)) for p in shown)


# --- query counts -----------------------------------------------------------------------------

def query_count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code in (200, 410), url
    return len(ctx)


# agency, then: page items (+ count), category, attachments, tombstones, counts by grouping
PINNED = {
    "index": 4,          # agency, latest, categories with counts, Art. 20 counts
    "category": 4,       # agency, category, count, page
    "item20": 3,         # agency, count, page
    "search": 3,         # agency, count, page
    "item": 3,           # agency, item, attachments
    "gone": 3,           # agency, item (none), retracted?
    "attachment": 2,     # agency, attachment of a public item
    "feed": 3,           # agency, entries, deleted entries
    "sitemap": 3,        # agency, count, page
}


def measure(client, org, item, gone):
    attachment = item.attachments.first()
    urls = {
        "index": f"{BASE}/", "category": f"{BASE}/category/work_updates/",
        "item20": f"{BASE}/item20/12/", "search": f"{BASE}/search/?q=通知",
        "item": item_url(item), "gone": item_url(gone),
        "attachment": f"{item_url(item)}attachments/{attachment.pk}/",
        "feed": f"{BASE}/feed.atom", "sitemap": f"{BASE}/sitemap.xml",
    }
    return {name: query_count(client, url) for name, url in urls.items()}


def test_pages_use_a_constant_number_of_queries(client, org):
    item = item_with_attachment(org)
    publish_on_site(item)
    gone = public_item(org)
    retract(gone, timezone.now())
    small = measure(client, org, item, gone)
    assert small == PINNED

    for i in range(24):
        extra = item_with_attachment(org, title=f"第{i}号通知", category="licensing")
        publish_on_site(extra)
        retract(public_item(org), timezone.now())
    assert measure(client, org, item, gone) == small


def test_the_public_column_stays_chinese_for_staff_who_chose_english(client, org):
    client.cookies["django_language"] = "en"
    response = client.get(f"/gk/{org.agency.code}/")
    assert response.status_code == 200
    assert "政府信息公开" in response.content.decode()
    assert response["Content-Language"] == "zh-hans"
