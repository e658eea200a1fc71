"""The reviewers' application: section heads, confidentiality reviewers and leaders.

Shown and open only to people holding one of the three reviewer roles (others get 403
from viewflow's SiteMiddleware); which tasks a person sees and may act on is decided by
workflow.selectors and workflow.services. Leaders also decide publishers' retraction
requests here (webui.retraction_views). Agency admins open only the substitutes' page
(代理, webui.substitute_views): every other page answers them 403 (`_for_reviewers`).
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.urls import path as _path
from django.utils.translation import gettext_lazy as _

from . import phrase_views, retraction_views, substitute_views, urge_views
from . import review_views as views
from .applications import RoleApplication

REVIEWER_ROLES = ("section_head", "secrecy_reviewer", "leader")


def _for_reviewers(view):
    """The page for reviewers only (the application also opens to agency admins, for 代理)."""
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.is_authenticated and not any(
                request.user.has_role(role) for role in REVIEWER_ROLES):
            raise PermissionDenied
        return view(request, *args, **kwargs)
    return wrapped


def path(route, view, *args, **kwargs):
    return _path(route, _for_reviewers(view), *args, **kwargs)


class ReviewApplication(RoleApplication):
    app_name = "review"
    title = _("审核")
    icon = "fact_check"
    roles = (*REVIEWER_ROLES, "agency_admin")
    home_for = REVIEWER_ROLES
    menu = (("index", _("待签收"), "inbox", REVIEWER_ROLES),
            ("inbox", _("我的待办"), "assignment_ind", REVIEWER_ROLES),
            ("done", _("已办"), "task_alt", REVIEWER_ROLES),
            ("phrases", _("常用意见"), "bookmarks", REVIEWER_ROLES),
            ("retractions", _("撤稿申请"), "unpublished", ("leader",)),
            ("substitutes", _("代理"), "event_busy", (*REVIEWER_ROLES, "agency_admin")))

    index_path = path("", views.queue, name="index")
    inbox_path = path("mine/", views.inbox, name="inbox")
    done_path = path("done/", views.done, name="done")
    phrases_path = path("phrases/", phrase_views.phrases, name="phrases")
    phrase_delete_path = path("phrases/<int:phrase_id>/delete/", phrase_views.phrase_delete,
                              name="phrase-delete")
    task_path = path("tasks/<int:task_id>/", views.task_detail, name="task")
    claim_path = path("tasks/<int:task_id>/claim/", views.claim, name="claim")
    claim_many_path = path("claim/", views.claim_many, name="claim-many")
    unclaim_path = path("tasks/<int:task_id>/unclaim/", views.unclaim, name="unclaim")
    take_back_path = path("tasks/<int:task_id>/take-back/", views.take_back, name="take-back")
    urge_path = path("tasks/<int:task_id>/urge/", urge_views.urge, name="urge")
    approve_path = path("tasks/<int:task_id>/approve/", views.approve, name="approve")
    reject_path = path("tasks/<int:task_id>/reject/", views.reject, name="reject")
    withhold_path = path("tasks/<int:task_id>/withhold/", views.withhold, name="withhold")
    dismiss_finding_path = path("tasks/<int:task_id>/findings/<int:finding_id>/dismiss/",
                                views.dismiss, name="dismiss-finding")
    acknowledge_unscanned_path = path("tasks/<int:task_id>/unscanned/acknowledge/",
                                      views.acknowledge_unscanned, name="acknowledge-unscanned")
    # issue 13, 撤稿 requests (leaders only; the views answer 403 to other reviewers)
    retractions_path = path("retractions/", retraction_views.request_queue,
                            name="retractions")
    retractions_decided_path = path("retractions/decided/", retraction_views.request_queue,
                                    {"decided": True}, name="retractions-decided")
    retraction_path = path("retractions/<int:pk>/", retraction_views.request_detail,
                           name="retraction")
    retraction_approve_path = path("retractions/<int:pk>/approve/",
                                   retraction_views.approve_request, name="retraction-approve")
    retraction_decline_path = path("retractions/<int:pk>/decline/",
                                   retraction_views.decline_request, name="retraction-decline")
    # 代理 (issue 14): reviewers and agency admins (the view checks both)
    substitutes_path = _path("substitutes/", substitute_views.substitutes, name="substitutes")
    substitute_cancel_path = _path("substitutes/<int:substitution_id>/cancel/",
                                   substitute_views.substitute_cancel, name="substitute-cancel")
