"""Review queues: the tasks a person may act on, in a constant number of queries.

Filtering starts from open tasks (a partial index on viewflow's task table) and
open rounds (a partial index on ReviewProcess), never from the whole history.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from agencies.models import Role, User, holding_role
from audit.models import AuditAction, AuditEvent
from audit.selectors import subject_trail
from core.lookups import AnyOf

from .flows import ReviewFlow
from .models import OPEN_TASK_STATES, ReviewProcess, RoundOutcome, Substitution
from .permissions import (
    LEADERSHIP_REVIEW,
    SECRECY_REVIEW,
    SECTION_HEAD_REVIEW,
    STEP_ROLE,
    STEP_SECTION_TIE,
)

#: the round of a review task (viewflow's Process, and the project's ReviewProcess of it)
ROUND = "process__reviewprocess__"


def _among(rounds) -> Q:
    """Tasks of `rounds` (ReviewProcess), looked up by round: PostgreSQL computes the
    rounds first (`AnyOf`), so the query reads the open tasks of those rounds only, never
    the open tasks of the whole platform at a step. No ORDER BY in the set: viewflow's
    Process orders by `-created`, a join the set does not need."""
    return Q(AnyOf(F("process_id"), rounds.order_by().values("pk")))


def _agency_rounds(user, *, section_code=None):
    """The open rounds of the person's agency they did not draft."""
    rounds = (ReviewProcess.objects
              .filter(agency_id=user.agency_id, outcome=RoundOutcome.OPEN)
              .exclude(drafter_id=user.pk))
    return rounds.filter(section__code=section_code) if section_code else rounds


def stands_in_today(user) -> bool:
    """Whether the person stands in for an absent colleague today (代理): one small query.
    Most people never do, and their queues then leave out the substitution clauses
    altogether (less SQL to build, compile and plan). A page that reads several queues
    asks once and passes the answer on (`standing=`)."""
    return (Substitution.objects.active_on(timezone.localdate())
            .filter(substitute_id=user.pk).exists())


def _step_filter(user, section_code, *, stand_in=True, standing=None) -> Q | None:
    """The open tasks the person may act on, as a condition driven from the rounds within
    their reach (`_eligibility`); None when they review no step."""
    eligibility = _eligible(user, section_code, stand_in=stand_in, standing=standing)
    if eligibility is None:
        return None
    rounds, _allowed, within_reach = eligibility
    return _among(rounds) & within_reach


def _eligible(user, section_code, *, stand_in=True, standing=None):
    """`_eligibility`, built once per person object: a queue page asks for it three times
    (the queue, who it would stand in for, what colleagues hold). The roles, the day and
    whether they stand in are in the key; the sections and substitutions are subqueries,
    read when the query runs."""
    if stand_in and standing is None:
        standing = stands_in_today(user)
    stand_in = bool(stand_in and standing)
    key = (section_code, stand_in, timezone.localdate(), tuple(user.roles or ()))
    built = user.__dict__.setdefault("_queue_eligibility", {})
    if key not in built:
        built[key] = _eligibility(user, section_code, stand_in=stand_in)
    return built[key]


def _eligibility(user, section_code, *, stand_in=True):
    """Which steps of which sections' open rounds this person reviews (STEP_ROLE and
    STEP_SECTION_TIE, as `permissions.step_refusal` checks them one at a time), and with
    `stand_in` the ones they review as a colleague's substitute (`permissions.standing`):
    (the rounds within their reach, the condition on open tasks, the same condition for
    the open tasks of the rounds within reach only), or None when the person reviews no
    step.

    `_step_filter` starts from the rounds within the person's reach (`_among`): the open
    rounds of their agency, of the sections they head or cover unless a step of theirs
    covers every section, and those they stand in on. PostgreSQL computes those first and
    looks up their open tasks by round, so a queue reads its own agency's rounds only,
    whatever the size of the platform.
    """
    allowed, reach = Q(pk__in=[]), Q(pk__in=[])
    within_reach = None
    every_section = False
    today = timezone.localdate()
    steps = [step for step, role in STEP_ROLE.items() if user.has_role(role)]
    for step in steps:
        node = getattr(ReviewFlow, step)
        tie = STEP_SECTION_TIE.get(step)
        if not tie:
            allowed |= Q(flow_task=node)
            every_section = True
            continue
        sections = getattr(user, tie).values("pk")
        allowed |= Q(flow_task=node, **{f"{ROUND}section_id__in": sections})
        reach |= Q(section_id__in=sections)
        if len(steps) == 1 and not stand_in:
            # among the rounds within reach, those sections' already: no second test of
            # every task's section (two joins and a semi-join per open task)
            within_reach = Q(flow_task=node)
        if stand_in:
            # rounds an absent colleague could act on at this step, as one EXISTS on the
            # person's substitutions in force (an index on substitute and dates); within
            # reach: the sections of the colleagues they stand in for
            absent = Substitution.objects.active_on(today).filter(substitute_id=user.pk)
            reach |= Q(section_id__in=User.objects.filter(
                pk__in=absent.values("absent_id")).values(tie))
            allowed |= Q(flow_task=node, process_id__in=_agency_rounds(user).filter(
                Exists(stand_ins_of(user, step, today))).values("pk"))
    if not steps:
        return None
    rounds = _agency_rounds(user, section_code=section_code)
    if not every_section:
        rounds = rounds.filter(reach)
    return rounds, allowed, allowed if within_reach is None else within_reach


