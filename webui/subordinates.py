"""The application of a parent agency's supervisors (a county government above its
departments): where each subordinate agency's annual report stands, and the summary of
their tables 二–四 (年度报告汇总), from disclosure.report_overview.

Open to agency admins, report editors, leaders and auditors (others get 403 from viewflow's
SiteMiddleware); an agency without subordinates sees an empty page saying how it gets some.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from agencies.selectors import has_children
from disclosure.report_overview import SUPERVISORS

from . import subordinate_views as views
from .applications import RoleApplication


class SubordinatesApplication(RoleApplication):
    app_name = "subordinates"
    title = _("下属单位")
    icon = "account_tree"
    roles = tuple(str(role) for role in SUPERVISORS)
    menu = (("index", _("年度报告汇总"), "summarize"),)

    index_path = path("", views.reports, name="index")
    download_path = path("reports.xlsx", views.reports_download, name="download")

    def is_home_for(self, user) -> bool:
        # The page is a supervisor's daily work only when there is someone to supervise.
        return (super().is_home_for(user) and user.agency_id is not None
                and has_children(user.agency))
