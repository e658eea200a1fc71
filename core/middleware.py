"""API requests refused before any view: a NUL character in the query string.

PostgreSQL text cannot hold NUL, so an API filter like `?section=%00` reaching the ORM
fails in the driver (a 500). No legitimate API query carries one; bodies are checked by
DRF's CharField already. Pages validate their queries with forms, and the public search
treats NUL as a separator, so they are left alone.
"""

from django.core.exceptions import BadRequest

from .api import API_PREFIX, bad_request


class RejectNulInQueryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX) and _has_nul(request.GET):
            return bad_request(request, BadRequest("NUL in the query string"))
        return self.get_response(request)


def _has_nul(query) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values)
               for key, values in query.lists())
