"""A person's notices in the web UI: the list, opening one, reading all, e-mail on or off."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.errors import NotFound
from core.pagination import ObjectWindowPaginator
from notifications.digest_texts import sections
from notifications.kinds import NotificationKind
from notifications.selectors import digest_enabled, email_enabled, notifications_for
from notifications.services import (
    mark_all_read,
    open_notification,
    set_digest_enabled,
    set_email_enabled,
)

PAGE_SIZE = 20


@login_required
def notification_list(request):
    page = ObjectWindowPaginator(notifications_for(user=request.user),
                                 PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
def notification_open(request, pk):
    try:
        notice = open_notification(user=request.user, notification_id=pk)
    except NotFound as error:
        raise Http404 from error
    if not url_has_allowed_host_and_scheme(notice.path, allowed_hosts=None):
        return redirect("webui:notifications:index")  # only ever a path of this site
    return redirect(notice.path)


@login_required
def notification_detail(request, pk):
    """A daily digest's page (read once opened); any other notice leads to its own page."""
    try:
        notice = open_notification(user=request.user, notification_id=pk)
    except NotFound as error:
        raise Http404 from error
    if notice.kind != NotificationKind.DAILY_DIGEST:
        return redirect("webui:notifications:open", pk=notice.pk)
    return render(request, "notifications/digest.html",
                  {"notice": notice, "sections": sections(notice)})


@require_POST
@login_required
def notification_read_all(request):
    count = mark_all_read(user=request.user)
    if count:
        messages.success(request, _("已将 %d 条通知标为已读。") % count)
    return redirect("webui:notifications:index")


class SettingsForm(forms.Form):
    email_enabled = forms.BooleanField(label=gettext_lazy("同时以邮件发送通知"), required=False)
    digest_enabled = forms.BooleanField(
        label=gettext_lazy("工作日早上接收每日待办（没有待办事项时不发送）"), required=False)


@login_required
def notification_settings(request):
    if request.method == "POST":
        form = SettingsForm(request.POST)
        if form.is_valid():
            set_email_enabled(user=request.user, enabled=form.cleaned_data["email_enabled"])
            set_digest_enabled(user=request.user,
                               enabled=form.cleaned_data["digest_enabled"])
            messages.success(request, _("已保存通知设置。"))
            return redirect("webui:notifications:settings")
    else:
        form = SettingsForm(initial={"email_enabled": email_enabled(user=request.user),
                                     "digest_enabled": digest_enabled(user=request.user)})
    return render(request, "notifications/settings.html", {"form": form})
