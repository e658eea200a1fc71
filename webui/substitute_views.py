"""代理: the page where a reviewer going on leave names a substitute (and an agency admin
does for a colleague), lists the substitutions and cancels one.

Thin: workflow.substitutions names and cancels (audited), workflow.selectors lists. Open
to reviewers and agency admins (`SUBSTITUTE_PAGE_ROLES`), 403 for everyone else.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from agencies.models import Role
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from workflow.selectors import (
    SUBSTITUTE_ROLES,
    agency_reviewers,
    eligible_substitutes,
    substitutions_of,
)
from workflow.substitutions import cancel_substitution, may_manage_for, name_substitute

from .forms import add_service_errors
from .templatetags.webui import person_label

SUBSTITUTE_PAGE_ROLES = (*SUBSTITUTE_ROLES, Role.AGENCY_ADMIN)
CONFIRM_CANCEL = gettext_lazy("请勾选“我已确认取消代理”后再取消。")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return person_label(obj)


class SubstituteForm(forms.Form):
    absent = PersonField(label=gettext_lazy("请假人"), queryset=None)
    substitute = PersonField(label=gettext_lazy("代理人"), queryset=None,
                             help_text=gettext_lazy("须担任与请假人相同的审核角色"))
    starts_on = forms.DateField(label=gettext_lazy("开始日期"), widget=DATE_WIDGET)
    ends_on = forms.DateField(label=gettext_lazy("结束日期"), widget=DATE_WIDGET,
                              help_text=gettext_lazy("含当日"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user.has_role(Role.AGENCY_ADMIN):
            # an admin names for any reviewer of the agency; the service checks the roles
            reviewers = agency_reviewers(agency_id=user.agency_id)
            self.fields["absent"].queryset = reviewers
            self.fields["substitute"].queryset = reviewers
        else:
            del self.fields["absent"]
            self.fields["substitute"].queryset = eligible_substitutes(absent=user)

    def absent_id(self) -> int:
        absent = self.cleaned_data.get("absent")
        return absent.pk if absent is not None else self.user.pk


def _page_or_403(user):
    if not any(user.has_role(role) for role in SUBSTITUTE_PAGE_ROLES):
        raise PermissionDenied


def _status(substitution, today) -> str:
    if substitution.cancelled_at is not None:
        return _("已取消")
    if substitution.ends_on < today:
        return _("已结束")
    if substitution.starts_on > today:
        return _("未开始")
    return _("进行中")


def _rows(user, substitutions, today) -> list[dict]:
    return [{
        "pk": row.pk, "absent": row.absent, "substitute": row.substitute,
        "starts_on": row.starts_on, "ends_on": row.ends_on, "created_by": row.created_by,
        "status": _status(row, today),
        "can_cancel": (row.cancelled_at is None and row.ends_on >= today
                       and (may_manage_for(user, row.absent) or row.created_by_id == user.pk)),
    } for row in substitutions]


@login_required
def substitutes(request):
    """GET: the person's substitutions (and, for an agency admin, the agency's) and the form
    to name one; POST: name it (422 with the reasons when refused)."""
    user = request.user
    _page_or_403(user)
    form = SubstituteForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                name_substitute(user=user, absent_id=form.absent_id(),
                                substitute_id=form.cleaned_data["substitute"].pk,
                                starts_on=form.cleaned_data["starts_on"],
                                ends_on=form.cleaned_data["ends_on"])
            except InvalidInput as error:
                add_service_errors(form, error)
            except (NotPermitted, NotFound) as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("已设置代理，代理人已收到通知。"))
                return redirect("webui:review:substitutes")
        status = 422
    today = timezone.localdate()
    is_admin = user.has_role(Role.AGENCY_ADMIN)
    is_reviewer = any(user.has_role(role) for role in SUBSTITUTE_ROLES)
    return render(request, "webui/review_substitutes.html", {
        "form": form, "is_admin": is_admin, "is_reviewer": is_reviewer,
        "mine": _rows(user, substitutions_of(user=user), today) if is_reviewer else [],
        "agency_rows": (_rows(user, substitutions_of(user=user, agency_wide=True), today)
                        if is_admin else []),
    }, status=status)


@require_POST
@login_required
def substitute_cancel(request, substitution_id):
    _page_or_403(request.user)
    if request.POST.get("confirm") not in ("1", "on", "true"):
        messages.error(request, CONFIRM_CANCEL)
        return redirect("webui:review:substitutes")
    try:
        cancel_substitution(user=request.user, substitution_id=substitution_id)
    except NotFound as error:
        raise Http404 from error
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已取消代理。"))
    return redirect("webui:review:substitutes")
