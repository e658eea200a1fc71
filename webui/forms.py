"""The drafter's item form: parses the input; the publication service validates it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from publications.models import ARTICLE20_ITEMS, Category
from releases.models import Channel

# What the form passes to create_publication / update_publication.
FORM_FIELDS = ("title", "body", "section", "category", "article20_item", "formed_on",
               "channels")


class PublicationForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=300)
    body = forms.CharField(label=_("正文"), required=False,
                           widget=forms.Textarea(attrs={"rows": 12}))
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
        """Show an InvalidInput's field messages next to the fields they name."""
        for name, messages in (error.fields or {}).items():
            target = name if name in self.fields else None
            for message in messages if isinstance(messages, list | tuple) else [messages]:
                self.add_error(target, str(message))
        if not error.fields:
            self.add_error(None, error.message)
