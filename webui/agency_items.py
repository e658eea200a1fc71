"""The agency-wide item list (全部信息): leaders, reviewers, auditors and agency admins
read every item of their agency here, searched and filtered; acting happens elsewhere."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from agencies.models import Channel, Role, Section
from core.pagination import ObjectWindowPaginator
from publications.models import PublicationStatus

from .selectors import agency_items

PAGE_SIZE = 20
ROLES = (Role.LEADER, Role.AUDITOR, Role.SECRECY_REVIEWER, Role.SECTION_HEAD,
         Role.AGENCY_ADMIN, Role.PUBLISHER)


class AgencyItemFilter(forms.Form):
    q = forms.CharField(label=_("标题或文号"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部状态")), *PublicationStatus.choices])
    section = forms.ModelChoiceField(label=_("科室"), required=False,
                                     queryset=Section.objects.none(), empty_label=_("全部科室"))
    channel = forms.ModelChoiceField(label=_("发布渠道"), required=False,
                                     queryset=Channel.objects.none(), empty_label=_("全部渠道"))
    date_from = forms.DateField(label=_("形成日期自"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("至"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, agency_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = Section.objects.filter(agency_id=agency_id)
        self.fields["channel"].queryset = Channel.objects.filter(agency_id=agency_id)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        return data


@login_required
def agency_item_list(request):
    if not any(request.user.has_role(role) for role in ROLES):
        raise PermissionDenied
    form = AgencyItemFilter(request.GET or None, agency_id=request.user.agency_id)
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {"search": data["q"].strip(), "status": data["status"],
                   "section": data["section"], "channel": data["channel"],
                   "date_from": data["date_from"], "date_to": data["date_to"]}
    items = agency_items(user=request.user, **filters)
    page = ObjectWindowPaginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "webui/agency_items.html", {
        "form": form, "page": page, "filtered": any(filters.values()) if filters else False},
        status=422 if form.errors else 200)
