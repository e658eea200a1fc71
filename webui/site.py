"""The web UI's frame: one viewflow `Site` at /app/ holding an `Application` per kind of work.

Each application lists the pages of its menu and says which roles see it; the drawer shows
only the applications a person may use. The views check the same roles (a page of an
application one may not use answers 403).
"""

from django.contrib.auth import views as auth_views
from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Site

from accounts.forms import LoginForm

from . import agency_items, docx_views, retraction_views, sign_off_views, views
from .applications import RoleApplication
from .audit import AuditApplication
from .notifications import NotificationApplication
from .on_request import OnRequestApplication
from .releases import ReleaseApplication
from .reports import ReportApplication
from .review import ReviewApplication
from .statistics import StatisticsApplication
from .subordinates import SubordinatesApplication


class DisclosureSite(Site):
    title = _("政府信息公开审核发布")
    menu_template_name = "webui/includes/site_menu.html"
    primary_color = "#1a4f8b"
    secondary_color = "#b71c1c"

    index_path = path("", views.home, name="index")
    login_path = path("login/", auth_views.LoginView.as_view(
        template_name="webui/login.html", authentication_form=LoginForm,
        redirect_authenticated_user=True), name="login")
    logout_path = path("logout/", auth_views.LogoutView.as_view(next_page="webui:login"),
                       name="logout")


class DraftingApplication(RoleApplication):
    app_name = "items"
    title = _("信息")
    icon = "description"
    home_for = ("drafter",)  # open to everyone: reviewers and auditors read items here too
    menu = (("index", _("我的信息"), "description"),
            ("new", _("新建信息"), "note_add", ("drafter",)),
            ("all", _("全部信息"), "list_alt", agency_items.ROLES))

    index_path = path("", views.item_list, name="index")
    new_path = path("new/", views.item_create, name="new")
    import_new_path = path("new/import/", docx_views.import_new, name="import-new")
    all_path = path("all/", agency_items.agency_item_list, name="all")
    detail_path = path("<int:pk>/", views.item_detail, name="detail")
    edit_path = path("<int:pk>/edit/", views.item_edit, name="edit")
    import_path = path("<int:pk>/import/", docx_views.import_into, name="import")
    submit_path = path("<int:pk>/submit/", views.item_submit, name="submit")
    sign_off_path = path("<int:pk>/sign-off/", sign_off_views.sheet, name="sign-off")
    sign_off_pdf_path = path("<int:pk>/sign-off.pdf", sign_off_views.sheet_pdf,
                             name="sign-off-pdf")
    withdraw_path = path("<int:pk>/withdraw/", views.item_withdraw, name="withdraw")
    retract_path = path("<int:pk>/retract/", retraction_views.retract_item, name="retract")
    scan_path = path("<int:pk>/scan/", views.item_scan, name="scan")
    mask_path = path("<int:pk>/mask/", views.item_mask, name="mask")
    attachment_path = path("<int:pk>/attachments/<int:attachment_id>/",
                           views.attachment_download, name="attachment")
    attachment_remove_path = path("<int:pk>/attachments/<int:attachment_id>/remove/",
                                  views.attachment_remove, name="attachment-remove")


def build_site() -> DisclosureSite:
    return DisclosureSite(app_name="webui", viewsets=[
        DraftingApplication(),
        ReviewApplication(),
        OnRequestApplication(),
        ReleaseApplication(),
        # before the audit: a county government's auditor lands on the subordinates' reports
        SubordinatesApplication(),
        AuditApplication(),
        ReportApplication(),
        StatisticsApplication(),
        NotificationApplication(),
    ])


site = build_site()
