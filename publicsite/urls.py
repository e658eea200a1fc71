"""The column lives under /gk/<agency code>/ (政府信息公开)."""

from django.urls import path

from . import applying, views

app_name = "publicsite"

urlpatterns = [
    path("<slug:agency_code>/", views.index, name="index"),
    path("<slug:agency_code>/category/<slug:code>/", views.category, name="category"),
    path("<slug:agency_code>/item20/<int:n>/", views.article20_item, name="item20"),
    path("<slug:agency_code>/items/<int:item_id>/", views.item, name="item"),
    path("<slug:agency_code>/items/<int:item_id>/attachments/<int:attachment_id>/",
         views.attachment, name="attachment"),
    path("<slug:agency_code>/apply/", applying.apply, name="apply"),
    path("<slug:agency_code>/apply/done/", applying.apply_done, name="apply-done"),
    path("<slug:agency_code>/apply/status/", applying.apply_status, name="apply-status"),
    path("<slug:agency_code>/reports/", views.reports, name="reports"),
    path("<slug:agency_code>/search/", views.search, name="search"),
    path("<slug:agency_code>/feed.atom", views.feed, name="feed"),
    path("<slug:agency_code>/sitemap.xml", views.sitemap, name="sitemap"),
    path("<slug:agency_code>/checkpoint", views.audit_checkpoint, name="checkpoint"),
    path("<slug:agency_code>/checkpoint/key", views.audit_checkpoint_key,
         name="checkpoint-key"),
]
