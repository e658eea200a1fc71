"""The item an agency discloses actively (主动公开): its content, disclosure
metadata, attachments, target channels and content fingerprint.

The `status` field is the publication's lifecycle (`publications.lifecycle`): the
review services (workflow) and retraction (releases) move it, through its transitions.
"""

from django.conf import settings
from django.db import models
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    """An entry of the agency's active-disclosure catalogue (主动公开目录)."""

    agency = models.ForeignKey("agencies.Agency", models.PROTECT, related_name="categories",
                               verbose_name=_("机关"))
    code = models.SlugField(_("代码"), max_length=64)
    name = models.CharField(_("名称"), max_length=200)

    class Meta:
        verbose_name = _("公开目录类别")
        verbose_name_plural = _("公开目录类别")
        ordering = ["agency", "code"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="category_code_unique"),
        ]

    def __str__(self):
        return self.name


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_REVIEW = "in_review", _("审核中")
    RETURNED = "returned", _("退回修改")
    WITHHELD = "withheld", _("不予公开")
    WITHDRAWN = "withdrawn", _("已撤回")
    APPROVED = "approved", _("已通过")
    RETRACTED = "retracted", _("已撤稿")


class DocumentType(models.TextChoices):
    RULE = "rule", _("规章")
    NORMATIVE_DOCUMENT = "normative_document", _("行政规范性文件")


class DecisionType(models.TextChoices):
    LICENSING = "licensing", _("行政许可")
    PENALTY = "penalty", _("行政处罚")
    ENFORCEMENT = "enforcement", _("行政强制")


def _article20_label(number: int) -> str:
    return gettext("第（%d）项") % number


# lazy, so that each page shows the label in its reader's language, not the one at import
ARTICLE20_ITEMS = [(n, lazy(_article20_label, str)(n)) for n in range(1, 16)]


#: kept by the database (see Publication.site_published_at), never saved by Django
SITE_FIELDS = ("site_published_at", "site_published_on")
#: what the public column shows: approved (released and not retracted) and on the site
ON_SITE = models.Q(status=PublicationStatus.APPROVED, site_published_at__isnull=False)


class Publication(models.Model):
    agency = models.ForeignKey("agencies.Agency", models.PROTECT, related_name="publications",
                               verbose_name=_("机关"))
    section = models.ForeignKey("agencies.Section", models.PROTECT,
                                related_name="publications", verbose_name=_("科室"))
    drafter = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT,
                                related_name="drafted_publications", verbose_name=_("经办人"))
    title = models.CharField(_("标题"), max_length=300)
    body = models.TextField(_("正文"), blank=True, help_text=_("HTML，保存前已清洗"))
    category = models.ForeignKey(Category, models.PROTECT, related_name="publications",
                                 verbose_name=_("公开目录类别"))
    article20_item = models.PositiveSmallIntegerField(
        _("条例第二十条事项"), choices=ARTICLE20_ITEMS, null=True, blank=True)
    document_type = models.CharField(_("文件类型"), max_length=32, choices=DocumentType.choices,
                                     blank=True)
    document_number = models.CharField(_("文号"), max_length=100, blank=True)
    effective_on = models.DateField(_("生效日期"), null=True, blank=True)
    abolished_on = models.DateField(_("废止日期"), null=True, blank=True)
    decision_type = models.CharField(_("决定类型"), max_length=32, choices=DecisionType.choices,
                                     blank=True)
    decision_count = models.PositiveIntegerField(_("决定数量"), default=1)
    fee_amount_yuan = models.DecimalField(_("收费金额（元）"), max_digits=14, decimal_places=2,
                                          null=True, blank=True)
    formed_on = models.DateField(_("信息形成或变更日期"))
    channels = models.ManyToManyField("agencies.Channel", related_name="publications",
                                      verbose_name=_("发布渠道"))
    abolishes = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="abolished_by",
        verbose_name=_("废止文件"),
        help_text=_("本信息废止的已发布规章或行政规范性文件；在本信息发布之年计为废止"))
    status = models.CharField(_("状态"), max_length=16, choices=PublicationStatus.choices,
                              default=PublicationStatus.DRAFT, editable=False, db_index=True)
    round = models.PositiveIntegerField(_("审核轮次"), default=1, editable=False)
    fingerprint = models.CharField(_("内容指纹"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # When the item went on its agency's public column: the earliest published release on a
    # site channel of its own agency, its time (or, lacking one, when that row was written)
    # and its date; NULL while it has none. Kept by a database trigger on releases and
    # channels (releases/migrations/0008_site_published_trigger.py), whoever writes them, so
    # the column's pages read an index instead of joining every item to its releases. Not
    # written by Django (`save` leaves them out); see publicsite.selectors.public_items.
    site_published_at = models.DateTimeField(_("专栏发布时间"), null=True, editable=False)
    site_published_on = models.DateField(_("专栏发布日期"), null=True, editable=False)

    class Meta:
        verbose_name = _("主动公开信息")
        verbose_name_plural = _("主动公开信息")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["agency", "status"]),
            # the agency-wide item list (全部信息), newest change first: a page reads the
            # agency's end of the index, never another agency's items
            models.Index(fields=["agency", "-updated_at", "-id"],
                         name="publication_agency_recent"),
            # the public column (publicsite.selectors.public_items): its index, feed and
            # sitemap, a category's list and an Art. 20 item's list, newest on the site first;
            # each page reads the first rows of its agency's (and category's or item's) end
            *[models.Index(fields=["agency", *extra, "-site_published_at", "-id"],
                           condition=ON_SITE, name=name)
              for extra, name in (((), "publication_on_site"),
                                  (("category",), "publication_on_site_category"),
                                  (("article20_item",), "publication_on_site_item20"))],
        ]

    def __str__(self):
        return self.title

    def save(self, *args, update_fields=None, **kwargs):
        """Never writes SITE_FIELDS: the trigger keeps them, and a copy loaded before a
        release went out must not put back what it read."""
        if update_fields is None and not self._state.adding:
            deferred = self.get_deferred_fields()
            update_fields = [f.attname for f in self._meta.concrete_fields
                             if not f.primary_key and f.attname not in deferred
                             and f.attname not in SITE_FIELDS]
        elif update_fields is not None:
            update_fields = [f for f in update_fields if f not in SITE_FIELDS]
        super().save(*args, update_fields=update_fields, **kwargs)


def attachment_path(instance, filename):
    return f"attachments/{instance.publication.agency_id}/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    publication = models.ForeignKey(Publication, models.PROTECT, related_name="attachments",
                                    verbose_name=_("主动公开信息"))
    file = models.FileField(_("文件"), upload_to=attachment_path)
    name = models.CharField(_("文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("类型"), max_length=100, blank=True)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["id"]

    def __str__(self):
        return self.name
