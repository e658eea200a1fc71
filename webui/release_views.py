"""The publisher's pages: thin views over releases.selectors and releases.services."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from agencies.models import Channel, ChannelKind, Role
from core.errors import Conflict, NotFound, NotPermitted
from core.pagination import ObjectWindowPaginator
from releases.models import ReleaseStatus
from releases.selectors import queue_counts, release_of_agency, release_queue
from releases.services import confirm_release, request_retraction, retry_release

from .forms import submit_form

PAGE_SIZE = 20
DATE = {"type": "date"}
QUEUE_TITLES = {"awaiting": gettext_lazy("待确认刊发"), "failed": gettext_lazy("发布失败"),
                "published": gettext_lazy("已发布")}
QUEUE_EMPTY = {
    "awaiting": gettext_lazy("没有待确认刊发的信息。报刊、公告栏等人工渠道的发布会出现在这里。"),
    "failed": gettext_lazy("没有发布失败的信息。"),
    "published": gettext_lazy("没有符合条件的已发布信息。"),
}


def _publisher_or_403(user):
    if not user.has_role(Role.PUBLISHER):
        raise PermissionDenied


def _release_or_404(user, pk):
    _publisher_or_403(user)
    release = release_of_agency(user=user, release_id=pk)
    if release is None:
        raise Http404
    return release


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("标题或文号"), required=False)
    channel = forms.ModelChoiceField(label=gettext_lazy("发布渠道"), queryset=None,
                                     required=False, empty_label=gettext_lazy("全部"))
    date_from = forms.DateField(label=gettext_lazy("开始日期"), required=False,
                                widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    date_to = forms.DateField(label=gettext_lazy("结束日期"), required=False,
                              widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.filter(agency_id=user.agency_id)


@login_required
def queue(request, queue):
    _publisher_or_403(request.user)
    form = QueueFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    releases = release_queue(user=request.user, queue=queue, channel=filters.get("channel"),
                             date_from=filters.get("date_from"),
                             date_to=filters.get("date_to"), q=filters.get("q", "").strip())
    page = ObjectWindowPaginator(releases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "webui/releases/queue.html", {
        "page": page, "form": form, "queue": queue, "title": QUEUE_TITLES[queue],
        "empty": QUEUE_EMPTY[queue], "counts": queue_counts(user=request.user),
        "filtered": bool(filters and any(filters.values())),
    }, status=422 if form.errors else 200)


class ConfirmForm(forms.Form):
    published_on = forms.DateField(label=gettext_lazy("刊发日期"),
                                   widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    reference = forms.CharField(label=gettext_lazy("版面或链接"), max_length=500,
                                help_text=gettext_lazy("如“第 3 版”或网页地址"))
    scan = forms.FileField(label=gettext_lazy("刊发扫描件"), required=False,
                           help_text=gettext_lazy("可选：报刊版面或公告栏照片"))
    confirmed = forms.BooleanField(label=gettext_lazy("我已核对刊发情况，确认后不可撤销"),
                                   error_messages={"required": gettext_lazy("请勾选确认。")})


class RetractionForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("撤稿理由"),
                             widget=forms.Textarea(attrs={"rows": 3}))
    confirmed = forms.BooleanField(label=gettext_lazy("确认提交撤稿申请"),
                                   error_messages={"required": gettext_lazy("请勾选确认。")})


def _detail_page(request, release, *, confirm_form=None, retraction_form=None, status=200):
    publication = release.publication
    awaiting = release.status == ReleaseStatus.AWAITING_CONFIRMATION
    return render(request, "webui/releases/detail.html", {
        "release": release, "publication": publication,
        "confirm_form": confirm_form or (ConfirmForm(initial={
            "published_on": timezone.localdate()}) if awaiting else None),
        "retraction_form": retraction_form or RetractionForm(),
        "can_confirm": awaiting and release.channel.kind == ChannelKind.MANUAL,
        "can_retry": release.status in (ReleaseStatus.FAILED, ReleaseStatus.RETRACTION_FAILED),
        "can_request_retraction": publication.status == "approved"
        and not publication.retraction_requests.filter(status="pending").exists(),
        "pending_request": publication.retraction_requests.filter(status="pending").first(),
        "has_notice": release.channel.kind == ChannelKind.MANUAL
        and release.status != ReleaseStatus.RETRACTED,
        "notice_url": reverse("release-notice", kwargs={"pk": release.pk}),
    }, status=status)


@login_required
def detail(request, pk):
    return _detail_page(request, _release_or_404(request.user, pk))


def _form_action(request, release, form, call, done, form_key):
    """A release page's form (`webui.forms.submit_form`); invalid → the page again, 422."""
    page = reverse("webui:releases:detail", kwargs={"pk": release.pk})
    return (submit_form(request, form, call, done=done, then=page)
            or _detail_page(request, release, status=422, **{form_key: form}))


@require_POST
@login_required
def confirm(request, pk):
    release = _release_or_404(request.user, pk)
    return _form_action(
        request, release, ConfirmForm(request.POST, request.FILES),
        lambda data: confirm_release(user=request.user, release_id=pk,
                                     published_on=data["published_on"],
                                     reference=data["reference"], scan=data["scan"]),
        _("已确认刊发。"), "confirm_form")


@require_POST
@login_required
def retry(request, pk):
    _release_or_404(request.user, pk)
    try:
        retry_release(user=request.user, release_id=pk)
    except NotFound as error:
        raise Http404 from error
    except (Conflict, NotPermitted) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已重新发送，请稍后查看结果。"))
    return redirect("webui:releases:detail", pk=pk)


@require_POST
@login_required
def request_retraction_view(request, pk):
    release = _release_or_404(request.user, pk)
    return _form_action(
        request, release, RetractionForm(request.POST),
        lambda data: request_retraction(user=request.user,
                                        publication_id=release.publication_id,
                                        reason=data["reason"]),
        _("已提交撤稿申请，等待分管领导审批。"), "retraction_form")
