"""Errors the service layer raises; the API maps each to one HTTP status."""


class ServiceError(Exception):
    status_code = 400

    def __init__(self, message, *, fields: dict | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.fields = fields or {}


class InvalidInput(ServiceError):
    """Bad input a user can fix (400); `fields` maps field names to messages."""

    status_code = 400


class NotPermitted(ServiceError):
    """The person may see the object but not do this (403)."""

    status_code = 403


class NotFound(ServiceError):
    """No such object, or one the person may not see (404)."""

    status_code = 404


class Conflict(ServiceError):
    """Wrong state, or someone else acted first (409)."""

    status_code = 409


class StaleContent(Conflict):
    """The content differs from what this round's reviewers saw (409)."""
