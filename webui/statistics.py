"""The statistics application of the web UI: the agency-year dashboard (统计看板) inside the
frame, for everyone signed in (what it shows is what the reader may read), and 办理时效
(where items wait) for leaders, agency administrators and auditors."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import statistics_views as views
from . import waiting_views
from .applications import RoleApplication


class StatisticsApplication(RoleApplication):
    app_name = "statistics"
    title = _("统计")
    icon = "insert_chart"
    roles = ()
    menu = (("index", _("主动公开统计"), "insert_chart"),
            ("waiting", _("办理时效"), "timer", waiting_views.READERS))

    index_path = path("", views.dashboard, name="index")
    waiting_path = path("waiting/", waiting_views.dashboard, name="waiting")
    waiting_csv_path = path("waiting/overdue.csv", waiting_views.overdue_csv,
                            name="waiting-csv")