def stand_ins_of(user, step, day):
    """`user`'s substitutions in force on `day` under which they may act on `step` of the
    round OuterRef("pk") (a ReviewProcess): the absent colleague holds the step's role,
    heads or covers the round's section, did not draft it and did not decide in it."""
    absent = User.objects.filter(holding_role(STEP_ROLE[step]), is_active=True,
                                 agency_id=user.agency_id)
    acted = Task.objects.filter(process_id=OuterRef(OuterRef("pk")),
                                owner_id=OuterRef("absent_id"), status=STATUS.DONE)
    substitutions = (Substitution.objects.active_on(day)
                     .filter(substitute_id=user.pk, absent__in=absent.values("pk"))
                     .exclude(absent_id=OuterRef("drafter_id"))
                     .exclude(Exists(acted)))
    tie = STEP_SECTION_TIE.get(step)
    if tie:
        substitutions = substitutions.filter(**{f"absent__{tie}": OuterRef("section_id")})
    return substitutions


def with_stand_in(tasks, *, user, standing=None):
    """`tasks` annotated with `stand_in`: the name of the absent colleague the person would
    act for (代 王敏), or None where their own role and sections cover the task. No query
    of its own: a CASE in the tasks' SELECT."""
    text = CharField()
    if not (stands_in_today(user) if standing is None else standing):
        return tasks.annotate(stand_in=Value(None, output_field=text))
    own = _step_filter(user, None, stand_in=False)
    today = timezone.localdate()
    name = Case(When(absent__display_name="", then=F("absent__username")),
                default=F("absent__display_name"), output_field=text)
    whens = []
    for step in STEP_SECTION_TIE:
        if not user.has_role(STEP_ROLE[step]):
            continue
        absent = (stand_ins_of(user, step, today).order_by("starts_on", "pk")
                  .annotate(name=name).values("name")[:1])
        of_round = (ReviewProcess.objects.filter(pk=OuterRef("process_id"))
                    .annotate(name=Subquery(absent, output_field=text)).values("name")[:1])
        whens.append(When(flow_task=getattr(ReviewFlow, step),
                          then=Subquery(of_round, output_field=text)))
    if own is None or not whens:
        return tasks.annotate(stand_in=Value(None, output_field=text))
    return tasks.annotate(stand_in=Case(When(own, then=Value(None, output_field=text)),
                                        *whens, default=Value(None, output_field=text),
                                        output_field=text))


def actionable_tasks(*, user, step=None, section=None, standing=None):
    """Unclaimed tasks the person may take, and those they have claimed, oldest first.

    Narrow rows: combine with `with_review_context` to show them.
    """
    if not user.is_authenticated or user.agency_id is None:
        return Task.objects.none()
    allowed = _step_filter(user, section, standing=standing)
    if allowed is None:
        return Task.objects.none()
    qs = (Task.objects
          # the IN lets PostgreSQL use the partial index on open tasks
          .filter(status__in=OPEN_TASK_STATES)
          .filter(Q(status=STATUS.NEW) | Q(owner_id=user.pk))
          .filter(allowed)
          .order_by("created", "pk"))
    # hide the later steps of rounds they acted in (a person whose roles changed mid-round
    # may hold the role of a later step; they still act once per round)
    acted = Task.objects.filter(process_id=OuterRef("process_id"), owner_id=user.pk,
                                status=STATUS.DONE)
    qs = qs.exclude(Exists(acted))
    if step in (SECTION_HEAD_REVIEW, SECRECY_REVIEW, LEADERSHIP_REVIEW):
        qs = qs.filter(flow_task=getattr(ReviewFlow, step))
    return qs


