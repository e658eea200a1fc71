"""The drafter's pages: thin views over publications and workflow services/selectors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.models import Role
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
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
from workdays.deadlines import art26_due_many
from workflow.services import submit_publication, withdraw_publication

from .attachment_response import attachment_response
from .forms import PublicationForm
from .item_display import table2_facts
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
    page = Paginator(with_release_statuses(my_items(user=request.user)),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    mark_overall(page)
    # the Art. 26 deadline matters while the item is not yet out (nor withheld)
    open_items = [item for item in page if item.status in OPEN_STATUSES]
    dues = art26_due_many([item.formed_on for item in open_items], today=timezone.localdate())
    for item in open_items:
        item.due = dues[item.formed_on]
    return render(request, "webui/item_list.html", {
        "page": page, "is_drafter": request.user.has_role(Role.DRAFTER)})


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
            return redirect("webui:items:detail", pk=publication.pk)
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
                return redirect("webui:items:detail", pk=pk)
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


@login_required
def item_detail(request, pk):
    publication = visible_item_or_404(request.user, pk)
    is_owner = publication.drafter_id == request.user.pk
    status = publication.status
    lifecycle = PublicationLifecycle(publication)
    return render(request, "webui/item_detail.html", {
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


def _act(request, pk, service, done_message):
    _own_or_403(request.user, pk)
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
    return _act(request, pk, withdraw_publication, _("已撤回。"))


def _attach(user, publication_id, files) -> None:
    for uploaded in files:
        add_attachment(user=user, publication_id=publication_id, uploaded=uploaded)


@require_POST
@login_required
def attachment_remove(request, pk, attachment_id):
    _own_or_403(request.user, pk)
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
