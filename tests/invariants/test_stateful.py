"""Random people of every role in two agencies doing random things through the services,
with the system's invariants checked after every step (Hypothesis `RuleBasedStateMachine`).

Each step is one action through the service layer (create, edit, attach, scan, mask,
submit, withdraw, claim, unclaim, approve, reject, withhold, dismiss a finding, retract,
ask for and decide a retraction, confirm, retry, run the outbox, change a person's roles
or section ties, (de)activate a person, sign a checkpoint), by a person picked at random:
usually one who may plausibly do it, often anyone, including people of the other agency
and the wrong roles, so that refusals are exercised as much as successes. A refusal must be
a `core.errors.ServiceError` (a 4xx in the API); any other exception fails the test (it
would be a 500).

The invariants are recounted from the tables and the audit trail with plain queries,
never through the selectors the services use:

1. every release has, in its round, `approve` events of the three tiers by three different
   people, none the item's drafter, each on the release's fingerprint, which is the item's
   current fingerprint in its current round; and it goes to exactly the item's channels;
2. no open task on an item that is not in review, and an item in review has exactly one
   open round (its current one) with exactly one open task;
3. nobody has two decisions (approve, reject, withhold) on one item in one round;
4. each agency's audit chain verifies (`audit.verification.verify_chain`), and each new
   event links to the one before it and the chain head points at the last;
5. the statistics' released items per channel, released items and retracted items equal
   a recount from the release rows.

Each Hypothesis example runs in a savepoint that is rolled back when it ends (the
agencies and people are made once, outside it), and the checkpoints it signed are removed,
so examples do not see each other. `STATEFUL_STEPS` (default 2500) sets how many steps
run in all; the test checks that at least that many ran. `make soak` runs 100,000.
"""

import datetime as dt
import math
import os
import shutil
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS

from agencies.models import Agency, Section, User
from audit.checkpoints import write_checkpoint
from audit.models import AuditChain, AuditEvent
from audit.verification import verify_chain
from core.errors import ServiceError
from disclosure.selectors import agency_year_statistics
from publications import services as items
from publications.models import Attachment, Publication
from releases import delivery
from releases import services as releasing
from releases.models import Release, RetractionRequest
from scanning import services as scanning
from scanning.models import Finding, ScanReport
from testsupport.factories import item_data, make_org
from workflow import services as review
from workflow.models import OPEN_TASK_STATES, ReviewProcess

pytestmark = pytest.mark.postgres

STEPS = int(os.environ.get("STATEFUL_STEPS", "2500"))
STEPS_PER_EXAMPLE = 100
# examples end early now and then (Hypothesis stops one when its choices grow long): about
# 97 steps of 100 were measured to run; since submit runs the pre-scan (findings to choose
# from earlier) about 83
EXAMPLES = math.ceil(STEPS / (STEPS_PER_EXAMPLE * 0.75)) + 1
# Shrinking a failure of a long run takes many minutes: off unless asked for (the run is
# derandomised, so the same failure comes back with STATEFUL_SHRINK=1, then shrunk).
SHRINK = bool(os.environ.get("STATEFUL_SHRINK"))
FULL_CHAIN_EVERY = 10  # steps between two full walks of the chains (and at each example's end)

ITEM = "publications.publication"  # what item events record as their subject's kind
TIERS = ("section_head_review", "secrecy_review", "leadership_review")
DECISIONS = ("approve", "reject", "withhold")
STEP_ROLE = {"section_head_review": "section_head", "secrecy_review": "secrecy_reviewer",
             "leadership_review": "leader"}

BODIES = [
    "<p>现将有关事项通知如下。</p>",
    "<p>请各单位于三月底前报送检查结果。</p>",
    "<p>附件：检查表。</p>",
    "<p>联系人身份证号 11010519491231002X，请核对。</p>",  # blocking, maskable
    "<p>机密★ 本文件仅限内部传阅。</p>",  # blocking, not maskable: must be dismissed
    "<p>咨询电话 13812345678。</p>",  # a warning, maskable
    "",
]
TITLES = ["关于开展建筑施工安全大检查的通知", "2024年行政许可事项公示", "关于调整办公时间的公告",
          "申请人 11010519491231002X 的许可决定"]
