"""The publisher's application in the web UI frame: the releases waiting for confirmation,
the failed ones and the recently published, each release's page and its actions."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import release_views as views
from .applications import RoleApplication


class ReleaseApplication(RoleApplication):
    app_name = "releases"
    title = _("发布")
    icon = "campaign"
    roles = ("publisher",)
    menu = (("index", _("待确认刊发"), "pending_actions"),
            ("failed", _("发布失败"), "error"),
            ("published", _("已发布"), "done_all"))

    index_path = path("", views.queue, {"queue": "awaiting"}, name="index")
    failed_path = path("failed/", views.queue, {"queue": "failed"}, name="failed")
    published_path = path("published/", views.queue, {"queue": "published"}, name="published")
    detail_path = path("<int:pk>/", views.detail, name="detail")
    confirm_path = path("<int:pk>/confirm/", views.confirm, name="confirm")
    retry_path = path("<int:pk>/retry/", views.retry, name="retry")
    retraction_path = path("<int:pk>/request-retraction/", views.request_retraction_view,
                           name="request-retraction")
