"""催办 on the pages: the task page's list of urges and its form, the item page's link.

Only reads (workflow.selectors, workflow.permissions); the urge itself is
`workflow.services.urge_task`, called by `webui.urge_views`.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.status import STATUS

from publications.models import PublicationStatus
from workflow.models import OPEN_TASK_STATES
from workflow.permissions import urge_refusal
from workflow.selectors import open_tasks, urges_of
from workflow.services import URGE_MAX_LENGTH


class UrgeForm(forms.Form):
    message = forms.CharField(
        label=_("催办内容"), max_length=URGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": URGE_MAX_LENGTH}),
        error_messages={"required": _("请填写催办内容。")})


def _holder_id(task):
    return task.owner_id if task.status == STATUS.ASSIGNED else None


def urge_context(user, task, *, bound=None) -> dict:
    """The urges of the task (who, when, what), and the form for those who may urge."""
    publication = task.process.reviewprocess.publication
    can_urge = (task.status in OPEN_TASK_STATES
                and urge_refusal(user, publication, holder_id=_holder_id(task)) is None)
    return {"urges": list(urges_of(task=task)), "can_urge": can_urge,
            "urge_form": (bound or UrgeForm(auto_id="urge_%s")) if can_urge else None}


def item_urge_task(user, publication):
    """The item's open task, for a link to urge it from the item's page, when the person
    may urge it (None otherwise)."""
    if publication.status != PublicationStatus.IN_REVIEW:
        return None
    task = open_tasks(publication=publication).only("pk", "status", "owner_id").first()
    if task is None or urge_refusal(user, publication, holder_id=_holder_id(task)):
        return None
    return task
