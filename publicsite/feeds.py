"""The column's Atom feed, with RFC 6721 tombstones for retracted items.

A retracted item stops being an entry. For 90 days after its retraction the
feed carries instead an `<at:deleted-entry ref="…" when="…">` whose `ref` is
the `atom:id` the entry had (its absolute page URL), so aggregators that
copied the entry learn to drop it.
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.sites.shortcuts import get_current_site
from django.contrib.syndication.views import Feed, add_domain
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, rfc3339_date
from django.utils.translation import gettext as _

from publications.services import sanitise_html

from . import selectors

TOMBSTONES_NS = "http://purl.org/atompub/tombstones/1.0"
FEED_ENTRIES = 30


@dataclass(frozen=True)
class DeletedEntry:
    ref: str
    when: dt.datetime
    comment: str = ""


class TombstoneAtom1Feed(Atom1Feed):
    """Atom 1.0 plus `at:deleted-entry` elements (RFC 6721) among the feed's children."""

    deleted_entries: tuple = ()

    def root_attributes(self):
        attrs = super().root_attributes()
        attrs["xmlns:at"] = TOMBSTONES_NS
        return attrs

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        for entry in self.deleted_entries:
            handler.startElement("at:deleted-entry",
                                 {"ref": entry.ref, "when": rfc3339_date(entry.when)})
            if entry.comment:
                handler.addQuickElement("at:comment", entry.comment)
            handler.endElement("at:deleted-entry")

    def latest_post_date(self):
        """A retraction changes the feed too: its time counts for `updated` and Last-Modified."""
        dates = [item.get("updateddate") or item.get("pubdate") for item in self.items]
        dates += [entry.when for entry in self.deleted_entries]
        dates = [d for d in dates if d]
        return max(dates) if dates else timezone.now()


def item_path(agency_code: str, item_id: int) -> str:
    return reverse("publicsite:item", args=[agency_code, item_id])


class PublicItemsFeed(Feed):
    feed_type = TombstoneAtom1Feed

    def get_object(self, request, agency):
        return agency

    def title(self, agency):
        return _("%s政府信息公开") % agency.name

    def subtitle(self, agency):
        return _("%s主动公开的政府信息") % agency.name

    def link(self, agency):
        return reverse("publicsite:index", args=[agency.code])

    def feed_url(self, agency):
        return reverse("publicsite:feed", args=[agency.code])

    def author_name(self, agency):
        return agency.name

    def items(self, agency):
        return (selectors.public_items(agency).select_related("agency", "category")
                [:FEED_ENTRIES])

    def item_title(self, item):
        return item.title  # a text construct: the XML writer escapes it once

    def item_description(self, item):
        # sent as <summary type="html">; cleaned again like on the item page
        return sanitise_html(item.body)

    def item_link(self, item):
        return item_path(item.agency.code, item.pk)

    def item_pubdate(self, item):
        return item.site_published_at  # never NULL on the column (publications.ON_SITE)

    def item_updateddate(self, item):
        return self.item_pubdate(item)

    def item_categories(self, item):
        categories = [item.category.name]
        if item.article20_item:
            categories.append(_("第二十条第（%d）项") % item.article20_item)
        return categories

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        # refs are made exactly as Feed.get_feed makes entry ids from item links
        domain, secure = get_current_site(request).domain, request.is_secure()
        feed.deleted_entries = tuple(
            DeletedEntry(ref=add_domain(domain, item_path(obj.code, item.pk), secure),
                         when=item.retracted_when, comment=_("该信息已撤稿"))
            for item in selectors.recently_retracted(obj))
        return feed
