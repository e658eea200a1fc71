"""Items driven through the service layer, as people would: create, submit, approve by
every tier (the final approval creates the releases), each call with a freshly loaded
user. Used to measure the pipeline, and to build the templates that lib.data copies.
"""

ACTIONS = ("create", "submit", "approve section_head", "approve secrecy",
           "approve leadership+release")
APPROVE_ACTIONS = ACTIONS[2:]
SCAN_JOB = "background pre-scan job"


class Pipeline:
    """Drives items through the service layer with a freshly loaded user per call."""

    def __init__(self, org):
        self.org = org

    def user(self, username):
        # a fresh instance per call, as a request would have: nothing cached from before
        from agencies.models import User

        return User.objects.get(pk=self.org[username].pk)

    @staticmethod
    def reviewers(i, section):
        """Spread the work over several people, as an agency would."""
        alt = (i // 2) % 2
        if section == "office":
            head = ("head_office", "head_office_2")[alt]
            leader = "leader"
        else:
            head = "head_construction"
            leader = ("leader", "leader_construction")[alt]
        return head, ("secrecy", "secrecy_2")[alt], leader

    @staticmethod
    def open_task_id(process_id):
        from viewflow.workflow.models import Task

        from workflow.models import OPEN_TASK_STATES

        return (Task.objects.filter(process_id=process_id, status__in=OPEN_TASK_STATES)
                .values_list("pk", flat=True).get())

    def run_item(self, i, *, actions=None, upto=3, tag="bench", keep_sample=False, **data):
        """create, submit, then approve `upto` tiers (3: fully approved, releases created)."""
        from publications.services import create_publication
        from scanning.services import scan_if_missing
        from testsupport.factories import item_data
        from workflow import services as review

        section = ("office", "construction")[i % 2]
        drafter = f"drafter_{section}"
        reviewers = self.reviewers(i, section)
        data = item_data(section=section, title=f"关于开展建筑施工安全大检查的通知（{tag} {i}）",
                         article20_item=1 + i % 15, **data)

        def call(action, fn):
            if actions is None:
                return fn()
            return actions.call(action, fn, keep_sample=keep_sample)

        user = self.user(drafter)
        publication = call("create", lambda: create_publication(user=user, data=data))
        user = self.user(drafter)
        process = call("submit", lambda: review.submit_publication(
            user=user, publication_id=publication.pk))
        for tier in range(upto):
            task_id = self.open_task_id(process.pk)
            reviewer = self.user(reviewers[tier])
            call(APPROVE_ACTIONS[tier], lambda reviewer=reviewer, task_id=task_id:
                 review.approve_task(user=reviewer, task_id=task_id, comment="同意"))
            if tier == 0:
                # what a worker does when the item enters the confidentiality review
                # (the broker here is an in-memory queue nobody consumes)
                call(SCAN_JOB, lambda: scan_if_missing(publication.pk))
        if actions is not None and upto == 3:
            actions.units += 1
        return publication, process


def approved_with_pending_releases(org, n, *, tag, channels):
    """n fully approved items whose releases wait for delivery: one through the services,
    n - 1 copies of it (lib.data). Returns the release ids, the template's first.

    Final approval dispatches delivery after commit: the caller keeps that from reaching a
    worker (an unconsumed queue, or a purge before workers start), so all stay pending.
    """
    from releases.models import Release, ReleaseStatus

    from .data import ItemCopier

    publication, _process = Pipeline(org).run_item(0, tag=tag, channels=list(channels))
    if n > 1:
        ItemCopier(org.agency, [publication.pk]).copy(n - 1, f"approved items ({tag})")
    return list(Release.objects.filter(publication__agency=org.agency,
                                       channel__code__in=channels, status=ReleaseStatus.PENDING)
                .order_by("pk").values_list("pk", flat=True))


WEBHOOK_CHANNEL = "bench_hook"


def webhook_agency(code, receiver):
    """An agency with every role (testsupport.factories.make_org) and one webhook channel
    to `receiver`. Returns (org, channel)."""
    from agencies.models import Channel, ChannelKind
    from testsupport.factories import make_org

    org = make_org(code=code, prefix=f"{code}_")
    channel = Channel.objects.create(agency=org.agency, code=WEBHOOK_CHANNEL,
                                     name="温县发布（压测）", kind=ChannelKind.WEBHOOK,
                                     config={"url": receiver.url, "secret": receiver.secret})
    return org, channel
