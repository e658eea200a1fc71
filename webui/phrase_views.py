"""常用意见: the page where a reviewer keeps the comment phrases offered on the task page.

Thin: workflow.phrases lists, adds and deletes them (personal preferences, no audit event).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import InvalidInput, NotFound, NotPermitted
from workflow.phrases import (
    MAX_PHRASES,
    add_comment_phrase,
    comment_phrases,
    delete_comment_phrase,
)

from .forms import add_service_errors
from .review_forms import PhraseForm


@login_required
def phrases(request):
    """GET: the person's phrases and a form to add one; POST: add it."""
    form = PhraseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                add_comment_phrase(user=request.user, text=form.cleaned_data["text"])
            except InvalidInput as error:
                add_service_errors(form, error)
            except NotPermitted as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("已保存常用意见。"))
                return redirect("webui:review:phrases")
        status = 422
    saved = comment_phrases(user=request.user)
    return render(request, "webui/review_phrases.html", {
        "form": form, "phrases": saved, "max_phrases": MAX_PHRASES,
        "full": len(saved) >= MAX_PHRASES}, status=status)


@require_POST
@login_required
def phrase_delete(request, phrase_id):
    try:
        delete_comment_phrase(user=request.user, phrase_id=phrase_id)
    except NotFound as error:
        raise Http404 from error
    messages.success(request, _("已删除常用意见。"))
    return redirect("webui:review:phrases")
