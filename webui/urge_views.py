"""催办: a section head or covering leader urges a review task, from the task's page.

Thin: `workflow.services.urge_task` decides; a refusal shows the task page again with
the reason (403 for those who may not, 422 for a missing or too long message, an urge
within the hour or a task already done), the message as typed.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from viewflow.workflow.exceptions import FlowLockFailed

from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from workflow import services

from .forms import add_service_errors
from .review_views import _lost_race, _task_or_404, _task_page
from .urges import UrgeForm


@require_POST
@login_required
def urge(request, task_id):
    task = _task_or_404(request.user, task_id)
    form = UrgeForm(request.POST, auto_id="urge_%s")
    status = 422
    if form.is_valid():
        try:
            services.urge_task(user=request.user, task_id=task.pk, **form.cleaned_data)
        except InvalidInput as error:
            add_service_errors(form, error)
        except NotPermitted as error:
            form.add_error(None, error.message)
            status = 403
        except Conflict as error:
            form.add_error(None, error.message)
        except (NotFound, FlowLockFailed):
            return _lost_race(request)
        else:
            messages.success(request, _("已催办，对方已收到通知。"))
            return redirect("webui:review:task", task_id=task.pk)
    return _task_page(request, _task_or_404(request.user, task_id), urge=form, status=status)
