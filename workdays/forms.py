"""The two forms of the calendar import: upload (year, file), then confirm the preview."""

import base64
import binascii

from django import forms
from django.utils.translation import gettext_lazy as _

from .imports import MAX_BYTES, MAX_YEAR, MIN_YEAR


class CalendarUploadForm(forms.Form):
    year = forms.IntegerField(label=_("年份"), min_value=MIN_YEAR, max_value=MAX_YEAR,
                              help_text=_("通知所安排的年份，文件中的每个日期都应在该年内"))
    file = forms.FileField(label=_("节假日安排文件（CSV）"), allow_empty_file=True,
                           help_text=_("UTF-8 编码，表头 date,kind[,name]；kind 为 holiday（休）"
                                       "或 workday（班）；不超过 64 KB"))
    note = forms.CharField(label=_("备注"), max_length=300, required=False,
                           help_text=_("如通知的文号和发布日期"))

    def file_bytes(self) -> bytes:
        """The upload's bytes; one more than the limit is enough to say it is too large."""
        upload = self.cleaned_data["file"]
        upload.seek(0)
        return upload.read(MAX_BYTES + 1)


class CalendarConfirmForm(forms.Form):
    """The preview's file travels back with it (base64), with the digest of what was shown."""

    year = forms.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR, widget=forms.HiddenInput)
    content = forms.CharField(widget=forms.HiddenInput)
    digest = forms.CharField(max_length=64, widget=forms.HiddenInput)
    note = forms.CharField(max_length=300, required=False, widget=forms.HiddenInput)
    confirmed = forms.BooleanField(
        label=_("我已核对以上变更，确认导入（该年原有的节假日安排将被文件内容替换）"),
        error_messages={"required": _("请勾选确认。")})

    def clean_content(self):
        try:
            return base64.b64decode(self.cleaned_data["content"].encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError) as error:
            raise forms.ValidationError(_("预览数据已损坏：请重新上传文件。")) from error

    @staticmethod
    def encode(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")
