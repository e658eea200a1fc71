"""The drafter's pages: thin views over publications and workflow services/selectors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from agencies.models import Role
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from core.pagination import ObjectWindowPaginator
from notifications.selectors import unread_count
from publications.lifecycle import PublicationLifecycle
from publications.models import PublicationStatus
from publications.selectors import abolished_documents, visible_publication
from publications.services import (
    add_attachment,
    create_publication,
    record_attachment_download,
    remove_attachment,
    update_publication,
)
from releases.selectors import with_release_statuses
from scanning.services import apply_masks, scan_publication
from workdays.deadlines import art26_due_many
from workflow.services import submit_publication, withdraw_publication

from .attachment_response import attachment_response
from .forms import ItemSearchForm, PublicationForm
from .item_display import table2_facts
from .item_progress import prescan_of, progress_of, review_comments
from .release_outcome import mark_overall, release_outcome
from .retraction_display import retraction_context
from .selectors import agency_administrators, latest_reject_comment, my_items, waiting_step_of
from .urges import item_urge_task

OPEN_STATUSES = (PublicationStatus.DRAFT, PublicationStatus.IN_REVIEW, PublicationStatus.RETURNED)

PAGE_SIZE = 20


def visible_item_or_404(user, pk, related=("section", "category", "drafter")):
    """publications.selectors.visible_publication, answering a page's 404."""
    try:
        return visible_publication(user, pk, related=related)
    except NotFound as error:
        raise Http404 from error


def _own_or_403(user, pk):
    publication = visible_item_or_404(user, pk)
    if publication.drafter_id != user.pk:
        raise PermissionDenied
    return publication


@login_required
def home(request):
    """Send a person to the first application made for one of their roles; the platform's
    operator (staff, in no agency) to the administration; anyone else to a page that says
    what they can do here and whom to ask for a role."""
    user = request.user
    for application in request.resolver_match.site.menu_items():
        if application.is_home_for(user):
            return redirect(application.reverse("index"))
    if user.is_staff and user.agency_id is None:
        return redirect("admin:index")
    return render(request, "webui/home.html", {
        "administrators": agency_administrators(user),
        "unread": unread_count(user=user)})


@login_required
def item_list(request):
    form = ItemSearchForm(request.GET or None)
    items = my_items(user=request.user)
    search = form.search()
    if search.get("q"):
        items = items.filter(Q(title__icontains=search["q"])
                             | Q(document_number__icontains=search["q"]))
    if search.get("status"):
        items = items.filter(status=search["status"])
    page = ObjectWindowPaginator(with_release_statuses(items), PAGE_SIZE).get_page(
        request.GET.get("page"))
    mark_overall(page)
    # the Art. 26 deadline matters while the item is not yet out (nor withheld)
    open_items = [item for item in page if item.status in OPEN_STATUSES]
    dues = art26_due_many([item.formed_on for item in open_items], today=timezone.localdate())
    for item in open_items:
        item.due = dues[item.formed_on]
    return render(request, "webui/item_list.html", {
        "page": page, "form": form, "searched": bool(search),
        "is_drafter": request.user.has_role(Role.DRAFTER)})


@login_required
def item_create(request):
    if not request.user.has_role(Role.DRAFTER):
        raise PermissionDenied
    form = PublicationForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            # the item and its files land together or not at all
            with transaction.atomic():
                publication = create_publication(user=request.user, data=form.service_data())
                _attach(request.user, publication.pk, form.cleaned_data["attachments"])
        except InvalidInput as error:
            form.add_service_errors(error)
        except NotPermitted as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("已保存草稿。"))
            return _then(request, publication.pk)
    return render_item_form(request, form)


