"""A new web session starts its idle clock at login (so its first request writes nothing)."""

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .middleware import mark_active


@receiver(user_logged_in)
def start_idle_clock(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None and SESSION_KEY in session:  # not the token endpoint's logins
        mark_active(session)
