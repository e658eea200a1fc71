"""The letters of an application as .docx (TEMP until letters merge)."""

from core.errors import NotFound


def letter_for(*, user, application, kind):
    raise NotFound("not yet")
