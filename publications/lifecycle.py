"""The publication's lifecycle as a viewflow.fsm machine, and the tiers of its review.

Which status may follow which is written here once. The services that move an item
(`workflow.services` for the review, `releases.services` for retraction) run these
transitions; pages and the API ask `can_proceed()` instead of listing the states again.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow import fsm

from .models import PublicationStatus as S


class ReviewStep(models.TextChoices):
    """The tiers of 三审 + 保密审查, in the order an item passes them in every round."""

    SECTION_HEAD_REVIEW = "section_head_review", _("科室审核")
    SECRECY_REVIEW = "secrecy_review", _("保密审查")
    LEADERSHIP_REVIEW = "leadership_review", _("领导审签")


def step_title(step: str, default: str = "") -> str:
    """A review step's title by its name (科室审核, 保密审查, 领导审签), else `default`."""
    if step in ReviewStep.values:
        return str(ReviewStep(step).label)
    return default


class PublicationLifecycle:
    status = fsm.State(S, default=S.DRAFT)

    def __init__(self, publication):
        self.publication = publication

    @status.getter()
    def _get_status(self):
        return self.publication.status

    @status.setter()
    def _set_status(self, value):
        self.publication.status = value

    @status.transition(source=[S.DRAFT, S.RETURNED])
    def edit(self):
        """The drafter changes content, metadata or attachments (the status stays)."""

    @status.transition(source=[S.DRAFT, S.RETURNED], target=S.IN_REVIEW)
    def submit(self):
        """Review starts; the service numbers the round (a resubmission is a new one)."""

    @status.transition(source=S.IN_REVIEW, target=S.RETURNED)
    def return_to_drafter(self):
        """A reviewer rejected it; the drafter revises and resubmits as a new round."""

    @status.transition(source=S.IN_REVIEW, target=S.WITHHELD)
    def withhold(self):
        """不予公开: the confidentiality reviewer ended the review."""

    @status.transition(source=[S.DRAFT, S.IN_REVIEW, S.RETURNED], target=S.WITHDRAWN)
    def withdraw(self):
        """The drafter took it back before final approval."""

    @status.transition(source=S.IN_REVIEW, target=S.APPROVED)
    def approve(self):
        """All tiers approved the same content in the same round."""

    @status.transition(source=S.APPROVED, target=S.RETRACTED)
    def retract(self):
        """撤稿: a leader withdrew a released item from every channel."""
