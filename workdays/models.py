"""The working-day calendar every deadline counted in working days is counted with.

Chinese working days follow the State Council's yearly holiday notice, with
make-up working weekends (调休). `Holiday` holds the exceptions to "Monday to
Friday" — days off that fall on weekdays and weekend days that are worked —
seeded from the `chinesecalendar` package (2004–2026) and extended by
administrators when the next notice appears. `HolidayYear` says which years are
fully entered; a deadline that runs into any other year is flagged, never guessed.
Every change of either is announced to the apps that store deadlines
(`signals.calendar_changed`).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .signals import CalendarQuerySet


class HolidayKind(models.TextChoices):
    HOLIDAY = "holiday", _("放假")
    WORKDAY = "workday", _("调休上班")


class HolidaySource(models.TextChoices):
    CHINESECALENDAR = "chinesecalendar", _("chinesecalendar 数据包")
    ADMIN = "admin", _("管理员录入")


class HolidayQuerySet(CalendarQuerySet):
    year_lookup = "date__year"


class HolidayYearQuerySet(CalendarQuerySet):
    year_lookup = "year"


class Holiday(models.Model):
    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=HolidayKind.choices,
                            help_text=_("放假：该日休息（含周末）；调休上班：该周末日上班"))
    name = models.CharField(_("节日名称"), max_length=100, blank=True,
                            help_text=_("如：春节、国庆节"))
    source = models.CharField(_("来源"), max_length=32, choices=HolidaySource.choices,
                              default=HolidaySource.ADMIN)

    objects = HolidayQuerySet.as_manager()

    class Meta:
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}".strip()

    @property
    def calendar_year(self) -> int | None:
        # to_python: code may set the date as a string ("2027-01-01") before saving.
        day = self._meta.get_field("date").to_python(self.date)
        return day.year if day else None


class HolidayYear(models.Model):
    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    complete = models.BooleanField(
        _("已完整录入"), default=False,
        help_text=_("该年国务院办公厅节假日安排通知已全部录入。未勾选的年份按仅周末休息计算，"
                    "且期限计算会标明“超出已知节假日数据”。"))
    note = models.CharField(_("备注"), max_length=300, blank=True,
                            help_text=_("如通知的文号和发布日期"))

    objects = HolidayYearQuerySet.as_manager()

    class Meta:
        verbose_name = _("节假日年度")
        verbose_name_plural = _("节假日年度")
        ordering = ["-year"]

    def __str__(self):
        return str(self.year)

    @property
    def calendar_year(self) -> int | None:
        return self._meta.get_field("year").to_python(self.year)
