"""The reviewers' forms: the queue's filters, the three decisions (with 常用意见),
dismissing a finding.

They only parse input; workflow.services decides whether the decision may happen.
"""


from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Section
from workflow.flows import ReviewFlow
from workflow.models import WithholdBasis
from workflow.permissions import REVIEW_STEPS
from workflow.phrases import MAX_LENGTH, phrase_text
from workflow.selectors import BY_DEADLINE, BY_SUBMISSION

# the flow's own (lazy) titles, so the filter says what the queue and the task page say
STEP_CHOICES = [(step, getattr(ReviewFlow, step).task_title) for step in REVIEW_STEPS]
WAITED_CHOICES = [("1", _("超过 1 天")), ("3", _("超过 3 天")), ("7", _("超过 7 天"))]


class TaskFilterForm(forms.Form):
    q = forms.CharField(label=_("标题或文号"), required=False, max_length=100)
    section = forms.ChoiceField(label=_("科室"), required=False)
    step = forms.ChoiceField(label=_("审核环节"), required=False,
                             choices=[("", _("全部环节"))] + STEP_CHOICES)
    waited = forms.TypedChoiceField(label=_("等待时间"), required=False, coerce=int,
                                    empty_value=None,
                                    choices=[("", _("不限"))] + WAITED_CHOICES)
    # not a filter: the list is ordered by the Art. 26 deadline unless asked otherwise
    sort = forms.ChoiceField(label=_("排序"), required=False, choices=[
        ("", _("按公开时限")), (BY_SUBMISSION, _("按提交时间"))])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [("", _("全部科室"))] + list(
            Section.objects.filter(agency_id=user.agency_id).order_by("code")
            .values_list("code", "name"))

    def filters(self) -> dict:
        """The values that are valid; a wrong one (a hand-edited URL) is left out, not a 500."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items()
                if value and name != "sort"}

    def ordering(self) -> str:
        """The order asked for (a wrong value: the default)."""
        if not self.is_bound:
            return BY_DEADLINE
        self.is_valid()
        return self.cleaned_data.get("sort") or BY_DEADLINE


class DoneSearchForm(forms.Form):
    q = forms.CharField(label=_("标题或文号"), required=False, max_length=100)

    def search(self) -> str:
        """The words to look for; an over-long value is cut, not a 500."""
        return (self.data.get("q") or "").strip()[:100] if self.is_bound else ""


class PhraseForm(forms.Form):
    text = forms.CharField(label=_("常用意见"), max_length=MAX_LENGTH,
                           widget=forms.TextInput(attrs={"maxlength": MAX_LENGTH}),
                           error_messages={"required": _("请填写常用意见。")})


def with_phrase(data, *, user):
    """The decision's input with the chosen 常用意见 as its comment when none was typed
    (the page without JavaScript: a <select name="phrase">; with it, the script has
    already put the phrase into the comment)."""
    chosen = data.get("phrase", "")
    if (data.get("comment") or "").strip() or not (chosen.isascii() and chosen.isdigit()
                                                    and len(chosen) < 10):
        return data
    text = phrase_text(user=user, phrase_id=int(chosen))
    if not text:
        return data
    data = data.copy()
    data["comment"] = text
    return data


def confirm_field(label, message):
    """The confirmation an irreversible decision needs (the page's dialog ticks it)."""
    return forms.BooleanField(label=label, error_messages={"required": message})


class ApproveForm(forms.Form):
    comment = forms.CharField(label=_("审核意见"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, final=False, **kwargs):
        """`final`: the leadership approval, which releases the item: confirmed first."""
        super().__init__(*args, **kwargs)
        if final:
            self.fields["confirm"] = confirm_field(
                _("我已确认终审通过：通过后信息将交付各渠道发布"),
                _("请勾选确认后再终审通过。"))


class RejectForm(forms.Form):
    comment = forms.CharField(label=_("退回意见"), widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"required": _("请填写退回意见。")})


class WithholdForm(forms.Form):
    basis = forms.ChoiceField(label=_("不予公开的法定依据"),
                              choices=[("", "---------")] + list(WithholdBasis.choices),
                              error_messages={"required": _("请选择不予公开的法定依据。")})
    comment = forms.CharField(label=_("不予公开的理由"), widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"required": _("请说明不予公开的理由。")})
    confirm = confirm_field(_("我已确认不予公开：本轮审核就此结束，信息不会发布"),
                            _("请勾选确认后再决定不予公开。"))


class DismissFindingForm(forms.Form):
    """One per open pre-scan finding; scanning.services decides who may dismiss it."""

    justification = forms.CharField(label=_("处理说明"), widget=forms.Textarea(attrs={"rows": 2}),
                                    error_messages={"required": _("请说明该发现为何无需处理。")})

    def __init__(self, *args, finding_id, **kwargs):
        super().__init__(*args, auto_id=f"dismiss_{finding_id}_%s", **kwargs)
        self.finding_id = finding_id
        # names the field's wrapper (field-<name>-justification) in _review_field.html
        self.name = f"dismiss-{finding_id}"


class AcknowledgeUnscannedForm(forms.Form):
    """One per attachment the pre-scan could not read; workflow.services decides who may."""

    field = forms.CharField(widget=forms.HiddenInput, max_length=300)
    note = forms.CharField(label=_("人工检查说明"), widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": _("请说明人工检查的结果。")})

    def __init__(self, *args, index, **kwargs):
        super().__init__(*args, auto_id=f"acknowledge_{index}_%s", **kwargs)
        self.index = index
        self.name = f"acknowledge-{index}"
