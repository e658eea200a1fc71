"""The 依申请公开 register at scale, written with bulk_create (no services, no audit
events): the data of the queue benchmark and of the annual report's tables 三 and 四.

`staff` gives each agency an office (unless it has one) and a construction section, two
application handlers and a leader covering both. `applications` spreads applications over
the agencies (`large_agencies` of them hold `large_share`, the others share the rest
evenly), with statuses and dates as a county bureau's register holds them on `today`:
about a third open (most with a running clock, some stopped by a 补正 notice, a
consultation or a fee notice, some overdue, some due within 5 working days, one in twenty
extended), the rest replied (with the outcome mix of a county bureau) or closed. Every
application has the clock events that explain it, and its stored deadline is what
`applications.clock` computes from them. Optionally a share of the replied applications
paid a fee first (`fees_paid`: a fee notice and the payment) or were taken to a
reconsideration or a court (`cases`); these draw from their own random stream, so the
register without them is the same for a seed.
"""

import datetime as dt
import random

# (status, share of all applications)
STATUSES = [("pending_confirmation", 0.01), ("received", 0.20), ("awaiting_correction", 0.02),
            ("consulting_third_party", 0.02), ("awaiting_fee", 0.01),
            ("reply_pending_approval", 0.03), ("replied", 0.66), ("closed", 0.05)]
OUTCOMES = [("disclosed", 40), ("partly_disclosed", 15), ("unable_not_held", 15),
            ("withheld_third_party", 4), ("withheld_process_info", 4), ("unable_unclear", 3),
            ("not_processed_repeat", 4), ("not_processed_petition", 3),
            ("other_no_correction", 6), ("other_no_fee", 1), ("other", 5)]
SECTIONS = (("office", "办公室"), ("construction", "建筑业管理股"))
# (kind, share of the cases; results with their weights)
CASE_KINDS = [("reconsideration", 70), ("litigation_direct", 20),
              ("litigation_after_reconsideration", 10)]
CASE_RESULTS = [("upheld", 60), ("corrected", 10), ("other", 15), ("pending", 15)]


class Clocks:
    """The stored clock of a pattern of events, computed once per pattern."""

    def __init__(self, today):
        from workdays.calendar import WorkingCalendar

        self.calendar, self.today, self.cache = WorkingCalendar(), today, {}

    def of(self, facts):
        from applications import clock

        key = tuple((kind, on) for kind, on, _data in facts)
        if key not in self.cache:
            self.cache[key] = clock.compute(
                [clock.Fact(kind, on, data) for kind, on, data in facts],
                calendar=self.calendar, today=self.today)
        return self.cache[key]

    def working_days_before(self, day, n):
        counted = 0
        while counted < n:
            day -= dt.timedelta(days=1)
            counted += self.calendar.is_working_day(day)
        return day


def staff(agencies, *, offices: dict | None = None) -> tuple[dict, int]:
    """Sections and people of each agency: ({agency id: {"sections": [office,
    construction], "handlers": [a, b], "leader": user}}, rows written). `offices` maps
    an agency id to its existing office section."""
    from agencies.models import Role, Section, User

    made = iter(Section.objects.bulk_create(
        [Section(agency=g, code=code, name=name) for g in agencies for code, name in SECTIONS
         if offices is None or code != "office"]))
    sections = {g.pk: [offices[g.pk] if offices is not None and code == "office"
                       else next(made) for code, _name in SECTIONS] for g in agencies}
    users = User.objects.bulk_create(
        [User(username=f"{role}_{i}", agency=g, section=sections[g.pk][0],
              roles=[str(r) for r in roles], password="!")
         for i, g in enumerate(agencies)
         for role, roles in (("handler_a", [Role.APPLICATION_HANDLER]),
                             ("handler_b", [Role.APPLICATION_HANDLER]),
                             ("leader", [Role.LEADER]))])
    people = {g.pk: {"sections": sections[g.pk], "handlers": users[3 * i:3 * i + 2],
                     "leader": users[3 * i + 2]} for i, g in enumerate(agencies)}
    Section.leaders.through.objects.bulk_create(
        [Section.leaders.through(section_id=s.pk, user_id=people[g.pk]["leader"].pk)
         for g in agencies for s in people[g.pk]["sections"]])
    written = len(users) + sum(offices is None or code != "office" for code, _n in SECTIONS) \
        * len(agencies)
    return people, written


