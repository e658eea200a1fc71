"""The sitemap of an agency's column: one URL per public item page."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from . import selectors


class PublicItemSitemap(Sitemap):
    limit = 5000

    def __init__(self, agency):
        self.agency = agency

    def items(self):
        return selectors.public_items(self.agency).only("pk", "site_published_at")

    def location(self, item):
        return reverse("publicsite:item", args=[self.agency.code, item.pk])

    def lastmod(self, item):
        return item.site_published_at  # never NULL on the column (publications.ON_SITE)