@login_required
def item_edit(request, pk):
    publication = _own_or_403(request.user, pk)
    if not PublicationLifecycle(publication).edit.can_proceed():
        messages.error(request, _("当前状态为“%s”，不能修改；只有草稿或退回修改的信息可以修改。")
                       % publication.get_status_display())
        return redirect("webui:items:detail", pk=pk)
    abolishes = list(abolished_documents(publication))
    if request.method == "POST":
        form = PublicationForm(request.POST, request.FILES, user=request.user,
                               current_abolishes=abolishes)
        if form.is_valid():
            try:
                with transaction.atomic():
                    update_publication(user=request.user, publication_id=pk,
                                       data=form.service_data())
                    _attach(request.user, pk, form.cleaned_data["attachments"])
            except InvalidInput as error:
                form.add_service_errors(error)
            except (Conflict, NotPermitted, NotFound) as error:
                messages.error(request, error.message)
                return redirect("webui:items:detail", pk=pk)
            else:
                messages.success(request, _("已保存修改。"))
                return _then(request, pk)
    else:
        form = edit_form(request.user, publication, abolishes)
    return render_item_form(request, form, publication)


def edit_form(user, publication, abolishes=None) -> PublicationForm:
    """The edit form filled with the item as it is."""
    abolishes = list(abolished_documents(publication)) if abolishes is None else abolishes
    return PublicationForm(initial=PublicationForm.initial_from(publication, abolishes),
                           user=user, current_abolishes=abolishes)


def render_item_form(request, form, publication=None, *, import_form=None, status=None):
    """The new or edit page (422 when a form has errors); `import_form`: 导入 Word's
    (webui.docx_views), bound when an import failed."""
    context = {"form": form, "publication": publication, "import_form": import_form}
    if publication is not None:
        context["reject_comment"] = (latest_reject_comment(publication)
                                     if publication.status == PublicationStatus.RETURNED else "")
        context["attachments"] = list(publication.attachments.all())
    errors = form.errors or (import_form is not None and import_form.errors)
    return render(request, "webui/item_form.html", context,
                  status=status or (422 if errors else 200))


def _then(request, pk):
    """After saving the form: the item page, pre-scanned first with “保存并预检”."""
    if request.POST.get("then") == "scan":
        return _scan(request, pk)
    return redirect("webui:items:detail", pk=pk)


@login_required
def item_detail(request, pk):
    publication = visible_item_or_404(request.user, pk)
    is_owner = publication.drafter_id == request.user.pk
    status = publication.status
    lifecycle = PublicationLifecycle(publication)
    prescan = prescan_of(publication)
    return render(request, "webui/item_detail.html", {
        "prescan": prescan, "body": prescan.body, "progress": progress_of(publication),
        "comments": review_comments(publication),
        # 预检 and 一键脱敏 are the drafter's, while the item may be changed
        "can_scan": is_owner and lifecycle.edit.can_proceed(),
        "publication": publication,
        "table2": table2_facts(publication, abolishes=list(abolished_documents(publication)),
                               user=request.user),
        "channels": list(publication.channels.all()),
        "attachments": list(publication.attachments.all()),
        "waiting_step": waiting_step_of(publication) if status == PublicationStatus.IN_REVIEW
        else None,
        "reject_comment": latest_reject_comment(publication)
        if status == PublicationStatus.RETURNED else "",
        "can_edit": is_owner and lifecycle.edit.can_proceed(),
        "can_submit": is_owner and lifecycle.submit.can_proceed(),
        "can_withdraw": is_owner and lifecycle.withdraw.can_proceed(),
        **retraction_context(request.user, publication),
        **release_outcome(publication),
        "urge_task": item_urge_task(request.user, publication),
    })


CONFIRM_WITHDRAW = gettext_lazy(
    "请勾选“我已确认撤回”后再撤回；撤回后本信息不再审核，也不能再提交。")


def _confirmed(request) -> bool:
    """Irreversible actions ask first: the page's dialog (or, without JavaScript, a
    checkbox) sends `confirm`; a POST without it changes nothing."""
    return request.POST.get("confirm") in ("1", "on", "true")