#: how the queues can be ordered: by the Art. 26 deadline (the default) or by submission
BY_DEADLINE, BY_SUBMISSION = "due", "submitted"


def in_queue_order(tasks, *, sort=BY_DEADLINE):
    """`tasks` by the items' Art. 26 deadline, earliest first, or (BY_SUBMISSION) by when
    their round was submitted, oldest first; then by when the task arrived.

    The deadline is `formed_on` plus 20 working days, which never decreases as `formed_on`
    grows: ordering by `formed_on` is ordering by the deadline, and in SQL, so pages stay
    right. The deadlines not yet known (running into a year whose holidays are not entered)
    are the latest dates, so they come last.
    """
    if sort == BY_SUBMISSION:
        return tasks.order_by("process__created", "created", "pk")
    return tasks.order_by("process__reviewprocess__publication__formed_on", "created", "pk")


def next_task_for(*, user) -> tuple[int, str] | None:
    """(task id, item title) of the task to open after a decision: the next one the person
    holds, else the next one they may claim, each earliest deadline first; None when there
    is neither."""
    tasks = in_queue_order(actionable_tasks(user=user)).values_list(
        "pk", "process__reviewprocess__publication__title")
    return (tasks.filter(status=STATUS.ASSIGNED).first()
            or tasks.filter(status=STATUS.NEW).first())


REVIEW_NODES = [getattr(ReviewFlow, step) for step in
                (SECTION_HEAD_REVIEW, SECRECY_REVIEW, LEADERSHIP_REVIEW)]


def decided_tasks(*, user, search=""):
    """The review tasks the person decided (已办), the latest decision first; `search`
    matches the item's title or 文号. Narrow rows: combine with `with_review_context`."""
    if not user.is_authenticated or user.agency_id is None:
        return Task.objects.none()
    tasks = (Task.objects
             .filter(owner_id=user.pk, status=STATUS.DONE, flow_task__in=REVIEW_NODES,
                     process__reviewprocess__agency_id=user.agency_id)
             .order_by("-finished", "-pk"))
    if search:
        item = "process__reviewprocess__publication__"
        tasks = tasks.filter(Q(**{item + "title__icontains": search})
                             | Q(**{item + "document_number__icontains": search}))
    return tasks


def tasks_claimed_by_others(*, user):
    """Open tasks that colleagues hold on items of the sections the person heads (as a
    section head) or covers (as a leader): what they may take back
    (`permissions.take_back_refusal` as a filter), oldest first. Narrow rows."""
    if not user.is_authenticated or user.agency_id is None:
        return Task.objects.none()
    in_sections = _take_back_sections(user)
    if in_sections is None:
        return Task.objects.none()
    return (Task.objects.filter(status__in=OPEN_TASK_STATES)
            .filter(_among(_agency_rounds(user).filter(in_sections)), status=STATUS.ASSIGNED)
            .exclude(owner_id=user.pk).order_by("created", "pk"))


def _take_back_sections(user, prefix="") -> Q | None:
    """The rounds (`prefix`: seen from their tasks) of the sections the person heads, as a
    section head, or covers, as a leader: whose claims they may take back. None when they
    hold neither role."""
    sections = [getattr(user, tie).values("pk")
                for role, tie in ((Role.SECTION_HEAD, "headed_sections"),
                                  (Role.LEADER, "covered_sections"))
                if user.has_role(role)]
    if not sections:
        return None
    in_sections = Q(pk__in=[])
    for section_ids in sections:
        in_sections |= Q(**{f"{prefix}section_id__in": section_ids})
    return in_sections


def may_take_back(user) -> Q:
    """Among the tasks of `tasks_held_by_colleagues`, those the person may take back
    (`tasks_claimed_by_others`): the same rows, told by their round's section alone."""
    return _take_back_sections(user, prefix=ROUND) or Q(pk__in=[])


def tasks_held_by_colleagues(*, user, standing=None):
    """Open tasks colleagues have claimed that the person sees in their queue's terms: the
    ones they could otherwise have claimed (their steps, their sections) and the ones they
    may take back (`tasks_claimed_by_others`), the earliest claim first. Narrow rows."""
    if not user.is_authenticated or user.agency_id is None:
        return Task.objects.none()
    # what they may take back: of these rows (open, claimed by a colleague, of the agency's
    # rounds they did not draft), those of their sections (tasks_claimed_by_others)
    shown = may_take_back(user)
    eligibility = _eligible(user, None, standing=standing)
    if eligibility is None:
        rounds = _agency_rounds(user)
    else:
        # looked up from the rounds within their reach: the sections they head or cover
        # are among those (a head reviews the sections they head, a leader those they
        # cover), so no round they may take back from is left out
        rounds, allowed, _within_reach = eligibility
        shown |= allowed
    return (Task.objects.filter(status__in=OPEN_TASK_STATES)
            .filter(_among(rounds), status=STATUS.ASSIGNED)
            .exclude(owner_id=user.pk).filter(shown).order_by("assigned", "pk"))


