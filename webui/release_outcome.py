"""The release outcome on the drafter's pages: one row per channel on the item's page (its
state, the link where it is out, why it failed), and the overall status (部分发布, 发布失败,
...) that the item's chip shows there and in the drafter's list."""

from dataclasses import dataclass

from releases.models import ReleaseStatus
from releases.outcome import explain, overall_status, state_label
from releases.selectors import releases_of


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    status: str      # the release's status, for the chip's colour
    label: str       # 待发布, 发布中, 已发布, 待确认刊发, 发布失败, 已撤稿, 撤稿失败
    url: str         # where it can be read (published)
    reference: str   # the page or link a publisher confirmed (newspapers)
    reason: str      # why it failed or is retried, in a sentence
    raw_error: str   # what the channel answered, for a technician
    when: object     # when it was published (or the page's date of print)


def _row(release) -> ChannelRow:
    published = release.status == ReleaseStatus.PUBLISHED
    # a link only to a web address (the column's own pages are site-relative without
    # PUBLIC_SITE_BASE_URL); a newspaper's "第3版" is shown as text
    link = release.external_url
    url = link if published and link.startswith(("https://", "http://", "/")) else ""
    return ChannelRow(
        channel=release.channel.name, status=release.status, label=state_label(release),
        url=url, reference=release.reference if published else "",
        reason=explain(release.error), raw_error=release.error,
        when=release.published_on if published else None)


def release_outcome(publication) -> dict:
    """The item page's context: `release_rows` and `release_overall` (None: the chip shows
    the item's own status)."""
    releases = releases_of(publication=publication)
    return {"release_rows": [_row(release) for release in releases],
            "release_overall": overall_status(publication.status,
                                              [release.status for release in releases])}


def mark_overall(items) -> None:
    """Set `release_overall` on each item of a page read with
    `releases.selectors.with_release_statuses`."""
    for item in items:
        item.release_overall = overall_status(
            item.status, [release.status for release in item.outcome_releases])