def _act(request, pk, service, done_message, *, confirm_message=None):
    _own_or_403(request.user, pk)
    if confirm_message is not None and not _confirmed(request):
        messages.error(request, confirm_message)
        return redirect("webui:items:detail", pk=pk)
    try:
        service(user=request.user, publication_id=pk)
    except NotFound as error:
        raise Http404 from error
    except (Conflict, NotPermitted) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done_message)
    return redirect("webui:items:detail", pk=pk)


@require_POST
@login_required
def item_submit(request, pk):
    return _act(request, pk, submit_publication, _("已提交审核。"))


@require_POST
@login_required
def item_withdraw(request, pk):
    return _act(request, pk, withdraw_publication, _("已撤回。"),
                confirm_message=CONFIRM_WITHDRAW)


def _prescan_url(pk) -> str:
    return reverse("webui:items:detail", args=[pk]) + "#prescan"


def _scan(request, pk):
    try:
        scan_publication(user=request.user, publication_id=pk)
    except NotFound as error:
        raise Http404 from error
    except (Conflict, NotPermitted) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("预检完成，请查看下方“预检结果”。"))
    return redirect(_prescan_url(pk))


def _own_editable_or_403(request, pk):
    """The drafter's own item while it may be changed (draft, returned); else 403, or a
    message on the item page when its state forbids it (None)."""
    publication = _own_or_403(request.user, pk)
    if not PublicationLifecycle(publication).edit.can_proceed():
        messages.error(request, _("当前状态为“%s”，只有草稿或退回修改的信息可以预检或脱敏。")
                       % publication.get_status_display())
        return None
    return publication


@require_POST
@login_required
def item_scan(request, pk):
    """预检: the confidentiality and privacy pre-scan, before submitting."""
    if _own_editable_or_403(request, pk) is None:
        return redirect("webui:items:detail", pk=pk)
    return _scan(request, pk)


@require_POST
@login_required
def item_mask(request, pk):
    """一键脱敏: every personal datum the scan found in title, body and 文号 masked at once,
    then scanned again. It rewrites the content: asked to confirm first."""
    if _own_editable_or_403(request, pk) is None:
        return redirect("webui:items:detail", pk=pk)
    if not _confirmed(request):
        messages.error(request, _("请勾选“我已确认脱敏”后再脱敏；脱敏会改写标题和正文。"))
        return redirect(_prescan_url(pk))
    try:
        apply_masks(user=request.user, publication_id=pk)
    except NotFound as error:
        raise Http404 from error
    except (Conflict, NotPermitted) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已脱敏，并已重新预检，请查看“预检结果”。"))
    return redirect(_prescan_url(pk))


def _attach(user, publication_id, files) -> None:
    for uploaded in files:
        add_attachment(user=user, publication_id=publication_id, uploaded=uploaded)


@require_POST
@login_required
def attachment_remove(request, pk, attachment_id):
    _own_or_403(request.user, pk)
    if not _confirmed(request):
        messages.error(request, _("请勾选“我已确认删除”后再删除附件；删除后不能恢复。"))
        return redirect("webui:items:edit", pk=pk)
    try:
        remove_attachment(user=request.user, publication_id=pk, attachment_id=attachment_id)
    except NotFound as error:
        raise Http404 from error
    except (Conflict, NotPermitted) as error:
        messages.error(request, error.message)
        return redirect("webui:items:detail", pk=pk)
    messages.success(request, _("已删除附件。"))
    return redirect("webui:items:edit", pk=pk)


@login_required
def attachment_download(request, pk, attachment_id):
    """The file as uploaded, to anyone who may see the item (reviewers and auditors too);
    with ?inline=1 a PDF or an image opens in the browser (attachment_response)."""
    publication = visible_item_or_404(request.user, pk)
    attachment = publication.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    record_attachment_download(user=request.user, publication=publication,
                               attachment=attachment)
    return attachment_response(attachment, handle, inline=request.GET.get("inline") == "1")