def applications(*, agencies, people, count: int, today: dt.date, seed: int, steps,
                 large_agencies: int = 1, large_share: float = 0.05, fees_paid: float = 0.0,
                 cases: float = 0.0) -> None:
    """The register (see the module docstring), in `steps` ("applications", "clock
    events", "cases")."""
    from applications.fees import compute_fee
    from applications.models import Application, Case, ClockEvent

    rng, more = random.Random(seed), random.Random(seed + 1_000_003)
    clocks = Clocks(today)
    a, k = len(agencies), large_agencies
    large = round(count * large_share)
    owners = [agencies[i % k] for i in range(large)] + [agencies[k + i % (a - k)]
                                                        for i in range(count - large)]
    statuses = rng.choices([s for s, _w in STATUSES], [w for _s, w in STATUSES], k=count)
    outcomes = [o for o, _w in OUTCOMES]
    outcome_weights = [w for _o, w in OUTCOMES]
    fee = compute_fee("per_page", 150).to_data()
    rows, events, disputed = [], [], []
    for n, (agency, status) in enumerate(zip(owners, statuses, strict=True)):
        org = people[agency.pk]
        facts, extra = [], {}
        if status == "pending_confirmation":
            received = None
        elif status in ("replied", "closed"):
            received = today - dt.timedelta(days=rng.randint(40, 730))
        elif status in ("received", "reply_pending_approval"):
            # up to ~5 weeks back: most on time, some overdue, some due within 5 days, and
            # one in twenty extended (near a year's end: past the holiday table)
            received = today - dt.timedelta(days=rng.randint(0, 33))
            if rng.random() < 0.05:
                extra["extended"] = True
        else:
            received = clocks.working_days_before(today, rng.randint(3, 12))
        if received is not None:
            facts.append(("received", received, {}))
        if extra.pop("extended", False):
            facts.append(("extended", min(received + dt.timedelta(days=10), today),
                          {"days": 20, "reason": "需调取档案"}))
        if status == "awaiting_correction":
            facts.append(("correction_requested",
                          clocks.working_days_before(today, rng.randint(0, 2)),
                          {"items": "请写明所需信息的年份", "period_days": 15}))
        elif status == "consulting_third_party":
            # one in ten unanswered past its 15 working days: the sweep recomputes it
            back = rng.randint(17, 25) if rng.random() < 0.1 else rng.randint(0, 2)
            facts = [("received", clocks.working_days_before(today, back + 3), {}),
                     ("consultation_sent", clocks.working_days_before(today, back),
                      {"third_party": "某公司"})]
        elif status == "awaiting_fee":
            facts.append(("fee_notice", clocks.working_days_before(today, rng.randint(0, 2)),
                          {"fee": fee, "period_days": 20}))
        elif status == "replied":
            extra["outcome"] = rng.choices(outcomes, outcome_weights)[0]
            extra["replied_on"] = received + dt.timedelta(days=rng.randint(3, 30))
            if fees_paid and more.random() < fees_paid:
                paid_on = received + dt.timedelta(days=4)
                facts += [("fee_notice", received + dt.timedelta(days=1),
                           {"fee": fee, "period_days": 20}), ("fee_paid", paid_on, {})]
                extra["replied_on"] = max(extra["replied_on"], paid_on + dt.timedelta(days=1))
            facts.append(("replied", extra["replied_on"], {"outcome": extra["outcome"]}))
            if cases and more.random() < cases:
                disputed.append(n)
        elif status == "closed":
            extra["outcome"], extra["closed_on"] = "other", received + dt.timedelta(days=5)
            facts.append(("closed", extra["closed_on"], {"reason": "申请人撤回"}))
        # the stored clock as the services would leave it; a consultation past its limit
        # as it was when last written (on the day it was sent)
        if status == "consulting_third_party":
            stored = {"deadline": None, "deadline_beyond_known": False,
                      "clock_stopped_by": "consultation"}
        elif facts:
            c = clocks.of(facts)
            stored = {"deadline": c.deadline, "deadline_beyond_known": c.beyond_known,
                      "clock_stopped_by": c.stopped_by, "extended": c.extended}
        else:
            stored = {}
        handler = None if status == "pending_confirmation" or rng.random() < 0.03 else \
            org["handlers"][n % 2]
        # a third in the construction section
        section = (None if status == "pending_confirmation"
                   else org["sections"][1 if n % 3 == 0 else 0])
        rows.append(Application(
            agency=agency, tracking_code=f"YSQ-B{n:08d}", status=status,
            received_via=rng.choice(["in_person", "post", "online", "email"]),
            received_on=facts[0][1] if facts else None, applicant_type=rng.choices(
                ["natural_person", "commercial", "research", "legal_service", "other"],
                [70, 15, 5, 7, 3])[0],
            applicant_name=f"申请人{n}", applicant_id_number=f"41082519880512{n % 10000:04d}",
            contact_phone=f"139{n:08d}", contact_address="河南省焦作市温县温泉街道人民路 88 号",
            content=f"关于第 {n} 号项目的审批材料和验收资料", section=section, handler=handler,
            **stored, **extra))
        events.append(facts)

    def write_applications():
        Application.objects.bulk_create(rows, batch_size=5000)
        return len(rows)

    def write_clock_events():
        made = [ClockEvent(application_id=row.pk, kind=kind, on=on, data=data)
                for row, facts in zip(rows, events, strict=True) for kind, on, data in facts]
        ClockEvent.objects.bulk_create(made, batch_size=5000)
        return len(made)

    def write_cases():
        made = []
        for n in disputed:
            row = rows[n]
            filed = min(row.replied_on + dt.timedelta(days=more.randint(10, 60)), today)
            result = more.choices([r for r, _w in CASE_RESULTS], [w for _r, w in CASE_RESULTS])[0]
            kind = more.choices([c for c, _w in CASE_KINDS], [w for _c, w in CASE_KINDS])[0]
            made.append(Case(
                agency=row.agency, kind=kind, application_id=row.pk, filed_on=filed,
                body="温县人民政府" if kind == "reconsideration" else "温县人民法院",
                result=result, decided_on=None if result == "pending" else min(
                    filed + dt.timedelta(days=60), today),
                created_by=people[row.agency.pk]["handlers"][0]))
        Case.objects.bulk_create(made, batch_size=5000)
        return len(made)

    steps("applications", write_applications)
    steps("clock events", write_clock_events)
    if cases:
        steps("cases", write_cases)


def counts(today: dt.date) -> dict:
    """What the register holds: applications, clock events, open, overdue, stopped, past
    the holiday table, by status."""
    from applications.models import OPEN_STATUSES, Application, ClockEvent
    from applications.selectors import overdue_filter

    open_ = Application.objects.filter(status__in=OPEN_STATUSES)
    return {
        "applications": Application.objects.count(), "clock_events": ClockEvent.objects.count(),
        "open": open_.count(), "overdue": overdue_filter(open_, on=today).count(),
        "stopped": open_.exclude(clock_stopped_by="").count(),
        "beyond_known": open_.filter(deadline_beyond_known=True).count(),
        "by_status": dict(sorted(
            (s, Application.objects.filter(status=s).count()) for s, _w in STATUSES)),
    }
