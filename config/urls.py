from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.api import ObtainTokenView
from accounts.forms import AdminLoginForm
from applications.api import ApplicationViewSet, CaseViewSet
from applications.public_api import PublicApplicationStatusView, PublicApplicationsView
from core.routers import IdRouter
from disclosure.api import StatisticsView
from disclosure.report_api import (
    AnnualReportView,
    FinalizeView,
    NewVersionView,
    OpeningBalanceView,
    SubmitView,
)
from disclosure.report_overview_api import AnnualReportOverviewView
from publications.api import CategoryViewSet
from publicsite.preview import item_preview
from releases.api import (
    ChannelViewSet,
    ReleaseActionsViewSet,
    ReleaseViewSet,
    RequestRetractionViewSet,
    RetractionRequestViewSet,
    RetractViewSet,
)
from releases.views import printable_notice
from scanning.api import ScannedPublicationViewSet, ScanViewSet
from webui.site import site
from workflow.api import (
    FindingDismissViewSet,
    SubmissionViewSet,
    TaskViewSet,
    UnscannedAcknowledgeViewSet,
)

admin.site.site_header = _("政府信息公开审核发布 · 系统管理")
admin.site.site_title = _("系统管理")
admin.site.index_title = _("机关、科室、人员与渠道")
admin.site.site_url = "/app/"
admin.site.login_form = AdminLoginForm  # says so when the lockout refuses a login
# warns when next year's holiday notice is missing (workdays.selectors)
admin.site.index_template = "workdays/admin_index.html"

router = IdRouter()
router.register("channels", ChannelViewSet, basename="channel")
router.register("categories", CategoryViewSet, basename="category")
router.register("publications", ScannedPublicationViewSet, basename="publication")
router.register("tasks", TaskViewSet, basename="task")
router.register("releases", ReleaseViewSet, basename="release")
router.register("applications", ApplicationViewSet, basename="application")
router.register("cases", CaseViewSet, basename="case")
router.register("retraction-requests", RetractionRequestViewSet, basename="retraction-request")

urlpatterns = [
    path("", RedirectView.as_view(url="/app/", permanent=False)),
    path("api-auth/", include("rest_framework.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("api/v1/publications/<int:pk>/submit/", SubmissionViewSet.as_view({"post": "submit"}),
         name="publication-submit"),
    path("api/v1/publications/<int:pk>/withdraw/",
         SubmissionViewSet.as_view({"post": "withdraw"}), name="publication-withdraw"),
    path("api/v1/publications/<int:pk>/scan/", ScanViewSet.as_view({"post": "scan"}),
         name="publication-scan"),
    path("api/v1/publications/<int:pk>/findings/", ScanViewSet.as_view({"get": "findings"}),
         name="publication-findings"),
    path("api/v1/publications/<int:pk>/findings/<int:finding_id>/dismiss/",
         FindingDismissViewSet.as_view({"post": "dismiss"}), name="finding-dismiss"),
    path("api/v1/publications/<int:pk>/unscanned/acknowledge/",
         UnscannedAcknowledgeViewSet.as_view({"post": "acknowledge"}),
         name="unscanned-acknowledge"),
    path("api/v1/publications/<int:pk>/apply-masks/",
         ScanViewSet.as_view({"post": "apply_masks"}), name="publication-apply-masks"),
    path("api/v1/releases/<int:pk>/confirm/", ReleaseActionsViewSet.as_view({"post": "confirm"}),
         name="release-confirm"),
    path("api/v1/releases/<int:pk>/retry/", ReleaseActionsViewSet.as_view({"post": "retry"}),
         name="release-retry"),
    path("api/v1/publications/<int:pk>/retract/", RetractViewSet.as_view({"post": "retract"}),
         name="publication-retract"),
    path("api/v1/publications/<int:pk>/retraction-requests/",
         RequestRetractionViewSet.as_view({"post": "create"}), name="retraction-request-create"),
    path("api/v1/statistics/", StatisticsView.as_view(), name="statistics"),
    path("api/v1/reports/annual/", AnnualReportView.as_view(), name="annual-report"),
    path("api/v1/reports/annual/finalize/", FinalizeView.as_view(),
         name="annual-report-finalize"),
    path("api/v1/reports/annual/new-version/", NewVersionView.as_view(),
         name="annual-report-new-version"),
    path("api/v1/reports/annual/submit/", SubmitView.as_view(), name="annual-report-submit"),
    path("api/v1/reports/annual/opening-balance/", OpeningBalanceView.as_view(),
         name="annual-report-opening-balance"),
    path("api/v1/reports/annual/overview/", AnnualReportOverviewView.as_view(),
         name="annual-report-overview"),
    # 依申请公开 for everyone: submit online, follow the status (anonymous, limited per address)
    path("api/v1/public/<slug:agency>/applications/", PublicApplicationsView.as_view(),
         name="public-applications"),
    path("api/v1/public/<slug:agency>/applications/<str:tracking_code>/",
         PublicApplicationStatusView.as_view(), name="public-application-status"),
    # the dashboard lives in the web UI's frame now; old links and bookmarks still arrive
    path("disclosure/dashboard/", RedirectView.as_view(pattern_name="webui:statistics:index",
                                                       query_string=True),
         name="disclosure-dashboard"),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # people open the docs in a browser: send them to the login page rather than a 401
    path("api/docs/", login_required(SpectacularSwaggerView.as_view(url_name="schema")),
         name="api-docs"),
    path("gk/", include("publicsite.urls")),
    # the item as the public column will show it, among the item's staff pages
    path("app/items/<int:pk>/preview/", item_preview, name="item-preview"),
    path("app/", site.urls),
    # browsers ask for it on every page that names none (the admin, the printable pages)
    path("favicon.ico", lambda request: redirect(static("webui/favicon.ico"), permanent=True),
         name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("releases/<int:pk>/notice/", printable_notice, name="release-notice"),
]

# JSON errors on API paths (no route, a body too large), the site's pages elsewhere.
handler400 = "core.api.bad_request"
handler403 = "core.api.permission_denied"
handler404 = "core.api.page_not_found"
handler500 = "core.api.server_error"
