"""Substitutes on leave (代理): naming one, cancelling, and the leave's start.

A reviewer going on leave (or an agency admin for them) names a colleague of the same
agency who holds every review role the absent person holds (科室负责人, 保密审查员,
分管领导), for a range of agency-local dates, both inclusive. "Same role and scope" is
read this way: the roles must be the substitute's own (a substitution never lends a
role), while the scope is lent: during the leave the substitute may also act on the tasks
of the sections the absent person heads or covers, exactly the tasks the absent person
could act on (`workflow.permissions.standing`, the queue's `selectors.stand_ins_of`).
Separation of duties stays the substitute's: never on an item they drafted, once per
round. Their decisions' events carry data["on_behalf_of"] (the absent person's username)
when their own sections would not have allowed it; the pages show "李强 代 王敏".

When the leave starts (at naming when it starts today, else at the hourly beat,
`start_leaves`) the absent person's open claims go back to the queue (reason
"on_leave"), once. A cancelled or ended substitution's claims that only it allowed are
released (`services.release_lost_claims`).
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Role
from audit.models import AuditAction
from audit.services import Event, record
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from notifications.services import notify_substitute_named

from .models import Substitution
from .selectors import SUBSTITUTE_ROLES as REVIEW_ROLES
from .services import release_claims_on_leave, release_lost_claims

#: how long after a leave's end the beat still looks for claims it alone allowed
END_SWEEP_DAYS = 7


def review_roles_of(person) -> list[str]:
    return [role for role in REVIEW_ROLES if person.has_role(role)]


def may_manage_for(user, absent) -> bool:
    """The absent person themselves, or an agency admin of their agency."""
    if not user.is_authenticated or not user.is_active or absent.agency_id is None:
        return False
    if user.pk == absent.pk:
        return True
    return user.has_role(Role.AGENCY_ADMIN) and user.agency_id == absent.agency_id


def _invalid(field: str, message: str):
    return InvalidInput(message, fields={field: [message]})


def _check_dates(starts_on, ends_on, today):
    if not isinstance(starts_on, dt.date):
        raise _invalid("starts_on", _("请填写开始日期。"))
    if not isinstance(ends_on, dt.date):
        raise _invalid("ends_on", _("请填写结束日期。"))
    if ends_on < starts_on:
        raise _invalid("ends_on", _("结束日期不能早于开始日期。"))
    if starts_on < today:
        raise _invalid("starts_on", _("开始日期不能早于今天。"))


def _check_substitute(absent, substitute):
    if substitute is None or substitute.agency_id != absent.agency_id:
        raise _invalid("substitute", _("代理人须为本机关的人员。"))
    if substitute.pk == absent.pk:
        raise _invalid("substitute", _("不能指定本人为代理人。"))
    if not substitute.is_active:
        raise _invalid("substitute", _("代理人已停用，请另选一位同事。"))
    roles = dict(Role.choices)
    missing = [str(roles[role]) for role in review_roles_of(absent)
               if not substitute.has_role(role)]
    if missing:
        raise _invalid("substitute", _("代理人须担任与请假人相同的审核角色（缺少：%s）。")
                       % "、".join(missing))


def _overlapping(person_field: str, person_id: int, starts_on, ends_on):
    return Substitution.objects.filter(
        **{person_field: person_id}, cancelled_at__isnull=True,
        starts_on__lte=ends_on, ends_on__gte=starts_on)


def name_substitute(*, user, absent_id: int, substitute_id, starts_on, ends_on) -> Substitution:
    """`user` names `substitute_id` to stand in for `absent_id` from `starts_on` to
    `ends_on` (inclusive). 403 unless `user` is the absent person or an agency admin of
    their agency; 404 for a person outside the agency; InvalidInput for dates in the
    wrong order or past, a substitute of another agency, inactive, oneself or lacking a
    review role of the absent person, or dates overlapping another substitution of the
    absent person (or a leave of the substitute's own). The substitute is told; a leave
    starting today releases the absent person's claims at once."""
    people = get_user_model().objects
    today = timezone.localdate()
    with transaction.atomic():
        # the absent person's row lock serialises two namings for the same leave
        absent = people.select_for_update().filter(pk=absent_id).first()
        if absent is None or (absent.agency_id != user.agency_id and not user.is_superuser):
            raise NotFound(_("未找到该人员。"))
        if not may_manage_for(user, absent):
            raise NotPermitted(_("只有请假人本人或机关管理员可以设置代理。"))
        if not review_roles_of(absent):
            raise _invalid("absent", _("该人员不担任审核角色，无需设置代理。"))
        _check_dates(starts_on, ends_on, today)
        substitute = people.filter(pk=substitute_id).first() if substitute_id else None
        _check_substitute(absent, substitute)
        if _overlapping("absent_id", absent.pk, starts_on, ends_on).exists():
            raise _invalid("starts_on", _("该期间与请假人已设置的代理重叠，请先取消原代理。"))
        if _overlapping("absent_id", substitute.pk, starts_on, ends_on).exists():
            raise _invalid("substitute", _("代理人在该期间也已请假，请另选一位同事。"))
        substitution = Substitution.objects.create(
            agency_id=absent.agency_id, absent=absent, substitute=substitute,
            starts_on=starts_on, ends_on=ends_on, created_by=user)
        record(agency_id=absent.agency_id, events=[_event(
            AuditAction.SUBSTITUTE_NAMED, substitution, user)])
        notify_substitute_named(agency_id=absent.agency_id, substitute_id=substitute.pk,
                                absent=absent, starts_on=starts_on, ends_on=ends_on,
                                actor=user)
        if starts_on <= today:
            _start(substitution, actor=user)
    return substitution


def _event(action, substitution, user) -> Event:
    return Event(action, subject=substitution, actor=user, data={
        "absent": substitution.absent.get_username(),
        "substitute": substitution.substitute.get_username(),
        "starts_on": substitution.starts_on.isoformat(),
        "ends_on": substitution.ends_on.isoformat()})


def _start(substitution, *, actor) -> list[int]:
    released = release_claims_on_leave(actor=actor, person_id=substitution.absent_id)
    substitution.claims_released_at = timezone.now()
    substitution.save(update_fields=["claims_released_at"])
    return released


def cancel_substitution(*, user, substitution_id: int) -> Substitution:
    """The absent person, whoever named the substitution or an agency admin of its agency
    cancels it before it ends; the substitute's claims that only it allowed go back to
    the queue. 404 outside the agency, 403 for others, 409 when cancelled or ended."""
    today = timezone.localdate()
    with transaction.atomic():
        substitution = (Substitution.objects.select_for_update()
                        .select_related("absent", "substitute")
                        .filter(pk=substitution_id, agency_id=user.agency_id).first())
        if substitution is None:
            raise NotFound(_("未找到该代理。"))
        if not (may_manage_for(user, substitution.absent)
                or user.pk == substitution.created_by_id):
            raise NotPermitted(_("只有请假人本人或机关管理员可以取消代理。"))
        if substitution.cancelled_at is not None:
            raise Conflict(_("该代理已取消。"))
        if substitution.ends_on < today:
            raise Conflict(_("该代理已结束，无需取消。"))
        substitution.cancelled_at = timezone.now()
        substitution.save(update_fields=["cancelled_at"])
        record(agency_id=substitution.agency_id, events=[_event(
            AuditAction.SUBSTITUTE_CANCELLED, substitution, user)])
        release_lost_claims(actor=user, people=[substitution.substitute_id])
    return substitution


def start_leaves(*, today=None) -> dict:
    """The hourly sweep: leaves in force whose absent person's claims were not released
    yet are started (once: `claims_released_at`), and the substitutes of leaves ended in
    the last END_SWEEP_DAYS lose the claims only the leave allowed."""
    today = today or timezone.localdate()
    started = released = 0
    due = (Substitution.objects.active_on(today).filter(claims_released_at__isnull=True)
           .values_list("pk", flat=True).order_by("pk"))
    for pk in list(due):
        with transaction.atomic():
            substitution = (Substitution.objects.select_for_update(skip_locked=True)
                            .filter(pk=pk, claims_released_at__isnull=True,
                                    cancelled_at__isnull=True).first())
            if substitution is None:
                continue
            released += len(_start(substitution, actor=None))
            started += 1
    ended = (Substitution.objects
             .filter(ends_on__lt=today, ends_on__gte=today - dt.timedelta(days=END_SWEEP_DAYS))
             .values_list("substitute_id", flat=True).distinct())
    substitutes = list(ended)
    if substitutes:
        with transaction.atomic():
            released += len(release_lost_claims(people=substitutes))
    return {"started": started, "released": released}
