"""The 依申请公开 application of the web UI: applications for disclosure and the
reconsideration and litigation cases about them.

Open to application handlers (registrars too), leaders, auditors and agency administrators
(others get 403 from viewflow's SiteMiddleware); which applications a person sees, and in how
much detail, is decided by applications.selectors and applications.permissions.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import application_views as views
from .applications import RoleApplication

HANDLER, LEADER = "application_handler", "leader"


class OnRequestApplication(RoleApplication):
    app_name = "applications"
    title = _("依申请公开")
    icon = "contact_mail"
    roles = (HANDLER, LEADER, "auditor", "agency_admin")
    home_for = (HANDLER,)
    menu = (("index", _("申请登记簿"), "list_alt"),
            ("new", _("登记申请"), "post_add", (HANDLER,)),
            ("queue", _("我的承办"), "assignment_ind", (HANDLER,)),
            ("approvals", _("待我审批"), "approval", (LEADER,)),
            ("cases", _("复议诉讼"), "gavel"))

    index_path = path("", views.register, name="index")
    new_path = path("new/", views.new, name="new")
    queue_path = path("mine/", views.queue, name="queue")
    approvals_path = path("approvals/", views.approvals, name="approvals")
    detail_path = path("<int:pk>/", views.detail, name="detail")
    days_path = path("<int:pk>/days/", views.days, name="days")
    action_path = path("<int:pk>/actions/<slug:action>/", views.act, name="action")
    cases_path = path("cases/", views.cases, name="cases")
    case_edit_path = path("cases/<int:case_id>/", views.case_edit, name="case-edit")
    reply_file_add_path = path("<int:pk>/reply-files/", views.reply_file_add,
                               name="reply-file-add")
    reply_file_path = path("<int:pk>/reply-files/<int:file_id>/", views.reply_file,
                           name="reply-file")
    reply_file_remove_path = path("<int:pk>/reply-files/<int:file_id>/remove/",
                                  views.reply_file_remove, name="reply-file-remove")
    case_file_add_path = path("cases/<int:case_id>/files/", views.case_file_add,
                              name="case-file-add")
    case_file_path = path("cases/<int:case_id>/files/<int:file_id>/", views.case_file,
                          name="case-file")
