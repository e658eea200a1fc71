"""Letter templates in the admin: the platform operator words the platform's letters, an
agency admin their agency's; the form starts from the wording in force, refuses a template
that would not render, and previews the letter as .docx with made-up data."""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.utils.translation import gettext_lazy as _

from agencies.admin_scope import AgencyScopedAdmin

from .letters import (
    DEFAULT_TEMPLATES,
    TEMPLATE_VARIABLES,
    LetterDefault,
    LetterKind,
    LetterTemplate,
    build_docx,
    render_text,
    sample_context,
)
from .outcomes import OutcomeGroup

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class LetterTemplateForm(forms.ModelForm):
    class Meta:
        model = LetterTemplate
        fields = ["agency", "kind", "outcome_group", "title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 24, "cols": 100})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "body" in self.fields:
            names = "；".join(f"{name}（{label}）" for name, label in TEMPLATE_VARIABLES.items())
            self.fields["body"].help_text = _(
                "Django 模板语言：变量写作 {{ applicant_name }}，"
                "条件写作 {%% if … %%}…{%% endif %%}；"
                "段落之间空一行。可用的变量：%(names)s") % {"names": names}


@admin.register(LetterTemplate)
class LetterTemplateAdmin(AgencyScopedAdmin):
    form = LetterTemplateForm
    list_display = ["__str__", "title", "agency", "updated_at"]
    list_filter = ["agency", "kind", "outcome_group"]
    change_form_template = "admin/applications/lettertemplate/change_form.html"

    class Media:
        js = ["applications/letter_template_form.js"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not request.user.is_superuser and "agency" in form.base_fields:
            # An agency admin's templates are their agency's (save_model sees to it); the
            # field stays, shown and fixed, so uniqueness per agency is checked on it.
            field = form.base_fields["agency"]
            field.disabled, field.required = True, True
            field.initial = request.user.agency_id
        return form

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        kind = initial.get("kind") or LetterKind.REPLY
        if kind not in LetterKind.values:
            kind = LetterKind.REPLY
        group = initial.get("outcome_group") or ""
        if kind == LetterKind.REPLY and group not in OutcomeGroup.values:
            group = OutcomeGroup.DISCLOSED
        wording = _wording_in_force().get((kind, group if kind == LetterKind.REPLY else ""))
        initial.update({"kind": kind, "outcome_group": group if kind == LetterKind.REPLY else "",
                        "title": initial.get("title") or wording.title,
                        "body": initial.get("body") or wording.body})
        if not request.user.is_superuser:
            initial["agency"] = request.user.agency_id
        return initial

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and "_preview" in request.POST:
            preview = self._preview(request, object_id)
            if preview is not None:
                return preview
        defaults = {f"{kind}|{group}": {"title": w.title, "body": w.body}
                    for (kind, group), w in _wording_in_force().items()}
        extra_context = {**(extra_context or {}), "letter_defaults": defaults}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _preview(self, request, object_id):
        """The letter of the form's (unsaved) text as .docx, or None when the form has
        errors: the page then shows them as on saving."""
        obj = None
        if object_id:
            obj = self.get_object(request, unquote(object_id))
            if obj is None:
                raise Http404
            if not self.has_view_permission(request, obj):
                raise PermissionDenied
        elif not self.has_add_permission(request):
            raise PermissionDenied
        form = self.get_form(request, obj, change=obj is not None)(request.POST, instance=obj)
        if not form.is_valid():
            return None
        data = form.cleaned_data
        agency = data.get("agency") or request.user.agency
        context = sample_context(kind=data["kind"], outcome_group=data.get("outcome_group", ""),
                                 agency_name=agency.name if agency else "")
        text = render_text(title=data["title"], body=data["body"], context=context)
        response = HttpResponse(
            build_docx(agency_name=context.agency_name, text=text,
                       tracking_code=context.tracking_code, issued_on=context.issued_on),
            content_type=DOCX)
        response["Content-Disposition"] = 'attachment; filename="letter-preview.docx"'
        return response


def _wording_in_force() -> dict:
    """(kind, group) → the platform's wording: its template where it has one, else the
    default in code. What an agency's own template starts from."""
    wording = dict(DEFAULT_TEMPLATES)
    for row in LetterTemplate.objects.filter(agency__isnull=True):
        wording[(row.kind, row.outcome_group)] = LetterDefault(row.title, row.body)
    return wording
