"""The drafter's item form: parses the input; the publication service validates it."""

from django import forms
from django.contrib import messages as notices
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.text import format_lazy
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from agencies.models import CHANNEL_ORDER, Channel, ChannelKind
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from publications.article20 import DECISION_TYPES_BY_ITEM, DOCUMENT_ITEM, FEE_ITEM, TOPICS
from publications.models import (
    ARTICLE20_ITEMS,
    Category,
    DecisionType,
    DocumentType,
    PublicationStatus,
)
from publications.selectors import abolishable_documents
from publications.services import check_attachment

# What the form passes to create_publication / update_publication.
FORM_FIELDS = ("title", "body", "section", "category", "article20_item", "formed_on",
               "channels", "document_type", "document_number", "effective_on", "abolished_on",
               "abolishes", "decision_type", "decision_count", "fee_amount_yuan")

# The fields table 二 counts, by the Art. 20 items they belong to (publications.article20).
DOCUMENT_FIELDS = ("document_type", "document_number", "effective_on", "abolished_on",
                   "abolishes")
DECISION_FIELDS = ("decision_type", "decision_count")
FEE_FIELDS = ("fee_amount_yuan",)
FIELD_GROUPS = {
    "document": (DOCUMENT_FIELDS, (DOCUMENT_ITEM,)),
    "decision": (DECISION_FIELDS, tuple(DECISION_TYPES_BY_ITEM)),
    "fee": (FEE_FIELDS, (FEE_ITEM,)),
}
# legend, and what table 二 counts from the group
GROUP_TEXTS = {
    "document": (_("规章和行政规范性文件"),
                 _("年度报告表二第（一）项按文件类型统计本年制发、本年废止和现行有效的件数。"
                   "不是本机关制发的规章或行政规范性文件的，文件类型留空。")),
    "decision": (_("处理决定"),
                 _("表二第（五）项统计行政许可、第（六）项统计行政处罚和行政强制的"
                   "本年处理决定数量。只公布依据、条件、程序的，决定类型留空。")),
    "fee": (_("行政事业性收费"), _("表二第（八）项统计本年收费金额。")),
}
MAX_INT = 2_147_483_647
LIST_SEPARATOR = pgettext_lazy("list separator", "、")


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def editor_config() -> dict:
    """TinyMCE's options for the body (webui/static/webui/rich_text.js adds the first-line
    indent button). The editor keeps, as the server's sanitiser does
    (publications.sanitise), headings, lists, tables with merged cells, alignment and
    first-line indents of pasted Word/WPS content; it drops images (files go through the
    attachment field) and every other style. Self-hosted from django-tinymce's static files
    under the GPL licence key: nothing is loaded from a CDN."""
    config = {
        "license_key": "gpl", "promotion": False, "branding": False, "menubar": False,
        "elementpath": False,
        "height": 420, "plugins": "lists table link",
        "toolbar": "undo redo | blocks | bold italic underline | alignleft aligncenter "
                   "alignright alignjustify | firstlineindent | bullist numlist | table link "
                   "| removeformat",
        "block_formats": "; ".join(f"{label}={tag}" for tag, label in (
            ("p", _("正文")), ("h1", _("一级标题")), ("h2", _("二级标题")),
            ("h3", _("三级标题")))),
        "valid_styles": {"*": "text-align,text-indent"},
        "invalid_elements": "img,script,style,iframe,object,embed,video,audio,form,input",
        "paste_data_images": False, "paste_webkit_styles": "text-align text-indent",
        "paste_block_drop": True,
        "table_default_attributes": {}, "table_default_styles": {},
        "table_advtab": False, "table_cell_advtab": False, "table_row_advtab": False,
        "table_appearance_options": False, "object_resizing": False,
        "link_default_target": "", "link_assume_external_targets": True,
        "convert_urls": False, "entity_encoding": "raw",
        "first_line_indent_label": str(_("首行缩进两字")),
    }
    if (get_language() or "").startswith("zh"):
        config["language"] = "zh_CN"  # tinymce/langs/zh_CN.js, shipped with the package
    return config


class RichTextEditor(forms.Textarea):
    """TinyMCE over a textarea (which posts the HTML without JavaScript too); the service
    sanitises what is posted with nh3, so the editor is a convenience, not a trust
    boundary."""

    template_name = "webui/widgets/rich_text.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["editor_config"] = editor_config()
        context["widget"]["editor_config_id"] = f"{context['widget']['attrs']['id']}-editor-config"
        return context


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


