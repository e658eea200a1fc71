"""Where a notice sends its reader: the page to act on."""

from django.urls import NoReverseMatch, reverse


def item_link(publication_id: int) -> str:
    return reverse("webui:items:detail", kwargs={"pk": publication_id})


def task_link(task_id: int) -> str:
    """The reviewer's page of a task (the review application's, once it is mounted)."""
    try:
        return reverse("webui:review:task", kwargs={"task_id": task_id})
    except NoReverseMatch:
        return f"/app/review/tasks/{task_id}/"
