"""Web sessions end after SESSION_IDLE_SECONDS without a request.

The time of the last request is kept in the session and written at most once every
SESSION_TOUCH_SECONDS, so a busy page does not write its session on every request. Requests
without a session cookie (the API with a token, the public site) are not looked at.
"""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout

LAST_ACTIVITY = "accounts_last_activity"


def mark_active(session) -> None:
    session[LAST_ACTIVITY] = time.time()


class SessionIdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (settings.SESSION_COOKIE_NAME in request.COOKIES
                and SESSION_KEY in request.session):
            last = request.session.get(LAST_ACTIVITY)
            now = time.time()
            if last is not None and now - last > settings.SESSION_IDLE_SECONDS:
                logout(request)
            elif last is None or now - last >= settings.SESSION_TOUCH_SECONDS:
                mark_active(request.session)
        return self.get_response(request)