def with_review_context(tasks):
    return tasks.select_related("process__reviewprocess__publication__section",
                                "process__reviewprocess__drafter", "owner")


def with_list_context(tasks):
    """`with_review_context` for lists: without the item's body and the round's copy of
    what was submitted (each can be tens of kilobytes a row)."""
    return with_review_context(tasks).defer("process__data",
                                            "process__reviewprocess__publication__body")


#: what a queue row shows beside the task's own id, flow_task, status, created and
#: assigned, read as plain values: 50 model graphs of seven models each cost more CPU than
#: the queue's query itself
QUEUE_ROW = {
    "holder": "owner__username",
    "publication": f"{ROUND}publication_id", "title": f"{ROUND}publication__title",
    "section": f"{ROUND}publication__section__code",
    "section_name": f"{ROUND}publication__section__name",
    "formed_on": f"{ROUND}publication__formed_on", "round": f"{ROUND}round",
    "drafter": f"{ROUND}drafter__username",
}


def _shown_name(person):
    """A person's name as `User.__str__` gives it (display name, else username), in SQL."""
    return Coalesce(NullIf(F(f"{person}display_name"), Value("")), F(f"{person}username"))


def as_queue_rows(tasks, *extra):
    """`tasks` as dicts of `QUEUE_ROW` (and the `extra` annotations)."""
    return tasks.values("id", "flow_task", "status", "created", "assigned", *extra,
                        **{key: F(path) for key, path in QUEUE_ROW.items()},
                        holder_name=_shown_name("owner__"),
                        drafter_name=_shown_name(f"{ROUND}drafter__"))


#: the part of QUEUE_ROW the API's queue shows (`brief`: no names, no drafter)
BRIEF_QUEUE_ROW = ("holder", "publication", "title", "section", "round")


def queue_rows(task_ids, *, brief=False) -> list[dict]:
    """The given tasks as dicts (`QUEUE_ROW`, or `BRIEF_QUEUE_ROW`), in the order of the
    ids (one query)."""
    tasks = Task.objects.filter(pk__in=task_ids)
    if brief:
        rows = tasks.values("id", "flow_task", "status", "created",
                            **{key: F(QUEUE_ROW[key]) for key in BRIEF_QUEUE_ROW})
    else:
        rows = as_queue_rows(tasks)
    by_id = {row["id"]: row for row in rows}
    return [by_id[pk] for pk in task_ids if pk in by_id]


def tasks_in_order(task_ids):
    """The given tasks with their round, item and section, in the order of the ids (for
    lists: `with_list_context`)."""
    by_id = with_list_context(Task.objects.all()).in_bulk(task_ids)
    return [by_id[pk] for pk in task_ids if pk in by_id]


def people_who_may_act(*, publication, step, round_id=None):
    """Everyone who may claim `step` of the item's current round, as one query.

    `permissions.refusal` as a filter: the item's agency, active, not its drafter, the
    step's role, the step's tie to the item's section (STEP_SECTION_TIE), and not having
    acted in this round already (one decision per person per round). `round_id`, the
    current round's id if the caller has it, spares the query a subquery to find it.
    """
    if round_id is None:
        round_id = Subquery(ReviewProcess.objects.filter(
            publication_id=publication.pk, round=publication.round).values("pk"))
    acted = Task.objects.filter(process_id=round_id, owner_id=OuterRef("pk"),
                                status=STATUS.DONE)
    people = (User.objects
              .filter(agency_id=publication.agency_id, is_active=True)
              .exclude(pk=publication.drafter_id)
              .filter(holding_role(STEP_ROLE[step]))
              .exclude(Exists(acted)))
    tie = STEP_SECTION_TIE.get(step)
    if not tie:
        return people
    # the section tie as an EXISTS on the link table: no join that repeats people, so the
    # one query stays flat (its planning, not its execution, was most of its cost)
    links = getattr(User, tie).through.objects.filter(section_id=publication.section_id)
    tied = Exists(links.filter(user_id=OuterRef("pk")))
    # and their substitutes (代理) while they are away: the step's role, not the drafter,
    # not having acted in the round, standing in today for someone eligible
    stands_in = Exists(Substitution.objects.active_on(timezone.localdate())
                       .filter(substitute_id=OuterRef("pk"),
                               absent__in=people.filter(tied).values("pk")))
    return people.filter(tied | stands_in)


