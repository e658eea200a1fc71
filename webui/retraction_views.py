"""The leader's 撤稿 pages: retracting an item (from its page, after a confirmation that
lists what happens on each channel), and the queue of publishers' retraction requests with
their approval or refusal. Thin views over releases.selectors and releases.services."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from agencies.models import Role
from core.errors import NotFound
from core.pagination import ObjectWindowPaginator
from publications.lifecycle import PublicationLifecycle
from publications.selectors import visible_publication
from releases.models import RetractionRequest
from releases.selectors import (
    covers_section,
    retraction_plan,
    retraction_request_of_agency,
    retraction_requests,
)
from releases.services import decide_retraction, retract_publication

from .forms import submit_form

PAGE_SIZE = 20
CONFIRM_REQUIRED = gettext_lazy("请勾选确认。")


class RetractForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("撤稿理由"),
                             widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": gettext_lazy("请填写撤稿理由。")})
    confirmed = forms.BooleanField(
        label=gettext_lazy("我已确认：该信息将从上述所有渠道撤下，撤稿后不可恢复"),
        error_messages={"required": CONFIRM_REQUIRED})


class ApproveRequestForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("审批意见"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    confirmed = forms.BooleanField(
        label=gettext_lazy("我已确认：批准后该信息将从上述所有渠道撤下，不可恢复"),
        error_messages={"required": CONFIRM_REQUIRED})


class DeclineRequestForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("不批准的理由"),
                              widget=forms.Textarea(attrs={"rows": 2}),
                              error_messages={"required": gettext_lazy("请填写审批意见。")})


def _leader_or_403(user):
    if not user.has_role(Role.LEADER):
        raise PermissionDenied


# ---------------------------------------------------------------- 撤稿 from the item page

def _retractable_item(user, pk):
    """The item for a leader covering its section: 404 if not theirs to see, 403 if not
    theirs to retract."""
    try:
        publication = visible_publication(user, pk, related=("section",))
    except NotFound as error:
        raise Http404 from error
    if not covers_section(user, publication.section_id):
        raise PermissionDenied
    return publication


@require_http_methods(["GET", "POST"])
@login_required
def retract_item(request, pk):
    """GET: what the retraction will do on each channel, and the form; POST: retract."""
    publication = _retractable_item(request.user, pk)
    if not PublicationLifecycle(publication).retract.can_proceed():
        messages.error(request, _("只有已通过发布的信息可以撤稿。"))
        return redirect("webui:items:detail", pk=pk)
    form = RetractForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        item = reverse("webui:items:detail", kwargs={"pk": pk})
        done = submit_form(
            request, form, lambda data: retract_publication(
                user=request.user, publication_id=pk, reason=data["reason"]),
            done=_("已撤稿。已发出的渠道正在撤回，结果见发布记录。"), then=item)
        if done:
            return done
    return render(request, "webui/retraction/retract.html", {
        "publication": publication, "plan": retraction_plan(publication=publication),
        "form": form}, status=422 if form.errors else 200)


# ---------------------------------------------------------------- the queue of requests

@login_required
def request_queue(request, decided=False):
    """The publishers' retraction requests about items of the sections the leader covers:
    pending ones, or the decided ones (已处理)."""
    _leader_or_403(request.user)
    page = ObjectWindowPaginator(retraction_requests(user=request.user, decided=decided),
                                 PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "webui/retraction/queue.html", {
        "page": page, "decided": decided,
        "pending_count": page.paginator.count if not decided
        else retraction_requests(user=request.user).count()})


def _request_or_404(user, pk):
    _leader_or_403(user)
    retraction = retraction_request_of_agency(user=user, request_id=pk)
    if retraction is None:
        raise Http404
    if not covers_section(user, retraction.publication.section_id):
        raise PermissionDenied
    return retraction


def _request_page(request, retraction, *, approve_form=None, decline_form=None, status=200):
    pending = retraction.status == RetractionRequest.Status.PENDING
    return render(request, "webui/retraction/request.html", {
        "retraction": retraction, "publication": retraction.publication, "pending": pending,
        "plan": retraction_plan(publication=retraction.publication) if pending else [],
        "approve_form": approve_form or ApproveRequestForm(),
        "decline_form": decline_form or DeclineRequestForm(),
    }, status=status)


@login_required
def request_detail(request, pk):
    return _request_page(request, _request_or_404(request.user, pk))


def _decide(request, pk, *, approve: bool):
    retraction = _request_or_404(request.user, pk)
    form_class = ApproveRequestForm if approve else DeclineRequestForm
    form = form_class(request.POST)
    done = submit_form(
        request, form, lambda data: decide_retraction(
            user=request.user, request_id=pk, approve=approve, comment=data["comment"]),
        done=(_("已批准撤稿申请，信息已撤稿。") if approve
              else _("已不批准该撤稿申请，已告知申请人。")),
        then=reverse("webui:review:retractions"),
        refused_to=reverse("webui:review:retraction", kwargs={"pk": pk}))
    if done:
        return done
    forms_ = {"approve_form": form} if approve else {"decline_form": form}
    return _request_page(request, retraction, status=422, **forms_)


@require_POST
@login_required
def approve_request(request, pk):
    return _decide(request, pk, approve=True)


@require_POST
@login_required
def decline_request(request, pk):
    return _decide(request, pk, approve=False)
