"""Who may act on which review step: the separation-of-duties rules in one place.

Used by the review services (which answer 403 with the reason) and, through
`ReviewPermissionBackend`, by viewflow's own `can_assign` checks, so viewflow's
views cannot bypass the rules either.
"""

from django.utils.translation import gettext as _
from viewflow.workflow.models import Process
from viewflow.workflow.status import STATUS

from agencies.models import Role
from publications.lifecycle import ReviewStep

SECTION_HEAD_REVIEW = ReviewStep.SECTION_HEAD_REVIEW.value
SECRECY_REVIEW = ReviewStep.SECRECY_REVIEW.value
LEADERSHIP_REVIEW = ReviewStep.LEADERSHIP_REVIEW.value
REVIEW_STEPS = tuple(ReviewStep.values)

STEP_PERMISSION = {step: f"workflow.{step}" for step in REVIEW_STEPS}
_PERMISSION_STEP = {perm: step for step, perm in STEP_PERMISSION.items()}

# What a step asks of its reviewer: a role, and for some steps a tie to the item's section
# (the User relation listing the sections they head or cover). `step_refusal` checks one
# person against these; `workflow.selectors.people_who_may_act` finds everyone who passes.
STEP_ROLE = {
    SECTION_HEAD_REVIEW: Role.SECTION_HEAD,
    SECRECY_REVIEW: Role.SECRECY_REVIEWER,
    LEADERSHIP_REVIEW: Role.LEADER,
}
STEP_SECTION_TIE = {
    SECTION_HEAD_REVIEW: "headed_sections",
    LEADERSHIP_REVIEW: "covered_sections",
}


def _outsider_refusal(user, publication) -> str | None:
    """Why `user` may do nothing in `publication`'s review: not logged in, or of another
    agency (None: neither)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return _("请先登录。")
    if user.agency_id != publication.agency_id:
        return _("您不属于该信息所在的机关。")
    return None


def step_refusal(user, step: str, publication, *, in_scope=None) -> str | None:
    """Why `user` may not review `publication` at `step` at all (None: they may).
    `in_scope`: whether they head or cover the item's section, when the caller read it
    with the task (`section_ties`; one query fewer)."""
    if refusal := _stand_in_refusal(user, step, publication):
        return refusal
    return _scope_refusal(user, step, publication, in_scope=in_scope)


def _stand_in_refusal(user, step, publication) -> str | None:
    """What no substitution lifts: an outsider, the item's drafter, an unknown step, and
    lacking the step's role (a substitute holds the roles of the person they stand in for:
    the absent person lends their sections, never a role)."""
    if refusal := _outsider_refusal(user, publication):
        return refusal
    if user.pk == publication.drafter_id:
        return _("经办人不能审核自己起草的信息。")
    if step not in STEP_ROLE:
        return _("未知的审核环节。")
    if not user.has_role(STEP_ROLE[step]):
        return {
            SECTION_HEAD_REVIEW: _("只有科室负责人可以进行科室审核。"),
            SECRECY_REVIEW: _("只有保密审查员可以进行保密审查。"),
            LEADERSHIP_REVIEW: _("只有分管领导可以进行领导审签。"),
        }[step]
    return None


def section_ties(user, section_ref) -> dict:
    """Annotations: does `user` head / cover the section `section_ref` (an OuterRef)? Named
    after the User relations of STEP_SECTION_TIE, for a step's `in_scope`."""
    from django.db.models import Exists

    from agencies.models import Section

    return {f"user_{tie}": Exists(getattr(Section, field).through.objects.filter(
                section_id=section_ref, user_id=user.pk))
            for tie, field in (("headed_sections", "heads"), ("covered_sections", "leaders"))}


def step_in_scope(step, annotated) -> bool | None:
    """The `section_ties` answer for `step` read from an annotated row (None: none needed)."""
    tie = STEP_SECTION_TIE.get(step)
    return getattr(annotated, f"user_{tie}", None) if tie else None


def _scope_refusal(user, step, publication, *, in_scope=None) -> str | None:
    tie = STEP_SECTION_TIE.get(step)
    if in_scope is None and tie:
        in_scope = getattr(user, tie).filter(pk=publication.section_id).exists()
    if tie and not in_scope:
        return {
            SECTION_HEAD_REVIEW: _("您不是该信息所属科室的负责人。"),
            LEADERSHIP_REVIEW: _("您未分管该信息所属科室。"),
        }[step]
    return None


