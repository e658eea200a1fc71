"""The drafter's item form: parses the input; the publication service validates it."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from agencies.models import Channel
from core.errors import InvalidInput
from publications.models import ARTICLE20_ITEMS, Category
from publications.services import check_attachment

# What the form passes to create_publication / update_publication.
FORM_FIELDS = ("title", "body", "section", "category", "article20_item", "formed_on",
               "channels")


class RichTextEditor(forms.HiddenInput):
    """Trix (served from viewflow's wheel) editing a hidden input; the service sanitises the
    HTML it posts with nh3, so the editor is a convenience, not a trust boundary."""

    template_name = "webui/widgets/rich_text.html"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Any number of files, each checked against the attachment rules before saving."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        cleaned = [super(AttachmentsField, self).clean(one, initial) for one in files]
        errors = []
        for uploaded in cleaned:
            try:
                check_attachment(uploaded)
            except InvalidInput as error:
                errors.append(f"{uploaded.name}：{error.fields['file'][0]}")
        if errors:
            raise ValidationError(errors)
        return cleaned


class PublicationForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=300)
    body = forms.CharField(label=_("正文"), required=False, widget=RichTextEditor)
    section = forms.ChoiceField(label=_("科室"))
    category = forms.ChoiceField(label=_("公开目录类别"))
    article20_item = forms.TypedChoiceField(
        label=_("条例第二十条事项"), required=False, coerce=int, empty_value=None,
        choices=[("", _("（不属于第二十条事项）"))] + ARTICLE20_ITEMS)
    formed_on = forms.DateField(label=_("信息形成或变更日期"),
                                widget=forms.DateInput(attrs={"type": "date"},
                                                       format="%Y-%m-%d"))
    channels = forms.MultipleChoiceField(label=_("发布渠道"),
                                         widget=forms.CheckboxSelectMultiple)
    attachments = AttachmentsField(label=_("添加附件"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        section = user.section
        self.fields["section"].choices = (
            [(section.code, section.name)] if section is not None else [])
        self.fields["category"].choices = [("", "---------")] + list(
            Category.objects.filter(agency_id=user.agency_id).values_list("code", "name"))
        self.fields["channels"].choices = list(
            Channel.objects.filter(agency_id=user.agency_id, is_active=True)
            .order_by("code").values_list("code", "name"))

    @staticmethod
    def initial_from(publication) -> dict:
        return {
            "title": publication.title, "body": publication.body,
            "section": publication.section.code, "category": publication.category.code,
            "article20_item": publication.article20_item, "formed_on": publication.formed_on,
            "channels": [c.code for c in publication.channels.all()],
        }

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in FORM_FIELDS}

    def add_service_errors(self, error) -> None:
        # the attachment service names its upload "file"; here it is the attachments field
        add_service_errors(self, error, renamed={"file": "attachments"})


def add_service_errors(form, error, *, renamed=None) -> None:
    """Show an InvalidInput's field messages next to the fields they name (`renamed` maps a
    service's field name to the form's); the rest above the form."""
    for name, messages in (error.fields or {}).items():
        name = (renamed or {}).get(name, name)
        target = name if name in form.fields else None
        for message in messages if isinstance(messages, list | tuple) else [messages]:
            form.add_error(target, str(message))
    if not error.fields:
        form.add_error(None, error.message)
