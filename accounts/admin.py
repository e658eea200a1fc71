"""Locked logins in the Django admin: who is locked, and an audited unlock.

Axes' own admin is switched off (AXES_ENABLE_ADMIN = False): its delete would unlock without
a trace. Here an agency admin sees and unlocks only people of their own agency; a platform
operator (a superuser) sees every attempt, including those naming nobody, and can unlock
an address.
"""

from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from agencies.models import Role

from .services import unlock_address, unlock_person


def _may_unlock(user) -> bool:
    return user.is_active and user.is_staff and (
        user.is_superuser or user.has_role(Role.AGENCY_ADMIN))


@admin.register(AccessAttempt)
class AccessAttemptAdmin(admin.ModelAdmin):
    list_display = ["username", "ip_address", "failures_since_start", "attempt_time",
                    "path_info"]
    list_filter = ["attempt_time"]
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
    actions = ["unlock_selected", "unlock_addresses"]
    fields = ["username", "ip_address", "user_agent", "path_info", "failures_since_start",
              "attempt_time"]
    readonly_fields = fields

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        people = get_user_model().objects.filter(agency_id=request.user.agency_id)
        return qs.filter(username__in=people.values("username"))

    def has_module_permission(self, request):
        return _may_unlock(request.user)

    def has_view_permission(self, request, obj=None):
        return _may_unlock(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # unlocking is the audited action below

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("unlock_addresses", None)
        return actions

    @admin.action(description=_("解除所选人员的登录锁定"))
    def unlock_selected(self, request, queryset):
        usernames = set(queryset.values_list("username", flat=True))
        people = get_user_model().objects.filter(username__in=usernames)
        if not request.user.is_superuser:
            people = people.filter(agency_id=request.user.agency_id)
        unlocked = [p for p in people if unlock_person(user=p, by=request.user, via="admin")]
        self.message_user(request, ngettext(
            "已解除 %(count)d 人的登录锁定。", "已解除 %(count)d 人的登录锁定。",
            len(unlocked)) % {"count": len(unlocked)}, messages.SUCCESS)

    @admin.action(description=_("解除所选地址的登录锁定（所有尝试）"))
    def unlock_addresses(self, request, queryset):
        addresses = {a for a in queryset.values_list("ip_address", flat=True) if a}
        for address in addresses:
            unlock_address(ip_address=address, by=request.user, via="admin")
        self.message_user(request, ngettext(
            "已解除 %(count)d 个地址的登录锁定。", "已解除 %(count)d 个地址的登录锁定。",
            len(addresses)) % {"count": len(addresses)}, messages.SUCCESS)
