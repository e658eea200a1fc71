"""Forms of the annual report pages: the narrative, the opening balance, the section an
approved report is submitted in. They parse; disclosure.report_services validates."""

import hashlib
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.models import ApplicantType
from disclosure.report_services import MAX_SECTION_LENGTH
from disclosure.reports import PLACEHOLDER, SECTION_KEYS

# The headings of the national format, for the editor's labels (the report itself is
# always in Chinese; these follow the reader's language).
SECTION_LABELS = {
    "overview": _("一、总体情况"),
    "active": _("（一）主动公开"),
    "on_request": _("（二）依申请公开"),
    "management": _("（三）政府信息管理"),
    "platform": _("（四）政府信息公开平台建设"),
    "supervision": _("（五）监督保障"),
    "problems": _("五、存在的主要问题及改进情况"),
    "other": _("六、其他需要报告的事项"),
}
PLACEHOLDER_PATTERN = re.compile(re.escape(PLACEHOLDER) + r"[^】<]*】")


def normalised(text: str) -> str:
    return (text or "").replace("\r\n", "\n").strip()


def text_hash(text: str) -> str:
    """What the page showed of a section, so that saving sends only what was changed: an
    untouched generated text stays generated (and follows the figures)."""
    return hashlib.sha256(normalised(text).encode()).hexdigest()[:20]


def placeholders(text: str) -> list[str]:
    return PLACEHOLDER_PATTERN.findall(text or "")


class NarrativeForm(forms.Form):
    """A textarea per section of the narrative, each with the hash of the text shown."""

    def __init__(self, *args, sections: dict, **kwargs):
        initial = {}
        for key in SECTION_KEYS:
            initial[key] = sections.get(key, "")
            initial[f"shown_{key}"] = text_hash(sections.get(key, ""))
        super().__init__(*args, initial=initial, **kwargs)
        for key in SECTION_KEYS:
            text = sections.get(key, "")
            self.fields[key] = forms.CharField(
                label=SECTION_LABELS[key], required=False, max_length=MAX_SECTION_LENGTH,
                widget=forms.Textarea(attrs={"rows": min(14, 3 + len(text) // 60),
                                             "data-testid": f"section-{key}"}))
            self.fields[f"shown_{key}"] = forms.CharField(required=False,
                                                          widget=forms.HiddenInput)
        self.fields["restore"] = forms.ChoiceField(
            required=False, choices=[("", "")] + [(k, k) for k in SECTION_KEYS])

    def changes(self) -> dict:
        """{section: new text} for those edited on the page, {section: None} for the one to
        restore to the generated text."""
        changed = {key: self.cleaned_data[key] for key in SECTION_KEYS
                   if text_hash(self.cleaned_data[key]) != self.cleaned_data[f"shown_{key}"]}
        if self.cleaned_data.get("restore"):
            changed[self.cleaned_data["restore"]] = None
        return changed


class OpeningBalanceForm(forms.Form):
    """Last year's 结转下年度继续办理 row, as the agency's own report gave it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in ApplicantType.choices:
            self.fields[value] = forms.IntegerField(
                label=label, min_value=0, max_value=100_000, initial=0,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}))

    def counts(self) -> dict:
        return {key: self.cleaned_data[key] for key in ApplicantType.values}


class SubmitReportForm(forms.Form):
    section = forms.ChoiceField(label=_("报审科室"), help_text=_(
        "年度报告作为主动公开信息在该科室走“三审”和保密审查；默认为机关设置的年度报告报审科室。"))

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        sections = list(agency.sections.order_by("code"))
        self.fields["section"].choices = [(s.code, s.name) for s in sections]
        if agency.report_section_id is not None:
            self.fields["section"].initial = agency.report_section.code
