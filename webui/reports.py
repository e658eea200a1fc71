"""The annual report application of the web UI (年度报告): a page per year.

Open to the agency's administrators and report editors, who edit and finalise, and to
leaders, auditors and drafters, who read it (others get 403 from viewflow's
SiteMiddleware); disclosure.report_services decides who may do what.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import report_views as views
from .applications import RoleApplication


class ReportApplication(RoleApplication):
    app_name = "reports"
    title = _("年度报告")
    icon = "summarize"
    roles = ("agency_admin", "report_editor", "leader", "auditor", "drafter")
    # the editors' work; an agency administrator without other work lands here too
    home_for = ("report_editor", "agency_admin")
    menu = (("index", _("上年度报告"), "summarize"),)

    index_path = path("", views.index, name="index")
    year_path = path("<int:year>/", views.year_page, name="year")
    sections_path = path("<int:year>/sections/", views.edit_sections, name="sections")
    opening_balance_path = path("<int:year>/opening-balance/", views.opening_balance,
                                name="opening-balance")
    finalise_path = path("<int:year>/finalise/", views.finalise, name="finalise")
    new_version_path = path("<int:year>/new-version/", views.new_version, name="new-version")
    submit_path = path("<int:year>/submit/", views.submit, name="submit")
