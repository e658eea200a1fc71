"""The forms of the 依申请公开 pages: the intake, the register's filters, one form per action
on an application, and the case register's.

They only parse input; applications.services decides whether the action may happen and
checks the dates against the application (not in the future, not before the step they
follow). Field names are the services' argument names, so a service's InvalidInput lands
next to the field it names.
"""

from dataclasses import dataclass

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from agencies.models import Role, Section, holding_role
from applications.clock import CORRECTION_PERIOD_DEFAULT, FEE_PERIOD_DEFAULT
from applications.fees import FeeMethod, compute_fee
from applications.models import (
    ApplicantType,
    ApplicationStatus,
    CaseKind,
    CaseResult,
    DeliveryForm,
    DeliveryMethod,
    ReceivedVia,
)
from applications.outcomes import Outcome, default_basis, grouped_choices

EMPTY = [("", "---------")]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def date_field(label, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, widget=DateInput, **kwargs)


def text_area(rows=3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def section_choices(agency_id) -> list:
    return list(Section.objects.filter(agency_id=agency_id).order_by("code")
                .values_list("code", "name"))


def handler_choices(agency_id) -> list:
    """The agency's application handlers, by username (what the services take)."""
    people = (get_user_model().objects
              .filter(holding_role(Role.APPLICATION_HANDLER), agency_id=agency_id,
                      is_active=True)
              .order_by("username"))
    return [(person.username, str(person)) for person in people]


@dataclass(frozen=True)
class Routing:
    """The agency's sections and application handlers, read once for all the forms of a
    page (the register shows one confirmation form per online application)."""

    sections: list
    handlers: list


def routing_for(user) -> Routing:
    return Routing(section_choices(user.agency_id), handler_choices(user.agency_id))


class _RoutingMixin:
    """Fills the section and handler selects with the agency's."""

    handler_label = _("（暂不指定）")

    def __init__(self, *args, routing: Routing, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = EMPTY + routing.sections
        self.fields["handler"].choices = [("", self.handler_label)] + routing.handlers


# ---------------------------------------------------------------- registering

class RegisterForm(_RoutingMixin, forms.Form):
    received_on = date_field(_("收到申请日期"), help_text=_(
        "当面提交为提交之日；邮寄为签收之日；传真、电子邮件为双方确认之日（条例第三十一条）。"))
    received_via = forms.ChoiceField(label=_("申请方式"), choices=ReceivedVia.choices)
    applicant_type = forms.ChoiceField(label=_("申请人类型"), choices=ApplicantType.choices)
    applicant_name = forms.CharField(label=_("申请人姓名或名称"), max_length=200)
    applicant_id_number = forms.CharField(label=_("证件号码"), max_length=40, required=False,
                                          help_text=_("身份证号码或统一社会信用代码"))
    contact_phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    contact_address = forms.CharField(label=_("通信地址"), max_length=300, required=False)
    contact_email = forms.EmailField(label=_("电子邮箱"), required=False)
    content = forms.CharField(label=_("申请公开的政府信息"), max_length=5000,
                              widget=text_area(5), help_text=_(
                                  "名称、文号或者便于查询的其他特征性描述"))
    delivery_form = forms.ChoiceField(label=_("信息的指定提供载体形式"),
                                      choices=DeliveryForm.choices)
    delivery_method = forms.ChoiceField(label=_("获取信息的方式"), choices=DeliveryMethod.choices)
    section = forms.ChoiceField(label=_("承办科室"),
                                error_messages={"required": _("请选择承办科室。")})
    handler = forms.ChoiceField(label=_("承办人"), required=False)

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        if not data["handler"]:
            del data["handler"]
        return data


class ConfirmReceiptForm(_RoutingMixin, forms.Form):
    """Art. 31: an online application is received on the day the agency confirms it."""

    received_on = date_field(_("确认收到日期"))
    section = forms.ChoiceField(label=_("承办科室"),
                                error_messages={"required": _("请选择承办科室。")})
    handler = forms.ChoiceField(label=_("承办人"), required=False)

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["handler"] = data["handler"] or None
        return data


class AssignForm(_RoutingMixin, forms.Form):
    section = forms.ChoiceField(label=_("承办科室"),
                                error_messages={"required": _("请选择承办科室。")})
    handler = forms.ChoiceField(label=_("承办人"), required=False)
    handler_label = _("（不指定承办人）")


# ---------------------------------------------------------------- the clock's steps

class CorrectionForm(forms.Form):
    notice_on = date_field(_("补正告知日期"))
    items = forms.CharField(label=_("需要补正的事项"), max_length=5000, widget=text_area(),
                            error_messages={"required": _("请写明需要补正的事项。")})
    period_days = forms.IntegerField(label=_("补正期限（工作日）"), min_value=1, max_value=60,
                                     initial=CORRECTION_PERIOD_DEFAULT)


class CorrectionReceivedForm(forms.Form):
    received_on = date_field(_("收到补正日期"))


class ExtensionRequestForm(forms.Form):
    reason = forms.CharField(label=_("延期理由"), max_length=2000, widget=text_area(),
                             error_messages={"required": _("请写明延期理由。")})


class ExtendForm(forms.Form):
    reason = forms.CharField(label=_("延期理由"), max_length=2000, widget=text_area(),
                             required=False, help_text=_("不填写则沿用承办人申请的理由。"))
    notice_on = date_field(_("告知申请人日期"))


class ConsultForm(forms.Form):
    sent_on = date_field(_("征求意见书发出日期"))
    third_party = forms.CharField(label=_("第三方"), max_length=200, required=False)


class ThirdPartyRepliedForm(forms.Form):
    replied_on = date_field(_("第三方回复日期"))


class FeeNoticeForm(forms.Form):
    notice_on = date_field(_("收费通知日期"))
    method = forms.ChoiceField(label=_("计收方式"), choices=FeeMethod.choices,
                               widget=forms.RadioSelect, initial=FeeMethod.PER_PAGE,
                               help_text=_("按件或按量，只能选择一种。"))
    quantity = forms.IntegerField(label=_("数量（件或页）"), min_value=1, max_value=100_000)
    period_days = forms.IntegerField(label=_("缴费期限（工作日）"), min_value=1, max_value=60,
                                     initial=FEE_PERIOD_DEFAULT)

    def clean(self):
        data = super().clean()
        # said before the confirmation page, not after it: a quantity that costs nothing
        if data.get("method") and data.get("quantity"):
            if compute_fee(data["method"], data["quantity"]).amount <= 0:
                self.add_error("quantity", _("未达到收费标准。"))
        return data


class FeePaidForm(forms.Form):
    paid_on = date_field(_("缴费日期"))


class DiscardForm(forms.Form):
    reason = forms.CharField(label=_("不予登记的原因"), max_length=2000, widget=text_area(2),
                             help_text=_("如：重复提交、与政府信息公开无关的内容"),
                             error_messages={"required": _("请写明不予登记的原因。")})


class WithdrawForm(forms.Form):
    on = date_field(_("撤回日期"))
    reason = forms.CharField(label=_("撤回情况"), max_length=2000, widget=text_area(2),
                             error_messages={"required": _("请写明撤回情况。")})


# ---------------------------------------------------------------- the reply

def outcome_choices() -> list:
    """The 21 outcomes under the groups of table 三 (optgroups of one select)."""
    return list(EMPTY) + grouped_choices()


class ReplyForm(forms.Form):
    outcome = forms.ChoiceField(label=_("办理结果"), choices=outcome_choices,
                                error_messages={"required": _("请选择一种办理结果。")})
    basis = forms.CharField(label=_("法律依据"), max_length=2000, widget=text_area(2),
                            required=False,
                            help_text=_("留空则使用该办理结果通常的法律依据（条例相应条款）。"))
    text = forms.CharField(label=_("答复内容"), max_length=20000, widget=text_area(8),
                           error_messages={"required": _("请填写答复内容。")})
    competent_agency = forms.CharField(
        label=_("负责公开的机关"), max_length=200, required=False,
        help_text=_("仅“本机关不掌握相关政府信息”时填写：不属于本机关负责公开的，"
                    "告知申请人负责公开的机关名称和联系方式。"))
    reply_on = date_field(_("拟答复日期"), required=False,
                          help_text=_("答复日期以领导批准之日为准。"))

    def clean(self):
        data = super().clean()
        # the competent agency only belongs in a reply that the information is not held here
        if data.get("outcome") != Outcome.UNABLE_NOT_HELD:
            data["competent_agency"] = ""
        if data.get("outcome") and not (data.get("basis") or "").strip():
            data["basis"] = default_basis(data["outcome"],
                                          competent_agency=data.get("competent_agency", ""))
        return data


class ApproveReplyForm(forms.Form):
    comment = forms.CharField(label=_("审批意见"), max_length=2000, required=False,
                              widget=text_area(2))


class RejectReplyForm(forms.Form):
    comment = forms.CharField(label=_("退回意见"), max_length=2000, widget=text_area(2),
                              error_messages={"required": _("请填写退回意见。")})


# ---------------------------------------------------------------- lists

def year_choices(this_year: int) -> list:
    return [("", _("全部年份"))] + [(str(y), str(y)) for y in range(this_year, 2018, -1)]


class _Filters(forms.Form):
    def filters(self) -> dict:
        """The values that are valid; a wrong one (a hand-edited URL) is left out, not a 500."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


class RegisterFilterForm(_Filters):
    q = forms.CharField(label=_("申请编号或内容"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部状态"))] + list(ApplicationStatus.choices))
    year = forms.TypedChoiceField(label=_("收到年份"), required=False, coerce=int,
                                  empty_value=None)
    overdue = forms.BooleanField(label=_("只看已超期"), required=False)

    def __init__(self, *args, this_year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = year_choices(this_year)


class CaseYearForm(_Filters):
    year = forms.TypedChoiceField(label=_("立案年份"), required=False, coerce=int,
                                  empty_value=None)

    def __init__(self, *args, this_year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = year_choices(this_year)


# ---------------------------------------------------------------- cases

class CaseForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=EMPTY + list(CaseKind.choices),
                             error_messages={"required": _("请选择案件类型。")})
    tracking_code = forms.CharField(label=_("所涉申请编号"), max_length=20, required=False,
                                    help_text=_("如 YSQ-2026-7K3QXD；与申请无关的可不填。"))
    filed_on = date_field(_("立案（申请）日期"))
    body = forms.CharField(label=_("复议机关或法院"), max_length=200)
    co_defendant_as_reconsideration_body = forms.BooleanField(
        label=_("本机关作为复议机关共同被告"), required=False,
        help_text=_("只计入原行政行为机关，不计入本机关年度报告表四"))
    result = forms.ChoiceField(label=_("结果"), choices=CaseResult.choices,
                               initial=CaseResult.PENDING)
    decided_on = date_field(_("审结日期"), required=False)
    note = forms.CharField(label=_("备注"), max_length=5000, required=False, widget=text_area(2))


class CaseUpdateForm(forms.Form):
    result = forms.ChoiceField(label=_("结果"), choices=CaseResult.choices)
    decided_on = date_field(_("审结日期"), required=False,
                            help_text=_("尚未审结时留空。"))
    filed_on = date_field(_("立案（申请）日期"))
    body = forms.CharField(label=_("复议机关或法院"), max_length=200)
    co_defendant_as_reconsideration_body = forms.BooleanField(
        label=_("本机关作为复议机关共同被告"), required=False)
    note = forms.CharField(label=_("备注"), max_length=5000, required=False, widget=text_area(2))
