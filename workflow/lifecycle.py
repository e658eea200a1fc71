"""The publication's lifecycle as a viewflow.fsm machine.

Only the review services in this app drive it; nothing else assigns
`Publication.status`.
"""

from viewflow import fsm

from publications.models import PublicationStatus as S


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
