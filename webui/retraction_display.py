"""What the item page shows of 撤稿 and 不予公开: the leader's 撤稿 button, and a card saying
who retracted or withheld the item, when and why (read from the audit trail)."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.selectors import latest_events
from publications.lifecycle import PublicationLifecycle
from publications.models import PublicationStatus
from releases.selectors import covers_section, retraction_request_by_id
from workflow.models import WithholdBasis


@dataclass(frozen=True)
class EndRecord:
    """The decision that ended the item's life: a retraction or 不予公开."""

    kind: str  # "retracted" or "withheld"
    actor: str
    at: object
    reason: str
    basis: str = ""  # 不予公开: the legal ground's label
    requested_by: str = ""  # 撤稿 on a publisher's request: who asked
    decision_comment: str = ""  # and what the leader wrote when approving


RECORDED = {PublicationStatus.RETRACTED: AuditAction.RETRACT,
            PublicationStatus.WITHHELD: AuditAction.WITHHOLD}


def end_record(publication) -> EndRecord | None:
    """For a retracted or withheld item, its deciding event (one query; one more when the
    retraction answered a publisher's request); None otherwise."""
    action = RECORDED.get(publication.status)
    if action is None:
        return None
    event = latest_events(subject=publication, actions=[action]).get(action)
    if event is None:
        return None
    actor = str(event.actor) if event.actor else (event.actor_username or _("系统"))
    data = event.data or {}
    if action == AuditAction.WITHHOLD:
        basis = data.get("basis") or ""
        return EndRecord("withheld", actor, event.at, event.comment,
                         basis=str(dict(WithholdBasis.choices).get(basis, basis)))
    requested_by, decision_comment = "", ""
    if data.get("request"):
        request = retraction_request_by_id(data["request"])
        requested_by = (str(request.requested_by) if request
                        else data.get("requested_by", ""))
        decision_comment = request.decision_comment if request else ""
    return EndRecord("retracted", actor, event.at, event.comment,
                     requested_by=requested_by, decision_comment=decision_comment)


def retraction_context(user, publication) -> dict:
    """The item page's 撤稿 facts: whether this person may retract it now (a leader covering
    its section, the item released), and the record of how it ended."""
    return {
        "can_retract": PublicationLifecycle(publication).retract.can_proceed()
        and covers_section(user, publication.section_id),
        "end_record": end_record(publication),
    }
