"""An item's place on its public column, kept by the database (Publication.site_published_at).

The triggers of releases/migrations/0008 keep `site_published_at` / `site_published_on` on
the item whoever writes its releases or channels: these tests write them the ways the
product does and the ways it never does (a bare UPDATE, a deleted row, the admin changing a
channel) and read the column through the selectors, on SQLite and on PostgreSQL.
"""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from agencies.models import Channel, ChannelKind
from publications.models import Publication
from publicsite import selectors
from releases.models import Release, ReleaseStatus
from releases.services import retract_publication
from testsupport.factories import approve_through, make_org, submitted_item

pytestmark = pytest.mark.django_db

REVIEWERS = ("head_office", "secrecy", "leader")
T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def org():
    return make_org()


def approved(org, **overrides):
    return approve_through(org, submitted_item(org, **overrides), *REVIEWERS)


def site_release(publication) -> Release:
    return Release.objects.get(publication=publication, channel__kind=ChannelKind.SITE)


def mark_published(release, when):
    Release.objects.filter(pk=release.pk).update(
        status=ReleaseStatus.PUBLISHED, published_at=when, published_on=when.date())


def place(publication):
    row = Publication.objects.values("site_published_at", "site_published_on").get(
        pk=publication.pk)
    return row["site_published_at"], row["site_published_on"]


def test_an_item_enters_the_column_when_its_site_release_is_published(org):
    item = approved(org)
    assert place(item) == (None, None)
    assert not selectors.public_items(org.agency).exists()

    mark_published(site_release(item), T0)

    assert place(item) == (T0, T0.date())
    assert list(selectors.public_items(org.agency)) == [item]


def test_a_release_on_another_channel_kind_does_not_put_it_on_the_column(org):
    item = approved(org)
    for release in Release.objects.filter(publication=item).exclude(
            channel__kind=ChannelKind.SITE):
        mark_published(release, T0)
    assert place(item) == (None, None)
    assert not selectors.public_items(org.agency).exists()


def test_retraction_takes_the_item_off_and_the_time_away(org):
    item = approved(org)
    mark_published(site_release(item), T0)

    retract_publication(user=org["leader"], publication_id=item.pk, reason="内容有误")
    Release.objects.filter(publication=item, channel__kind=ChannelKind.SITE).update(
        status=ReleaseStatus.RETRACTED, retracted_at=timezone.now())

    assert place(item) == (None, None)
    assert not selectors.public_items(org.agency).exists()
    assert list(selectors.retracted_items(org.agency)) == [item]


def test_the_earliest_of_two_site_releases_counts_and_the_next_takes_over(org):
    second = Channel.objects.create(agency=org.agency, code="site2", name="第二专栏",
                                    kind=ChannelKind.SITE, order=5)
    item = approved(org)
    later = Release.objects.create(publication=item, channel=second, round=item.round,
                                   fingerprint=item.fingerprint)
    mark_published(later, T0 + dt.timedelta(days=3))
    assert place(item) == (T0 + dt.timedelta(days=3), (T0 + dt.timedelta(days=3)).date())

    mark_published(Release.objects.get(publication=item, channel__code="website"), T0)
    assert place(item) == (T0, T0.date())

    Release.objects.filter(publication=item, channel__code="website").update(
        status=ReleaseStatus.RETRACTED)
    assert place(item) == (T0 + dt.timedelta(days=3), (T0 + dt.timedelta(days=3)).date())

    Release.objects.filter(pk=later.pk).delete()
    assert place(item) == (None, None)


def test_a_channel_changed_in_the_admin_moves_its_items_on_and_off_the_column(org):
    item = approved(org)
    mark_published(site_release(item), T0)
    website = Channel.objects.get(agency=org.agency, code="website")

    Channel.objects.filter(pk=website.pk).update(kind=ChannelKind.MANUAL)
    assert place(item) == (None, None)
    assert not selectors.public_items(org.agency).exists()

    Channel.objects.filter(pk=website.pk).update(kind=ChannelKind.SITE)
    assert place(item) == (T0, T0.date())


def test_a_site_channel_of_another_agency_does_not_count(org):
    other = make_org("other_agency", prefix="o_")
    item = approved(org)
    Release.objects.filter(pk=site_release(item).pk).update(
        channel=Channel.objects.get(agency=other.agency, code="website"))
    mark_published(Release.objects.get(publication=item, channel__agency=other.agency), T0)
    assert place(item) == (None, None)


def test_a_copy_loaded_before_the_release_went_out_does_not_put_back_what_it_read(org):
    item = approved(org)
    stale = Publication.objects.get(pk=item.pk)
    mark_published(site_release(item), T0)

    stale.title = "改了标题"
    stale.save()
    stale.save(update_fields=["title", "site_published_at"])

    assert place(item) == (T0, T0.date())
    assert Publication.objects.get(pk=item.pk).title == "改了标题"


def test_a_published_release_without_a_time_counts_from_when_its_row_was_written(org):
    item = approved(org)
    release = site_release(item)
    Release.objects.filter(pk=release.pk).update(status=ReleaseStatus.PUBLISHED)
    release.refresh_from_db()
    assert place(item) == (release.updated_at, None)
    assert list(selectors.public_items(org.agency)) == [item]


def test_a_lease_claim_does_not_rewrite_the_item(org):
    """Release updates that do not change what the column shows leave the item's row alone
    (on PostgreSQL the statement trigger skips them; the row trigger fires only on the
    columns that matter)."""
    item = approved(org)
    mark_published(site_release(item), T0)
    before = Publication.objects.values_list("updated_at", flat=True).get(pk=item.pk)
    Release.objects.filter(publication=item).update(attempts=7, claim_token=3)
    assert place(item) == (T0, T0.date())
    assert Publication.objects.values_list("updated_at", flat=True).get(pk=item.pk) == before


@pytest.mark.postgres
def test_the_index_page_reads_its_agency_end_of_the_partial_index(org):
    """EXPLAIN: the column's newest items come from `publication_on_site` (no sort of every
    public item, no join to releases)."""
    for _ in range(3):
        mark_published(site_release(approved(org)), T0)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = selectors.public_items(org.agency)[:10].query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "publication_on_site" in plan, plan
    assert "releases_release" not in plan, plan
    assert "Sort" not in plan, plan
