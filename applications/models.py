"""依申请公开: applications for disclosure, their statutory clock, replies, and the
reconsideration and litigation cases about them."""

from .letters import LetterTemplate  # noqa: F401