CHANNEL_SETS = [["website"], ["jiaozuo_daily"], ["website", "jiaozuo_daily"]]
ROLE_SETS = [["drafter"], ["section_head"], ["secrecy_reviewer"], ["leader"], ["publisher"],
             ["auditor"], ["agency_admin"], ["drafter", "section_head"],
             ["section_head", "secrecy_reviewer"], ["secrecy_reviewer", "leader"],
             ["section_head", "leader"], []]
# the states in which a drafter's action makes sense (most picks are items in them)
SUITED = {"edit": ("draft", "returned"), "attach": ("draft", "returned"),
          "detach": ("draft", "returned"), "mask": ("draft", "returned"),
          "submit": ("draft", "returned"), "withdraw": ("draft", "in_review", "returned")}
WITHHOLD_BASES = ["state_secret", "third_party_rights", "process_information", "", "nonsense"]

pick = st.integers(min_value=0, max_value=2**16 - 1)
aim = st.integers(min_value=0, max_value=9)  # < 8: someone who may plausibly act


def choose(options, index):
    options = list(options)
    return options[index % len(options)] if options else None


@dataclass
class Person:
    agency_id: int
    section_id: int | None
    roles: list
    active: bool = True
    headed: set = field(default_factory=set)
    covered: set = field(default_factory=set)


@dataclass
class Run:
    """What all examples did together (printed at the end)."""

    steps: int = 0
    done: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    examples: int = 0


RUN = Run()


class World:
    """The two agencies, made once for the whole run (outside every example's savepoint)."""

    agencies: list = []
    sections: dict = {}  # agency id -> [section ids]


class ServiceMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.savepoint = transaction.savepoint()
        RUN.examples += 1
        self.people = self._load_people()
        self.original = {pk: replace(p, roles=list(p.roles), headed=set(p.headed),
                                     covered=set(p.covered)) for pk, p in self.people.items()}
        self.items: list[int] = []
        self.checked_seq = dict.fromkeys((a.pk for a in World.agencies), 0)
        self.statistics_of = {}  # agency id -> the rows its statistics were last checked on
        self.steps = 0

    def teardown(self):
        try:
            self._verify_chains()
        finally:
            transaction.savepoint_rollback(self.savepoint)
            shutil.rmtree(Path(django_settings.AUDIT_CHECKPOINT_DIR), ignore_errors=True)

    # --- people ---------------------------------------------------------------------------

    @staticmethod
    def _load_people():
        people = {u.pk: Person(u.agency_id, u.section_id, list(u.roles), u.is_active)
                  for u in User.objects.filter(agency__in=World.agencies)}
        for section in Section.objects.filter(agency__in=World.agencies).prefetch_related(
                "heads", "leaders"):
            for head in section.heads.all():
                people[head.pk].headed.add(section.pk)
            for leader in section.leaders.all():
                people[leader.pk].covered.add(section.pk)
        return people

    def _active(self):
        return sorted(pk for pk, p in self.people.items() if p.active)

    def _actor(self, which, plausible, who):
        """A person who can log in: from `plausible` when `who` says so, else anyone."""
        active = set(self._active())
        plausible = sorted(set(plausible) & active)
        if plausible and who < 8:
            return choose(plausible, which)
        return choose(sorted(active), which)

    def _holding(self, agency_id, role):
        return [pk for pk, p in self.people.items() if p.agency_id == agency_id and role in p.roles]

    def _reviewers(self, item, step):
        tie = {"section_head_review": "headed", "leadership_review": "covered"}.get(step)
        return [pk for pk in self._holding(item.agency_id, STEP_ROLE[step])
                if pk != item.drafter_id
                and (tie is None or item.section_id in getattr(self.people[pk], tie))]

    # --- doing ----------------------------------------------------------------------------

    def _act(self, action, actor_pk, call):
        """One step: the call as the actor (loaded afresh, as a request would), refused only
        with a ServiceError."""
        actor = User.objects.get(pk=actor_pk) if actor_pk is not None else None
        RUN.steps += 1
        self.steps += 1
        try:
            call(actor)
        except ServiceError as refusal:
            RUN.refused[action] += 1
            RUN.reasons[(action, type(refusal).__name__, refusal.message[:40])] += 1
        else:
            RUN.done[action] += 1

    def _item(self, index, suited=None):
        """An item of this example: mostly one the action suits (`suited` narrows the
        example's items to those), else any; now and then one that does not exist."""
        if not self.items or index % 17 == 16:
            return Publication(pk=10**9, agency_id=World.agencies[0].pk, drafter_id=None,
                               section_id=None)
        candidates = self.items
        if suited is not None and index % 5 != 4:
            candidates = list(suited.filter(pk__in=self.items).order_by("pk").values_list(
                "pk", flat=True).distinct()) or self.items
        return Publication.objects.get(pk=choose(candidates, index // 5))

    # --- rules ----------------------------------------------------------------------------

    @initialize(seeds=st.lists(st.integers(min_value=0, max_value=2**32 - 1), min_size=3,
                               max_size=3))
    def some_items(self, seeds):
        """Items to act on even in an example whose rules Hypothesis chose without `create`."""
        for seed in seeds:  # valid input from a drafter, and two of them submitted
            self._create(seed, 0, 0, seed // 7, seed // 11, seed // 13)
        for pid in self.items[:2]:
            drafter = Publication.objects.get(pk=pid).drafter_id
            self._act("submit", drafter, lambda user, pid=pid: review.submit_publication(
                user=user, publication_id=pid))

    @rule(seed=st.integers(min_value=0, max_value=2**32 - 1), variant=st.integers(0, 99))
    def create(self, seed, variant):
        which, rest = divmod(seed, 2**16)
        self._create(which, rest % 10, variant, rest // 10, rest // 30, rest // 70)

    def _create(self, which, who, variant, body, title, channels):
        drafters = [pk for pk, p in self.people.items() if "drafter" in p.roles]
        actor = self._actor(which, drafters, who)
        section = Section.objects.filter(pk=self.people[actor].section_id)
        data = item_data(section=section.values_list("code", flat=True).first() or "office",
                         title=choose(TITLES, title), body=choose(BODIES, body),
                         channels=choose(CHANNEL_SETS, channels))
        if variant >= 85:  # wrong input, each refused naming its field
            data.update(choose([{"title": ""}, {"channels": ["nowhere"]}, {"channels": []},
                                {"section": "construction" if data["section"] == "office"
                                 else "office"}, {"category": "nothing"},
                                {"document_type": "rule"}], variant))

        def call(user):
            self.items.append(items.create_publication(user=user, data=data).pk)

        self._act("create", actor, call)

    @rule(index=pick, which=pick, who=aim,
          action=st.sampled_from(["edit", "edit", "attach", "detach", "scan", "mask",
                                  "submit", "submit", "submit", "withdraw"]),
          variant=pick)
    def drafter_acts(self, index, which, who, action, variant):
        item = self._item(index, Publication.objects.filter(status__in=SUITED.get(action, ())))
        actor = self._actor(which, [item.drafter_id] if item.drafter_id else [], who)
        pid = item.pk

        def call(user):
            if action == "edit":
                data = choose([{"body": choose(BODIES, variant // 7)},
                               {"title": choose(TITLES, variant // 7)},
                               {"channels": choose(CHANNEL_SETS, variant // 7)},
                               {"title": ""}], variant)
                items.update_publication(user=user, publication_id=pid, data=data)
            elif action == "attach":
                name, content = choose([("说明.txt", "附件说明，无敏感信息。"),
                                        ("名单.txt", "张三 11010519491231002X"),
                                        ("扫描件.png", "not a real image"),  # unreadable
                                        ("程序.exe", "MZ")], variant)
                items.add_attachment(user=user, publication_id=pid, uploaded=SimpleUploadedFile(
                    name, content.encode(), content_type="text/plain"))
            elif action == "detach":
                ids = list(Attachment.objects.filter(publication_id=pid).values_list(
                    "pk", flat=True)) + [10**9]
                items.remove_attachment(user=user, publication_id=pid,
                                        attachment_id=choose(ids, variant))
            elif action == "scan":
                scanning.scan_publication(user=user, publication_id=pid)
            elif action == "mask":
                scanning.apply_masks(user=user, publication_id=pid)
            elif action == "submit":
                review.submit_publication(user=user, publication_id=pid)
            else:
                review.withdraw_publication(user=user, publication_id=pid)

        self._act(action, actor, call)

    def _task(self, index):
        """A task of this example's items: mostly an open one; sometimes a finished one or
        one that does not exist."""
        tasks = list(Task.objects.filter(process__reviewprocess__publication_id__in=self.items,
                                         flow_task_type="HUMAN").order_by("pk")
                     .select_related("process__reviewprocess__publication"))
        open_tasks = [t for t in tasks if t.status in OPEN_TASK_STATES]
        if index % 23 == 22 or not tasks:
            return None
        return choose(open_tasks if open_tasks and index % 7 != 6 else tasks, index // 7)

    def _review(self, index, which, who, action, variant):
        task = self._task(index)
        if task is None:
            task_id, plausible = 10**9, []
        else:
            task_id = task.pk
            item = task.process.reviewprocess.publication
            step = task.flow_task.name
            plausible = ([task.owner_id] if task.owner_id and action != "claim"
                         else self._reviewers(item, step))
            if action in ("dismiss", "acknowledge"):
                plausible = [pk for pk in self._holding(item.agency_id, "secrecy_reviewer")
                             if pk != item.drafter_id]
            elif action == "take_back":
                section = item.section
                plausible = [pk for pk in set(section.heads.values_list("pk", flat=True))
                             | set(section.leaders.values_list("pk", flat=True))
                             if pk != task.owner_id]
        actor = self._actor(which, plausible, who)
        comment = choose(["同意。", "", "  ", "请补充依据后再报。"], variant)

        def call(user):
            if action == "claim":
                review.claim_task(user=user, task_id=task_id)
            elif action == "unclaim":
                review.unclaim_task(user=user, task_id=task_id)
            elif action == "approve":
                review.approve_task(user=user, task_id=task_id, comment=comment)
            elif action == "reject":
                review.reject_task(user=user, task_id=task_id, comment=comment)
            elif action == "take_back":
                review.take_back_claim(user=user, task_id=task_id, claim=variant % 2 == 0)
            elif action == "acknowledge":
                pid = task.process.reviewprocess.publication_id if task else 10**9
                fields = [entry["field"] for report in ScanReport.objects.filter(
                    publication_id=pid).order_by("-pk")[:1] for entry in report.unscanned]
                review.acknowledge_unscanned(
                    user=user, publication_id=pid,
                    field=choose(fields + ["attachment:无此文件.doc"], variant // 4),
                    note=choose(["已人工查看，无涉密内容。", ""], variant // 16))
            elif action == "withhold":
                review.withhold_task(user=user, task_id=task_id,
                                     basis=choose(WITHHOLD_BASES, variant // 4), comment=comment)
            else:
                pid = task.process.reviewprocess.publication_id if task else 10**9
                found = Finding.objects.filter(report__publication_id=pid).order_by(
                    F("dismissed_at").asc(nulls_first=True), "-pk")  # open ones, newest
                findings = list(found.values_list("pk", flat=True)[:3]) + [10**9]
                review.dismiss_finding(user=user, publication_id=pid,
                                       finding_id=choose(findings, variant // 4),
                                       justification=choose(["已核实为公开信息。", ""],
                                                            variant // 16))

        self._act(action, actor, call)

    REVIEW_ACTIONS = ["approve", "claim", "approve", "dismiss", "approve", "reject", "approve",
                      "withhold", "dismiss", "unclaim", "acknowledge", "take_back"]

    @rule(seed=st.integers(min_value=0, max_value=2**48 - 1))
    def review(self, seed):
        """One argument: the rule with the fewest comes first, and Hypothesis's simplest
        examples repeat it (better reviews than a hundred new drafts)."""
        index, which, rest = seed % 2**16, seed // 2**16 % 2**16, seed // 2**32
        self._review(index, which, rest % 10, choose(self.REVIEW_ACTIONS, rest // 10),
                     rest // 100)

    @rule(index=pick, which=pick, who=aim, action=st.sampled_from(REVIEW_ACTIONS), variant=pick)
    def review_more(self, index, which, who, action, variant):
        """Reviewing is most of the work: a second rule gives it twice the weight."""
        self._review(index, which, who, action, variant)

    @rule(index=pick, which=pick, who=aim,
          action=st.sampled_from(["retract", "request", "decide", "confirm", "confirm",
                                  "retry", "outbox", "outbox", "outbox"]),
          variant=pick)
    def release_acts(self, index, which, who, action, variant):
        item = self._item(index, {
            "retract": Publication.objects.filter(status="approved"),
            "request": Publication.objects.filter(status="approved"),
            "decide": Publication.objects.filter(retraction_requests__status="pending"),
            "confirm": Publication.objects.filter(releases__status="awaiting_confirmation"),
            "retry": Publication.objects.filter(
                releases__status__in=["failed", "retraction_failed"]),
        }.get(action))
        releases = list(Release.objects.filter(publication_id=item.pk).order_by("pk")
                        .values_list("pk", flat=True)) + [10**9]
        release_id = choose(releases, variant)
        requests = list(RetractionRequest.objects.filter(publication_id=item.pk)
                        .order_by("pk").values_list("pk", flat=True)) + [10**9]
        if action in ("retract", "decide"):
            plausible = [pk for pk in self._holding(item.agency_id, "leader")
                         if item.section_id in self.people[pk].covered]
        else:
            plausible = self._holding(item.agency_id, "publisher")
        if action == "outbox":
            self._act("outbox", None, lambda _user: self._run_outbox())
            return
        actor = self._actor(which, plausible, who)
        reason = choose(["内容有误，需撤回。", "数据有误。", "", "标题错误。"], variant // 3)
        today = timezone.localdate()

        def call(user):
            if action == "retract":
                releasing.retract_publication(user=user, publication_id=item.pk, reason=reason)
            elif action == "request":
                releasing.request_retraction(user=user, publication_id=item.pk, reason=reason)
            elif action == "decide":
                releasing.decide_retraction(user=user, request_id=choose(requests, variant // 5),
                                            approve=bool(variant % 2),
                                            comment=choose(["", "不同意撤稿。"], variant // 7))
            elif action == "confirm":
                published_on = choose([today, today, today, today + dt.timedelta(days=1),
                                       dt.date(2000, 1, 1)], variant // 3)
                releasing.confirm_release(user=user, release_id=release_id,
                                          published_on=published_on,
                                          reference=choose(["第3版", "https://example.cn/a", "",
                                                            "第5版"], variant // 11))
            else:
                releasing.retry_release(user=user, release_id=release_id)

        self._act(action, actor, call)

    @staticmethod
    def _run_outbox():
        """What the workers and the sweeper do (on_commit does not run in this test): every
        delivery and retraction that is due."""
        deliveries, retractions = delivery.due_releases()
        for pk in deliveries:
            delivery.deliver(pk)
        for pk in retractions:
            delivery.retract(pk)

    @rule(which=pick, action=st.sampled_from(["roles", "tie", "active", "restore", "restore",
                                              "restore", "checkpoint"]),
          variant=pick)
    def change_person(self, which, action, variant):
        """An agency admin changes a person in the admin (no service exists for it: the row is
        written as the admin's form writes it, and, like the admin, without an audit event),
        or beat signs an agency's checkpoint."""
        if action == "checkpoint":  # beat's job: sign a chain head, verification holds to it
            write_checkpoint(choose(World.agencies, which))
            RUN.steps += 1
            self.steps += 1
            RUN.done["checkpoint"] += 1
            return
        pk = choose(sorted(self.people), which)
        person = self.people[pk]
        user = User.objects.get(pk=pk)
        if action == "roles":
            person.roles = list(choose(ROLE_SETS, variant))
            user.roles = person.roles
            user.save(update_fields=["roles"])
        elif action == "tie":
            section = choose(World.sections[person.agency_id], variant)
            ties, relation = ((person.headed, user.headed_sections) if variant % 2
                              else (person.covered, user.covered_sections))
            if section in ties:
                ties.discard(section)
                relation.remove(section)
            else:
                ties.add(section)
                relation.add(section)
        elif action == "active":
            person.active = not person.active
            user.is_active = person.active
            user.save(update_fields=["is_active"])
        else:  # back as the example began, so that a long run does not wear the agency out
            original = self.original[pk]
            person.roles, person.active = list(original.roles), original.active
            person.headed, person.covered = set(original.headed), set(original.covered)
            user.roles, user.is_active = person.roles, person.active
            user.save(update_fields=["roles", "is_active"])
            user.headed_sections.set(person.headed)
            user.covered_sections.set(person.covered)
        RUN.steps += 1
        self.steps += 1
        RUN.done[f"person_{action}"] += 1

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def invariants_hold(self):
        """All five, from one read of the rows they are about (this example's items)."""
        pubs = {p["pk"]: p for p in Publication.objects.filter(pk__in=self.items).values(
            "pk", "status", "round", "fingerprint", "drafter_id", "agency_id",
            "site_published_at", "site_published_on")}
        decisions = list(AuditEvent.objects.filter(
            subject_type=ITEM, subject_id__in=self.items, action__in=DECISIONS).values(
            "subject_id", "round", "tier", "actor_id", "fingerprint", "action"))
        releases = list(Release.objects.filter(publication_id__in=self.items).values(
            "pk", "publication_id", "channel_id", "round", "fingerprint", "status",
            "published_on", "published_at", "updated_at", "channel__agency_id", "channel__code",
            "channel__kind").order_by("pk"))
        self._check_releases(pubs, decisions, releases)
        self._check_open_tasks(pubs)
        self._check_one_decision_each(decisions)
        self._check_chains()
        self._check_statistics(pubs, releases)

    def _check_releases(self, pubs, decisions, releases):
        """1. No release without three approvals of its content in its round by three
        different people, none the drafter; one release per channel of the item."""
        channels = defaultdict(set)
        for pid, cid in Publication.channels.through.objects.filter(
                publication_id__in=self.items).values_list("publication_id", "channel_id"):
            channels[pid].add(cid)
        approvals = defaultdict(list)
        for e in decisions:
            if e["action"] == "approve":
                approvals[(e["subject_id"], e["round"])].append(e)
        released = defaultdict(set)
        for r in releases:
            item = pubs[r["publication_id"]]
            released[item["pk"]].add(r["channel_id"])
            assert item["status"] in ("approved", "retracted"), (r, item)
            assert (r["round"], r["fingerprint"]) == (item["round"], item["fingerprint"]), (
                r, item)
            approved = [a for a in approvals[(item["pk"], r["round"])]
                        if a["fingerprint"] == r["fingerprint"]]
            assert sorted(a["tier"] for a in approved) == sorted(TIERS), (r, approved)
            actors = {a["actor_id"] for a in approved}
            assert len(actors) == 3 and item["drafter_id"] not in actors, (r, approved)
        for pk, item in pubs.items():
            if item["status"] in ("approved", "retracted"):
                assert released[pk] == channels[pk], (item, released[pk], channels[pk])
            else:
                assert not released[pk], item
        # and the item's place on its public column, kept by the database's trigger, is
        # its earliest published release on a site channel of its own agency
        on_site = defaultdict(list)
        for r in releases:
            if (r["status"] == "published" and r["channel__kind"] == "site"
                    and r["channel__agency_id"] == pubs[r["publication_id"]]["agency_id"]):
                on_site[r["publication_id"]].append(r)
        for pk, item in pubs.items():
            first = min(on_site[pk], key=lambda r: (r["published_at"] is None,
                                                   r["published_at"] or r["updated_at"],
                                                   r["pk"]), default=None)
            expected = ((first["published_at"] or first["updated_at"], first["published_on"])
                        if first else (None, None))
            assert (item["site_published_at"], item["site_published_on"]) == expected, (
                item, on_site[pk])

    def _check_open_tasks(self, pubs):
        """2. No open task on an item not in review; an item in review has one open round,
        its current one, with one open task."""
        rounds = {r["pk"]: r for r in ReviewProcess.objects.filter(
            publication_id__in=self.items).values("pk", "publication_id", "round", "status")}
        open_tasks = Counter()
        for task in Task.objects.filter(process_id__in=rounds, status__in=OPEN_TASK_STATES
                                        ).values("pk", "process_id", "status", "owner_id"):
            r = rounds[task["process_id"]]
            item = pubs[r["publication_id"]]
            assert item["status"] == "in_review", (task, r, item)
            assert r["status"] == PROCESS.NEW and r["round"] == item["round"], (task, r, item)
            assert task["status"] != "ASSIGNED" or task["owner_id"], task
            open_tasks[item["pk"]] += 1
        open_rounds = Counter(r["publication_id"] for r in rounds.values()
                              if r["status"] == PROCESS.NEW)
        in_review = {pk for pk, item in pubs.items() if item["status"] == "in_review"}
        assert set(open_rounds) == in_review and set(open_rounds.values()) <= {1}, open_rounds
        assert set(open_tasks) == in_review and set(open_tasks.values()) <= {1}, open_tasks

    @staticmethod
    def _check_one_decision_each(decisions):
        """3. Nobody decides twice on one item in one round."""
        counted = Counter((e["subject_id"], e["round"], e["actor_id"]) for e in decisions)
        twice = {key: n for key, n in counted.items() if n > 1}
        assert not twice, (twice, decisions)

    def _check_chains(self):
        """4. Every step: the new events follow on from those already checked and the head
        is the last; every FULL_CHAIN_EVERY steps (and at the end) the verifier walks all."""
        heads = {a: (s, h) for a, s, h in AuditChain.objects.filter(
            agency__in=World.agencies).values_list("agency_id", "last_seq", "last_hash")}
        for agency in World.agencies:
            last = self.checked_seq[agency.pk]
            new = list(AuditEvent.objects.filter(agency=agency, seq__gte=max(last, 1))
                       .order_by("seq").values_list("seq", "prev_hash", "hash"))
            head = heads.get(agency.pk, (0, ""))
            if not new:
                assert head == (0, "") and last == 0, (agency.code, head)
                continue
            assert last == 0 or new[0][0] == last, (agency.code, last, new[0])
            assert last > 0 or (new[0][0], new[0][1]) == (1, ""), (agency.code, new[0])
            for (seq, _prev, digest), (next_seq, prev, _hash) in zip(new, new[1:],
                                                                     strict=False):
                assert next_seq == seq + 1 and prev == digest, (agency.code, next_seq)
            assert head == (new[-1][0], new[-1][2]), (agency.code, head, new[-1])
            self.checked_seq[agency.pk] = new[-1][0]
        if self.steps % FULL_CHAIN_EVERY == 0:
            self._verify_chains()

    @staticmethod
    def _verify_chains():
        for agency in World.agencies:
            report = verify_chain(agency)
            assert report.ok, report

    def _check_statistics(self, pubs, releases):
        """5. The statistics equal a recount from the release rows. Recomputed for an agency
        whenever one of its releases or the status of an item with releases changed (nothing
        else they count can change: an item without releases counts nowhere)."""
        years = {timezone.localdate().year} | {
            r["published_on"].year for r in releases if r["published_on"]}
        for agency in World.agencies:
            counted_from = (tuple(sorted(years)), tuple(
                (*r.values(), pubs[r["publication_id"]]["status"]) for r in releases
                if r["channel__agency_id"] == agency.pk))
            if counted_from == self.statistics_of.get(agency.pk):
                continue
            self.statistics_of[agency.pk] = counted_from
            mine = [dict(r, item=pubs[r["publication_id"]]["status"]) for r in releases
                    if r["channel__agency_id"] == agency.pk]
            counting = [r for r in mine if r["status"] == "published" and r["published_on"]
                        and r["item"] == "approved"]
            first = {}
            for r in counting:
                pid = r["publication_id"]
                first[pid] = min(first.get(pid, r["published_on"]), r["published_on"])
            for year in sorted(years):
                by_channel = Counter(r["channel__code"] for r in counting
                                     if r["published_on"].year == year)
                retracted = {r["publication_id"] for r in mine
                             if r["item"] == "retracted" and r["published_on"]
                             and r["published_on"].year == year
                             and r["status"] in ("published", "retracted", "retraction_failed")}
                stats = agency_year_statistics(agency=agency, year=year)
                shown = {c.code: c.released for c in stats.channels}
                assert set(by_channel) <= set(shown), (by_channel, shown)
                assert shown == {code: by_channel.get(code, 0) for code in shown}, (
                    agency.code, year, shown, by_channel)
                assert stats.released_items == sum(d.year == year for d in first.values()), (
                    agency.code, year, stats.timeliness, first)
                assert stats.retracted == len(retracted), (agency.code, year, stats.retracted)


def test_random_people_doing_random_things_never_break_the_invariants(db):
    World.agencies = [make_org(code="housing", prefix="").agency,
                      make_org(code="transport", prefix="t_").agency]
    World.sections = {a.pk: sorted(Section.objects.filter(agency=a).values_list("pk", flat=True))
                      for a in World.agencies}
    assert not AuditEvent.objects.exists()  # each example starts from empty chains
    wall, cpu = time.perf_counter(), time.process_time()
    run_state_machine_as_test(ServiceMachine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS_PER_EXAMPLE, deadline=None,
        database=None, derandomize=True, print_blob=False,
        phases=[Phase.explicit, Phase.generate] + ([Phase.shrink] if SHRINK else []),
        suppress_health_check=list(HealthCheck)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"\nstateful: {RUN.steps} steps in {RUN.examples} examples, "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU ({1000 * wall / max(RUN.steps, 1):.1f} ms/step)")
    print("  done:   ", dict(sorted(RUN.done.items())))
    print("  refused:", dict(sorted(RUN.refused.items())))
    if os.environ.get("STATEFUL_REASONS"):
        for (action, kind, message), n in sorted(RUN.reasons.items()):
            print(f"    {action:10} {kind:14} {n:6}  {message}")
    assert RUN.steps >= STEPS, f"only {RUN.steps} steps ran, {STEPS} wanted"
    assert not Agency.objects.filter(audit_chain__last_seq__gt=0).exists()  # all rolled back