def urges_of(*, task):
    """The urges (催办) of one review task, in order, with who urged (one query): audit
    events about the task's item that name the task."""
    publication = task.process.reviewprocess.publication
    return (subject_trail(subject=publication)
            .filter(action=AuditAction.URGE, data__task=task.pk).select_related("actor"))


def open_tasks(*, publication):
    """The unfinished tasks of the item's open round (`publication` may be an OuterRef)."""
    if isinstance(publication, OuterRef):  # one query further in: the round's subquery
        publication = OuterRef(publication)
    open_round = ReviewProcess.objects.filter(publication=publication,
                                              outcome=RoundOutcome.OPEN).values("pk")
    # the round as a subquery, not a join through viewflow's process table
    return Task.objects.filter(process_id__in=open_round, status__in=OPEN_TASK_STATES)


@dataclass(frozen=True)
class RoundContent:
    """What was submitted for review in one round, if anything kept it."""

    round: int
    submitted: AuditEvent
    title: str = ""
    body: str = ""
    # "round": the review round's record kept it (ReviewProcess.submitted, outside the
    # hashed trail); "current": the item's content now has the fingerprint the round was
    # submitted with, so it is the same content; "": not kept anywhere.
    source: str = ""

    @property
    def kept(self) -> bool:
        return bool(self.source)


def _submit_events(publication):
    return subject_trail(subject=publication).filter(action=AuditAction.SUBMIT,
                                                     round__isnull=False)


def submitted_rounds(*, publication) -> list[int]:
    """The rounds the item was submitted in, in order."""
    return sorted(set(_submit_events(publication).values_list("round", flat=True)))


def round_content(*, publication, round: int) -> RoundContent | None:
    """The content submitted in `round` (None when the item was never submitted in it)."""
    submitted = _submit_events(publication).filter(round=round).select_related("actor").last()
    if submitted is None:
        return None
    review_process = ReviewProcess.objects.filter(publication=publication, round=round).first()
    kept = review_process.submitted if review_process is not None else None
    if kept is not None:
        return RoundContent(round, submitted, title=kept["title"],
                            body=kept.get("body") or "", source="round")
    if submitted.fingerprint and submitted.fingerprint == publication.fingerprint:
        return RoundContent(round, submitted, title=publication.title, body=publication.body,
                            source="current")
    return RoundContent(round, submitted)


def round_tasks(*, publication):
    """The review tasks of the item's current round with their holders and the round, in
    the order they were opened (one query; none before the first submit)."""
    return (Task.objects
            .filter(process__reviewprocess__publication=publication,
                    process__reviewprocess__round=publication.round,
                    flow_task_type="HUMAN")
            .select_related("owner", "process__reviewprocess")
            .order_by("created", "pk"))


# ---------------------------------------------------------------- substitutes (代理)

#: the roles a substitute shares with the person they stand in for
SUBSTITUTE_ROLES = (Role.SECTION_HEAD, Role.SECRECY_REVIEWER, Role.LEADER)


def eligible_substitutes(*, absent):
    """The colleagues who may stand in for `absent`: active, of the same agency, holding
    every review role `absent` holds (`workflow.substitutions` checks the same)."""
    people = (User.objects.filter(agency_id=absent.agency_id, is_active=True)
              .exclude(pk=absent.pk))
    roles = [role for role in SUBSTITUTE_ROLES if absent.has_role(role)]
    if not roles:
        return people.none()
    for role in roles:
        people = people.filter(holding_role(role))
    return people.order_by("display_name", "username")


def agency_reviewers(*, agency_id):
    """The active people of the agency holding a review role (who may go on leave)."""
    any_role = Q(pk__in=[])
    for role in SUBSTITUTE_ROLES:
        any_role |= holding_role(role)
    return (User.objects.filter(any_role, agency_id=agency_id, is_active=True)
            .order_by("display_name", "username"))


def substitutions_of(*, user, agency_wide=False):
    """The person's substitutions (away or standing in), or with `agency_wide` the
    agency's, not ended more than 30 days ago, the latest start first (one query)."""
    since = timezone.localdate() - dt.timedelta(days=30)
    rows = Substitution.objects.filter(agency_id=user.agency_id, ends_on__gte=since)
    if not agency_wide:
        rows = rows.filter(Q(absent_id=user.pk) | Q(substitute_id=user.pk))
    return rows.select_related("absent", "substitute", "created_by").order_by(
        "-starts_on", "-pk")