def acted_this_round(user, process_id, *, exclude_task_id=None) -> bool:
    from viewflow.workflow.models import Task

    done = Task.objects.filter(process_id=process_id, owner_id=user.pk, status=STATUS.DONE)
    if exclude_task_id is not None:
        done = done.exclude(pk=exclude_task_id)
    return done.exists()


def refusal(user, step: str, review_process, *, task_id=None, acted=None) -> str | None:
    """Why `user` may not act on `step` of this round (None: they may).

    Having decided any task of the round refuses, whatever roles the person holds now: a
    head who also led, and lost the head role after approving, holds one role but has
    acted (checking only people holding several roles let them claim the leadership task,
    whose approval then had to be refused: one person, two tiers, a round stuck on their
    claim). `acted`: that answer when the caller already read it (one query fewer).
    """
    return standing(user, step, review_process, task_id=task_id, acted=acted)[0]


def standing(user, step: str, review_process, *, task_id=None, acted=None, in_scope=None):
    """(why `user` may not act on `step` of this round or None, the absent colleague they
    act for or None).

    A person's own role and sections come first; failing their sections, an active
    substitution (代理) lends them those of a colleague on leave who could act on this
    task: the colleague's role and sections, not the drafter, not having decided in this
    round. The substitute is still refused on an item they drafted and after deciding
    once in the round: separation of duties is the substitute's too.
    """
    publication = review_process.publication
    on_behalf_of = None
    reason = step_refusal(user, step, publication, in_scope=in_scope)
    if reason and _stand_in_refusal(user, step, publication) is None:
        on_behalf_of = absent_colleague(user, step, review_process)
        if on_behalf_of is not None:
            reason = None
    if reason:
        return reason, None
    if acted is None:
        acted = acted_this_round(user, review_process.pk, exclude_task_id=task_id)
    if acted:
        return _("同一人在同一轮审核中只能审核一次。"), None
    return None, on_behalf_of


def absent_colleague(user, step: str, review_process):
    """The colleague on leave today for whom `user` may act on `step` of this round (the
    first named), or None."""
    from django.utils import timezone

    from .models import Substitution

    away = (Substitution.objects.active_on(timezone.localdate())
            .filter(substitute_id=user.pk, agency_id=review_process.publication.agency_id)
            .select_related("absent").order_by("starts_on", "pk"))
    for substitution in away:
        absent = substitution.absent
        if (step_refusal(absent, step, review_process.publication) is None
                and not acted_this_round(absent, review_process.pk)):
            return absent
    return None


def _answers_for_section(user, publication) -> bool:
    """A section head of the item's section, or a leader covering it."""
    return any(
        user.has_role(role) and getattr(user, tie).filter(pk=publication.section_id).exists()
        for role, tie in ((Role.SECTION_HEAD, "headed_sections"),
                          (Role.LEADER, "covered_sections")))


def take_back_refusal(user, publication) -> str | None:
    """Why `user` may not take back a colleague's claim on a task of `publication` (None:
    they may): a section head of the item's section or a leader covering it, not its
    drafter. Which step the task is at does not matter: they answer for the section."""
    if refusal := _outsider_refusal(user, publication):
        return refusal
    if user.pk == publication.drafter_id:
        return _("经办人不能收回自己起草的信息的审核任务。")
    if _answers_for_section(user, publication):
        return None
    return _("只有该信息所属科室的负责人或分管领导可以收回他人的签收。")


def urge_refusal(user, publication, *, holder_id=None) -> str | None:
    """Why `user` may not urge (催办) a task of `publication` held by `holder_id` (None:
    unclaimed), or None: they may. The same people as for taking back a claim, as they
    answer for the section; never the holder themselves, nor the item's drafter (who is
    the reviewers' subject, not their superior)."""
    if refusal := _outsider_refusal(user, publication):
        return refusal
    if holder_id is not None and user.pk == holder_id:
        return _("不能催办自己签收的任务。")
    if user.pk == publication.drafter_id:
        return _("经办人不能催办自己起草的信息的审核任务。")
    if _answers_for_section(user, publication):
        return None
    return _("只有该信息所属科室的负责人或分管领导可以催办。")


class ReviewPermissionBackend:
    """Object permissions `workflow.<step>` on a review process, for viewflow."""

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user, perm, obj=None):
        step = _PERMISSION_STEP.get(perm)
        if step is None or obj is None or not isinstance(obj, Process):
            return False
        review_process = obj.coerced
        return refusal(user, step, review_process) is None
