"""The login forms of the web UI and the admin: when the lockout refuses a login, the form
says so (and how long) instead of "wrong password"."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from .lockout import lockout_message


class LockoutAwareMixin:
    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if getattr(self.request, "axes_locked_out", False):
                raise ValidationError(lockout_message(self.request),
                                      code="locked_out") from None
            raise


class LoginForm(LockoutAwareMixin, AuthenticationForm):
    pass


class AdminLoginForm(LockoutAwareMixin, AdminAuthenticationForm):
    pass
