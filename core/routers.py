"""The REST API's router."""

from rest_framework.routers import DefaultRouter


class IdRouter(DefaultRouter):
    """Object ids in API paths are numbers: anything else matches no route (a JSON 404)
    instead of reaching a view that would fail converting it."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if getattr(viewset, "lookup_value_regex", None) is None:
            viewset.lookup_value_regex = "[0-9]+"
        return super().get_lookup_regex(viewset, lookup_prefix)
