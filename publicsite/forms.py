"""The forms of the public site: an online application (依申请公开) and its status query."""

from django import forms
from django.utils.translation import gettext_lazy as _

from applications import public
from applications.models import ApplicantType, DeliveryForm, DeliveryMethod

#: the honeypot: hidden from people (off-screen, skipped by the keyboard and screen
#: readers), a field that form-filling robots fill
HONEYPOT = "homepage"


CHOICES = {"class": "choices"}  # radio buttons side by side


class ApplicationForm(forms.Form):
    required_css_class = "required"

    applicant_type = forms.ChoiceField(
        label=_("申请人类型"), choices=ApplicantType.choices,
        widget=forms.RadioSelect(attrs=CHOICES), initial=ApplicantType.NATURAL_PERSON)
    applicant_name = forms.CharField(
        label=_("姓名或名称"), max_length=200,
        help_text=_("自然人填写姓名；法人或者其他组织填写全称。"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}))
    applicant_id_number = forms.CharField(
        label=_("证件号码"), max_length=40, required=False,
        help_text=_("选填。自然人填写身份证件号码，法人或者其他组织填写统一社会信用代码。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}))
    contact_phone = forms.CharField(
        label=_("联系电话"), max_length=30,
        help_text=_("凭申请编号和该号码的后 4 位数字查询办理进度。"),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    contact_address = forms.CharField(
        label=_("通信地址"), max_length=300, required=False,
        help_text=_("选择邮寄时必填。"),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}))
    contact_email = forms.EmailField(
        label=_("电子邮箱"), required=False, help_text=_("选择电子邮件时必填。"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    content = forms.CharField(
        label=_("申请公开的政府信息"), max_length=5000,
        help_text=_("请写明政府信息的名称、文号或者便于查询的其他特征性描述。"),
        widget=forms.Textarea(attrs={"rows": 6}))
    delivery_form = forms.ChoiceField(
        label=_("信息的指定提供载体形式"), choices=DeliveryForm.choices,
        widget=forms.RadioSelect(attrs=CHOICES), initial=DeliveryForm.PAPER)
    delivery_method = forms.ChoiceField(
        label=_("获取信息的方式"), choices=DeliveryMethod.choices,
        widget=forms.RadioSelect(attrs=CHOICES), initial=DeliveryMethod.POST)
    privacy_read = forms.BooleanField(
        label=_("我已阅读上方的个人信息处理说明"),
        error_messages={"required": _("请阅读个人信息处理说明后勾选此项。")})
    homepage = forms.CharField(
        label=_("请勿填写此项"), required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_contact_phone(self):
        value = public.normalise_phone(self.cleaned_data["contact_phone"])
        problem = public.phone_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean(self):
        data = super().clean()
        for field, messages in public.contact_problems(data).items():
            for message in messages:
                self.add_error(field, message)
        return data

    @property
    def trapped(self) -> bool:
        """A robot filled the honeypot."""
        return bool(self.data.get(HONEYPOT, "").strip())

    def groups(self):
        """The visible fields in the order of the paper form (条例第二十九条)."""
        return [
            (_("申请人信息"), [self[f] for f in ("applicant_type", "applicant_name",
                                                 "applicant_id_number")]),
            (_("联系方式"), [self[f] for f in ("contact_phone", "contact_address",
                                              "contact_email")]),
            (_("申请内容"), [self[f] for f in ("content", "delivery_form", "delivery_method")]),
        ]


class StatusForm(forms.Form):
    required_css_class = "required"

    tracking_code = forms.CharField(
        label=_("申请编号"), max_length=30, help_text=_("提交申请后取得，如 YSQ-2026-7K3QXD。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false"}))
    phone_last4 = forms.CharField(
        label=_("联系电话后 4 位"), max_length=4,
        help_text=_("申请时所留联系电话的最后 4 位数字。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off",
                                      "size": 6}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_phone_last4(self):
        value = public.normalise_phone(self.cleaned_data["phone_last4"])  # full-width digits
        if not public.LAST4.match(value):
            raise forms.ValidationError(_("请填写 4 位数字。"))
        return value
