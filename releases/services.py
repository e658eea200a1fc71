"""Creating releases. `create_releases_for_approval` is the only writer of Release rows."""

from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from config.errors import Conflict, StaleContent
from publications.fingerprint import fingerprint_of

from .models import Release


def _approvals(review_process) -> dict:
    """step name -> (owner id, decision data) of the round's completed review tasks."""
    tasks = Task.objects.filter(process_id=review_process.pk, status=STATUS.DONE,
                                flow_task_type="HUMAN").only("flow_task", "owner_id", "data")
    return {task.flow_task.name: (task.owner_id, task.data or {}) for task in tasks}


def create_releases_for_approval(*, publication, review_process) -> list[Release]:
    """One pending release per target channel, after checking the approvals.

    Refuses unless every tier approved the current content fingerprint in this
    round, by distinct people none of whom drafted the item.
    """
    from workflow.permissions import REVIEW_STEPS

    channels = list(publication.channels.all())
    current = fingerprint_of(publication, channels=channels)
    if current != review_process.fingerprint or current != publication.fingerprint:
        raise StaleContent(_("内容指纹与审核时不一致，拒绝发布。"))
    approvals = _approvals(review_process)
    approvers = set()
    for step in REVIEW_STEPS:
        owner_id, data = approvals.get(step, (None, {}))
        if (owner_id is None or data.get("decision") != "approve"
                or data.get("fingerprint") != current or owner_id == publication.drafter_id):
            raise Conflict(_("三审未全部通过，拒绝发布。"))
        approvers.add(owner_id)
    if len(approvers) != len(REVIEW_STEPS):
        raise Conflict(_("三审须由不同人员完成，拒绝发布。"))
    releases = Release.objects.bulk_create([
        Release(publication=publication, channel=channel, round=review_process.round,
                fingerprint=current)
        for channel in channels
    ])
    return releases
