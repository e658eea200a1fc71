"""导入 Word on the item form: a .docx becomes the body (scanning.docx_import).

On the new item's page the import fills the form (title from the document's first heading,
or the file name) and writes nothing: the drafter checks it, fills in the rest and saves.
On a draft's edit page it replaces the body (confirmed when there is one) and adds the
document's images as attachments, audited.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from agencies.models import Role
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from publications.lifecycle import PublicationLifecycle
from scanning.docx_import import convert_docx, import_docx
from scanning.services import scan_limits

from .forms import PublicationForm, add_service_errors
from .views import edit_form, render_item_form, visible_item_or_404


class DocxImportForm(forms.Form):
    docx = forms.FileField(label=gettext_lazy("Word 文档（.docx）"),
                           error_messages={"required": gettext_lazy("请选择要导入的 .docx 文件。"),
                                           "empty": gettext_lazy("文件是空的。")})
    replace = forms.BooleanField(label=gettext_lazy("我已确认用导入的内容替换现有正文"),
                                 required=False)


def _images_message(document) -> str:
    if not document.skipped_images:
        return ""
    return _("%(names)s的格式不能作为附件，请另存为 PNG 或 JPG 后上传。") % {
        "names": "、".join(document.skipped_images)}


@require_POST
@login_required
def import_new(request):
    """Fill the new item's form from a .docx; nothing is saved."""
    if not request.user.has_role(Role.DRAFTER):
        raise PermissionDenied
    import_form = DocxImportForm(request.POST, request.FILES)
    document = None
    if import_form.is_valid():
        try:
            document = convert_docx(import_form.cleaned_data["docx"], limits=scan_limits())
        except InvalidInput as error:
            add_service_errors(import_form, error)
    if document is None:
        return render_item_form(request, PublicationForm(user=request.user),
                                import_form=import_form)
    message = _("已从“%(name)s”导入正文，请检查后填写其他信息并保存草稿。") % {
        "name": import_form.cleaned_data["docx"].name}
    if document.images:
        message += ngettext(
            "文档中有 %(n)d 张图片：保存草稿后，在修改页面再次导入该文档，图片会作为附件添加。",
            "文档中有 %(n)d 张图片：保存草稿后，在修改页面再次导入该文档，图片会作为附件添加。",
            len(document.images)) % {"n": len(document.images)}
    messages.info(request, message + _images_message(document))
    form = PublicationForm(initial={"title": document.title, "body": document.body},
                           user=request.user)
    return render_item_form(request, form)


@require_POST
@login_required
def import_into(request, pk):
    """Replace a draft's body by a .docx's and attach its images."""
    publication = visible_item_or_404(request.user, pk)
    if publication.drafter_id != request.user.pk:
        raise PermissionDenied
    if not PublicationLifecycle(publication).edit.can_proceed():
        messages.error(request, _("当前状态为“%s”，不能修改；只有草稿或退回修改的信息可以修改。")
                       % publication.get_status_display())
        return redirect("webui:items:detail", pk=pk)
    import_form = DocxImportForm(request.POST, request.FILES)
    if import_form.is_valid():
        try:
            document = import_docx(user=request.user, publication_id=pk,
                                   uploaded=import_form.cleaned_data["docx"],
                                   replace=import_form.cleaned_data["replace"],
                                   limits=scan_limits())
        except InvalidInput as error:
            add_service_errors(import_form, error, renamed={"body": "docx"})
        except NotFound as error:
            raise Http404 from error
        except (Conflict, NotPermitted) as error:
            messages.error(request, error.message)
            return redirect("webui:items:edit", pk=pk)
        else:
            message = _("已导入“%(name)s”，正文已替换。") % {
                "name": import_form.cleaned_data["docx"].name}
            if document.images:
                message += ngettext("%(n)d 张图片已添加为附件。", "%(n)d 张图片已添加为附件。",
                                    len(document.images)) % {"n": len(document.images)}
            messages.success(request, message + _images_message(document))
            return redirect("webui:items:edit", pk=pk)
    return render_item_form(request, edit_form(request.user, publication), publication,
                            import_form=import_form)
