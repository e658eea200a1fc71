"""Where a notice sends its reader: the page to act on."""

from django.urls import reverse

from .kinds import NotificationKind


def item_link(publication_id: int) -> str:
    return reverse("webui:items:detail", kwargs={"pk": publication_id})


def release_link(release_id: int) -> str:
    """The publisher's page of a release."""
    return reverse("webui:releases:detail", kwargs={"pk": release_id})


def task_link(task_id: int) -> str:
    """The reviewer's page of a task."""
    return reverse("webui:review:task", kwargs={"task_id": task_id})


def retraction_request_link(request_id: int) -> str:
    """The covering leader's page of a retraction request (撤稿申请)."""
    return reverse("webui:review:retraction", kwargs={"pk": request_id})


def substitutes_link() -> str:
    """The reviewers' page of substitutions (代理)."""
    return reverse("webui:review:substitutes")


def application_link(application_id: int) -> str:
    return reverse("webui:applications:detail", kwargs={"pk": application_id})


def digest_link(notification_id: int) -> str:
    """The page of a daily digest (it lists what it is about, each with its own link)."""
    return reverse("webui:notifications:detail", kwargs={"pk": notification_id})


def path_of(notice) -> str:
    """A task notice keeps its task's id and its path is computed here, when it is shown or
    mailed: it is written by one INSERT ... SELECT, which cannot call `reverse`. Other
    notices, and task notices written before task ids were kept, store theirs in `link`;
    an item's notice without one (a reminder to its drafter) leads to the item."""
    if notice.kind == NotificationKind.DAILY_DIGEST:
        return digest_link(notice.pk)
    if notice.task_id is not None:
        return task_link(notice.task_id)
    if notice.application_id is not None:
        return application_link(notice.application_id)
    if not notice.link and notice.publication_id is not None:
        # a reminder to the drafter, written by INSERT ... SELECT too
        return item_link(notice.publication_id)
    return notice.link
