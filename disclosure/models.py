"""The annual report (政府信息公开工作年度报告) of an agency and year, in versions.

A draft holds only what people wrote (`sections`: the narrative they edited); its figures
are computed live from the releases and the application register (`disclosure.reports`).
Finalising freezes the whole report — figures, text, checks — into `snapshot` with its
`fingerprint`; a final version never changes again, and a correction after it is a new
version beside it. `OpeningBalance` is what an agency that started using the system mid-way
declares as last year's carried-forward applications (table 三, row 四), once.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    FINAL = "final", _("已定稿")


class AnnualReport(models.Model):
    agency = models.ForeignKey("agencies.Agency", models.PROTECT, related_name="annual_reports",
                               verbose_name=_("机关"))
    year = models.PositiveSmallIntegerField(_("年度"))
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    status = models.CharField(_("状态"), max_length=8, choices=ReportStatus.choices,
                              default=ReportStatus.DRAFT)
    # the narrative as edited: {section key: text}; a key left out takes the generated text
    sections = models.JSONField(_("正文"), default=dict, blank=True)
    snapshot = models.JSONField(_("定稿内容"), null=True, blank=True)
    fingerprint = models.CharField(_("内容指纹"), max_length=64, blank=True)
    finalised_at = models.DateTimeField(_("定稿时间"), null=True, blank=True)
    finalised_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True,
                                     blank=True, related_name="+", verbose_name=_("定稿人"))
    # the item that carries the final report through the review into the public column
    publication = models.ForeignKey("publications.Publication", models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("报审信息"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("年度报告")
        verbose_name_plural = _("年度报告")
        ordering = ["agency", "-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "year", "version"],
                                    name="annual_report_version_unique"),
            models.CheckConstraint(
                condition=models.Q(status="draft", snapshot__isnull=True)
                | models.Q(status="final", snapshot__isnull=False),
                name="annual_report_final_has_snapshot"),
        ]

    def __str__(self):
        return f"{self.agency} {self.year} v{self.version}"


class OpeningBalance(models.Model):
    """Last year's 结转下年度继续办理 row as the agency's own report gave it, for the first year
    it reports from the system: the register must account for these applications."""

    agency = models.ForeignKey("agencies.Agency", models.PROTECT, related_name="+",
                               verbose_name=_("机关"))
    year = models.PositiveSmallIntegerField(_("报告年度"),
                                            help_text=_("其“上年结转”一行由此核对的年度"))
    counts = models.JSONField(_("各类申请人件数"), default=dict,
                              help_text=_("申请人类型 → 件数"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                   verbose_name=_("录入人"))
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("上年结转申请（期初数）")
        verbose_name_plural = _("上年结转申请（期初数）")
        constraints = [
            models.UniqueConstraint(fields=["agency", "year"], name="opening_balance_once"),
        ]

    def __str__(self):
        return f"{self.agency} {self.year}"
