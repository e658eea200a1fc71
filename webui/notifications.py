"""The notifications application of the web UI (mounted by webui.site.build_site)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import notification_views as views
from .applications import RoleApplication


class NotificationApplication(RoleApplication):
    app_name = "notifications"
    title = _("通知")
    icon = "notifications"
    roles = ()  # everyone signed in has notices
    menu = (("index", _("全部通知"), "notifications"),
            ("settings", _("通知设置"), "settings"))

    index_path = path("", views.notification_list, name="index")
    open_path = path("<int:pk>/open/", views.notification_open, name="open")
    detail_path = path("<int:pk>/", views.notification_detail, name="detail")
    read_all_path = path("read-all/", views.notification_read_all, name="read_all")
    settings_path = path("settings/", views.notification_settings, name="settings")