class DecisionTypeSelect(forms.Select):
    """Each option says which Art. 20 item it belongs to, so the page's script can offer
    only the types of the chosen item (the form checks the pairing either way)."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        items = [str(n) for n, types in DECISION_TYPES_BY_ITEM.items() if value in types]
        if items:
            option["attrs"]["data-items"] = " ".join(items)
        return option


def article20_choices():
    """Each item with what it covers: 第（1）项　行政法规、规章和规范性文件."""
    return [("", _("不属于第二十条事项"))] + [
        (n, format_lazy("{}　{}", label, TOPICS[n])) for n, label in ARTICLE20_ITEMS]


class PublicationForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=300)
    body = forms.CharField(label=_("正文"), required=False, widget=RichTextEditor)
    section = forms.ChoiceField(label=_("科室"))
    category = forms.ChoiceField(label=_("公开目录类别"))
    article20_item = forms.TypedChoiceField(
        label=_("条例第二十条事项"), required=False, coerce=int, empty_value=None,
        choices=article20_choices, widget=forms.RadioSelect)
    document_type = forms.ChoiceField(
        label=_("文件类型"), required=False,
        choices=[("", _("（不是规章或行政规范性文件）"))] + DocumentType.choices)
    document_number = forms.CharField(
        label=_("文号"), required=False, max_length=100,
        help_text=_("如：温住建〔2024〕3号。规章和行政规范性文件必须填写。"))
    effective_on = forms.DateField(label=_("生效日期"), required=False, widget=_date_input())
    abolished_on = forms.DateField(
        label=_("废止日期"), required=False, widget=_date_input(),
        help_text=_("文件自身规定的失效日期；被其他文件废止的，在那份文件中选择本文件。"))
    abolishes = forms.TypedMultipleChoiceField(
        label=_("本文件废止的文件"), required=False, coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("本机关已发布的规章和行政规范性文件；本信息发布之年计为废止。"))
    decision_type = forms.ChoiceField(
        label=_("决定类型"), required=False, widget=DecisionTypeSelect,
        choices=[("", _("（不是处理决定）"))] + DecisionType.choices)
    decision_count = forms.IntegerField(
        label=_("决定数量"), required=False, max_value=MAX_INT,
        help_text=_("本信息公布的处理决定件数；不填按 1 件计。"))
    fee_amount_yuan = forms.DecimalField(
        label=_("收费金额（元）"), required=False, max_digits=14, decimal_places=2,
        help_text=_("本信息涉及的行政事业性收费金额，单位为元；年度报告中折算为万元。"))
    formed_on = forms.DateField(label=_("信息形成或变更日期"), widget=_date_input())
    channels = forms.MultipleChoiceField(label=_("发布渠道"),
                                         widget=forms.CheckboxSelectMultiple)
    attachments = AttachmentsField(label=_("添加附件"), required=False)

    def __init__(self, *args, user, current_abolishes=(), **kwargs):
        """`current_abolishes`: the documents the item abolishes now, offered (checked)
        even if one of them has since been retracted, so that the page shows them."""
        super().__init__(*args, **kwargs)
        section = user.section
        self.fields["section"].choices = (
            [(section.code, section.name)] if section is not None else [])
        self.fields["category"].choices = [("", "---------")] + list(
            Category.objects.filter(agency_id=user.agency_id).values_list("code", "name"))
        self._offer_channels(user)
        documents = list(abolishable_documents(agency_id=user.agency_id))
        offered = {d.pk for d in documents}
        documents += [d for d in current_abolishes if d.pk not in offered]
        self.fields["abolishes"].choices = [(d.pk, document_label(d)) for d in documents]

    def _offer_channels(self, user) -> None:
        """The agency's configured channels in its own order, grouped by kind, its default
        channels ticked on a new item. A channel the item already targets (or that was
        posted) is offered even if it has since lost its settings, so the drafter sees it
        and the service refuses it, saying why, instead of it vanishing unnoticed."""
        chosen = set(self.initial.get("channels") or ())
        if self.is_bound:  # refused by the service, which says why (not "invalid choice")
            chosen |= set(self.data.getlist("channels") if hasattr(self.data, "getlist")
                          else self.data.get("channels") or ())
        active = list(Channel.objects.filter(agency_id=user.agency_id, is_active=True)
                      .order_by(*CHANNEL_ORDER))
        channels = [c for c in active if c.is_configured or c.code in chosen]
        groups: dict[str, list] = {}
        for channel in channels:
            label = channel.name if channel.is_configured else format_lazy(
                "{}（{}）", channel.name, _("未配置完成"))
            groups.setdefault(channel.kind, []).append((channel.code, label))
        kinds = dict(ChannelKind.choices)
        self.fields["channels"].choices = [(kinds[kind], options)
                                           for kind, options in groups.items()]
        if "channels" not in self.initial:
            self.initial["channels"] = [c.code for c in channels if c.is_default]
        missing = [c.name for c in active if c not in channels]
        if missing:
            self.fields["channels"].help_text = _(
                "以下渠道尚未配置完成，暂不能选择：%s。请联系系统管理员补全配置。") % str(
                LIST_SEPARATOR).join(missing)

    @staticmethod
    def initial_from(publication, abolishes=()) -> dict:
        return {
            "title": publication.title, "body": publication.body,
            "section": publication.section.code, "category": publication.category.code,
            "article20_item": publication.article20_item, "formed_on": publication.formed_on,
            "channels": [c.code for c in publication.channels.all()],
            "document_type": publication.document_type,
            "document_number": publication.document_number,
            "effective_on": publication.effective_on, "abolished_on": publication.abolished_on,
            "abolishes": [d.pk for d in abolishes],
            "decision_type": publication.decision_type,
            "decision_count": publication.decision_count if publication.decision_type else None,
            "fee_amount_yuan": publication.fee_amount_yuan,
        }

    def field_groups(self) -> list[dict]:
        """The fields of each Art. 20 item, for the page. `kept`: shown whatever item is
        chosen, as it holds a value or an error that does not fit the chosen item."""
        chosen = self["article20_item"].value()
        groups = []
        for name, (fields, items) in FIELD_GROUPS.items():
            bound = [self[field] for field in fields]
            applies = str(chosen) in {str(n) for n in items}
            # a count alone says nothing (its default is 1); the type says it is a decision
            filled = any(field.errors for field in bound) or any(
                field.value() not in (None, "", [], ()) for field in bound
                if field.name != "decision_count")
            legend, note = GROUP_TEXTS[name]
            groups.append({"name": name, "items": " ".join(str(n) for n in items),
                           "legend": _("%(group)s（%(items)s）") % {
                               "group": legend, "items": items_label(items)},
                           "note": note,
                           "fields": bound, "kept": filled and not applies})
        return groups

    def clean(self):
        """Refuse figures entered under an item they do not belong to: table 二 would count
        them under the wrong row, or the drafter would not see them (the page's script
        hides the fields of other items)."""
        data = super().clean()
        if "article20_item" not in data:  # its own error is shown already
            return data
        item = data["article20_item"]
        for fields, items in FIELD_GROUPS.values():
            if item in items:
                continue
            for name in fields:
                if data.get(name) not in (None, "", []):
                    self.add_error(name, _("只适用于条例第二十条%(items)s；"
                                           "请改选相应事项，或清空此项。")
                                   % {"items": items_label(items)})
        decision_type = data.get("decision_type")
        allowed = DECISION_TYPES_BY_ITEM.get(item, ())
        if decision_type and allowed and decision_type not in allowed:
            self.add_error("decision_type", _("第二十条%(item)s的决定类型只能是%(types)s。") % {
                "item": items_label((item,)),
                "types": str(LIST_SEPARATOR).join(str(DecisionType(t).label)
                                                  for t in allowed)})
        if (data.get("decision_count") is not None and not decision_type
                and not self.has_error("decision_count")):
            self.add_error("decision_type", _("填写了决定数量，请选择决定类型。"))
        return data

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in FORM_FIELDS}
        # a count means something only with a decision type; without one the model's 1
        data["decision_count"] = (data["decision_count"] if data["decision_count"] is not None
                                  and data["decision_type"] else 1)
        return data

    def add_service_errors(self, error) -> None:
        # the attachment service names its upload "file"; here it is the attachments field
        add_service_errors(self, error, renamed={"file": "attachments"})


def items_label(items) -> str:
    """第（5）项、第（6）项"""
    labels = dict(ARTICLE20_ITEMS)
    return str(LIST_SEPARATOR).join(str(labels[n]) for n in items)


def document_label(document) -> str:
    """How a document is picked: 温住建〔2024〕3号　关于……的通知（行政规范性文件）."""
    kind = document.get_document_type_display()
    number = document.document_number or _("无文号")
    return f"{number}　{document.title}（{kind}）" if kind else f"{number}　{document.title}"


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


def submit_form(request, form, call, *, done, then, refused_to=None):
    """A page's form acted on by a service: valid → `call(cleaned_data)`; done → the message
    `done` and a redirect to `then`; refused (Conflict, NotPermitted) → the refusal as a
    message and a redirect to `refused_to` (default `then`); NotFound → 404; InvalidInput →
    its messages on the form. None when the form is to be shown again (422)."""
    if not form.is_valid():
        return None
    try:
        call(form.cleaned_data)
    except InvalidInput as error:
        add_service_errors(form, error)
        return None
    except NotFound as error:
        raise Http404 from error
    except (Conflict, NotPermitted) as error:
        notices.error(request, error.message)
        return redirect(refused_to or then)
    notices.success(request, done)
    return redirect(then)


class ItemSearchForm(forms.Form):
    """The drafter's list: search by title or 文号, and by status."""

    q = forms.CharField(label=_("标题或文号"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部状态"))] + list(PublicationStatus.choices))

    def search(self) -> dict:
        """The valid values; a wrong one (a hand-edited URL) is left out, not an error."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in getattr(self, "cleaned_data", {}).items()
                if value}
