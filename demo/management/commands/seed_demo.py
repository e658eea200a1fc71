"""Create the demo agency 温县住房和城乡建设局 with its people, channels and items.

Idempotent: a second run finds everything in place and changes nothing.
"""

import datetime as dt
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from agencies.models import Agency, Channel, ChannelKind, Role, Section, User
from publications.models import Category, Publication
from publications.services import create_publication
from scanning.models import PublicNumber, SensitiveWordList
from workflow import services as review
from workflow.selectors import actionable_tasks

AGENCY = ("wenxian_housing", "温县住房和城乡建设局")
SECTIONS = [("office", "办公室"), ("construction", "建筑业管理股")]
CATEGORIES = [("work_updates", "工作动态"), ("policy_documents", "政策文件"),
              ("licensing", "行政许可"), ("penalties", "行政处罚")]
CHANNELS = [
    ("website", "政府信息公开专栏", ChannelKind.SITE),
    ("wechat", "微信公众号", ChannelKind.WECHAT),
    ("wenxian_fabu", "温县发布", ChannelKind.WEBHOOK),
    ("yunshang_wenxian", "云上温县", ChannelKind.WEBHOOK),
    ("jiaozuo_daily", "焦作日报", ChannelKind.MANUAL),
    ("henan_daily", "河南日报", ChannelKind.MANUAL),
    ("china_construction", "中华建设杂志", ChannelKind.MANUAL),
]
WORD_LISTS = [
    ("涉密与内部事项", "blocking", "内部讨论稿\n征求意见稿（内部）\n未经批准不得公开\n领导批示件"),
    ("需斟酌用语", "warning", "群体性事件\n上访人员\n强制拆除"),
]
OFFICE_PHONE = "0391-6172345"
# username, display name, roles, home section, headed sections, covered sections
PEOPLE = [
    ("drafter_office", "王敏（办公室经办人）", [Role.DRAFTER], "office", [], []),
    ("head_office", "李强（办公室主任）", [Role.SECTION_HEAD], "office", ["office"], []),
    ("drafter_construction", "赵磊（建筑业管理股经办人）", [Role.DRAFTER], "construction", [], []),
    ("head_construction", "陈静（建筑业管理股股长）", [Role.SECTION_HEAD], "construction",
     ["construction"], []),
    ("secrecy", "孙涛（保密审查员）", [Role.SECRECY_REVIEWER], "office", [], []),
    ("leader", "周红（分管副局长）", [Role.LEADER], None, [], ["office", "construction"]),
    ("publisher", "吴芳（信息发布员）", [Role.PUBLISHER], "office", [], []),
    ("auditor", "郑伟（纪检监督）", [Role.AUDITOR], None, [], []),
    ("admin", "系统管理员", [Role.AGENCY_ADMIN], None, [], []),
]
# The platform operator: a superuser in no agency (agencies, the holiday calendar, who is
# staff or superuser). Not one of the agency's people.
OPERATOR = ("operator", "平台运维")


class Command(BaseCommand):
    help = "Seed the demo agency wenxian_housing (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="password for every demo user "
                            "(default: a generated one per user, printed once)")

    def handle(self, *args, password=None, **options):
        with transaction.atomic():
            agency, sections, created = self._organisation(password)
            if not Publication.objects.filter(agency=agency).exists():
                self._items(agency)
                self.stdout.write("Demo items created.")
            else:
                self.stdout.write("Demo agency already seeded; nothing changed.")
        self._print_logins(agency, created)

    def _print_logins(self, agency, created: dict):
        """Print only logins that work now; keep generated ones in var/ for `make run`."""
        logins_file = settings.VAR_DIR / "demo-logins.txt"
        known = {}
        if logins_file.exists():
            for line in logins_file.read_text().splitlines():
                username, _, pw = line.partition("\t")
                known[username] = pw
        known.update(created)
        people = {u.username: u for u in User.objects.filter(agency=agency)}
        operator = User.objects.filter(username=OPERATOR[0], agency=None,
                                       is_superuser=True).first()
        if operator is not None:
            people[operator.username] = operator
        working = {name: pw for name, pw in known.items()
                   if name in people and people[name].check_password(pw)}
        logins_file.write_text("".join(f"{u}\t{p}\n" for u, p in working.items()))
        logins_file.chmod(0o600)
        self.stdout.write("Demo logins (username / password):")
        for username in [p[0] for p in PEOPLE] + [OPERATOR[0]]:
            if username in working:
                self.stdout.write(f"  {username:<22} {working[username]}")
            elif username in people:
                self.stdout.write(f"  {username:<22} (existing user, password unchanged)")
            else:
                self.stderr.write(f"  {username:<22} exists in another agency; not a demo login")

    def _organisation(self, password):
        agency, _ = Agency.objects.get_or_create(code=AGENCY[0], defaults={"name": AGENCY[1]})
        sections = {}
        for code, name in SECTIONS:
            sections[code], _ = Section.objects.get_or_create(
                agency=agency, code=code, defaults={"name": name})
        for code, name in CATEGORIES:
            Category.objects.get_or_create(agency=agency, code=code, defaults={"name": name})
        for code, name, kind in CHANNELS:
            Channel.objects.get_or_create(agency=agency, code=code,
                                          defaults={"name": name, "kind": kind})
        for name, severity, words in WORD_LISTS:
            SensitiveWordList.objects.get_or_create(
                agency=agency, name=name, defaults={"severity": severity, "words": words})
        PublicNumber.objects.get_or_create(agency=agency, number=OFFICE_PHONE,
                                           defaults={"label": "办公室对外电话"})
        created = {}
        for username, display, roles, home, headed, covered in PEOPLE:
            user = User.objects.filter(username=username).first()
            if user is not None:
                continue
            pw = password or secrets.token_urlsafe(9)
            # The agency admin reaches the admin pages of their agency by role: staff,
            # never a superuser.
            user = User(username=username, display_name=display, agency=agency,
                        section=sections.get(home), roles=[str(r) for r in roles],
                        is_staff=Role.AGENCY_ADMIN in roles)
            user.set_password(pw)
            user.save()
            for code in headed:
                sections[code].heads.add(user)
            for code in covered:
                sections[code].leaders.add(user)
            created[username] = pw
        # Databases seeded before the operator existed made the agency admin a superuser.
        if User.objects.filter(username="admin", agency=agency, is_superuser=True).update(
                is_superuser=False):
            self.stdout.write("The demo agency admin is no longer a superuser; "
                              f"the platform operator is `{OPERATOR[0]}`.")
        if not User.objects.filter(username=OPERATOR[0]).exists():
            pw = password or secrets.token_urlsafe(9)
            operator = User(username=OPERATOR[0], display_name=OPERATOR[1], agency=None,
                            is_staff=True, is_superuser=True)
            operator.set_password(pw)
            operator.save()
            created[OPERATOR[0]] = pw
        return agency, sections, created

    def _items(self, agency):
        people = {u.username: u for u in User.objects.filter(agency=agency)}
        office, construction = people["drafter_office"], people["drafter_construction"]
        formed = dt.date.today() - dt.timedelta(days=3)

        def item(drafter, section, title, category="work_updates", channels=("website",),
                 **extra):
            return create_publication(user=drafter, data={
                "title": title, "section": section, "category": category,
                "channels": list(channels), "formed_on": formed,
                "body": f"<p>{title}。</p><p>特此公告。</p>", **extra})

        def advance(publication, *reviewers, last=None):
            review.submit_publication(user=publication.drafter, publication_id=publication.pk)
            for username in reviewers:
                task = actionable_tasks(user=people[username]).get(
                    process__reviewprocess__publication=publication)
                if last and username == reviewers[-1]:
                    last(people[username], task)
                else:
                    review.approve_task(user=people[username], task_id=task.pk, comment="同意。")

        item(office, "office", "温县住建局2024年第一季度工作动态（草稿）")
        advance(item(office, "office", "关于开展建筑施工安全大检查的通知"))
        advance(item(construction, "construction", "温县建筑业企业资质审批结果公示",
                     category="licensing", article20_item=5, decision_type="licensing",
                     decision_count=3, channels=("website", "wechat")), "head_construction")
        advance(item(office, "office", "温县住房和城乡建设局行政规范性文件目录",
                     category="policy_documents", article20_item=1,
                     document_type="normative_document", document_number="温建〔2024〕3号",
                     channels=("website", "wechat", "henan_daily")),
                "head_office", "secrecy")
        advance(item(construction, "construction", "温县某建筑公司行政处罚决定书",
                     category="penalties", article20_item=6, decision_type="penalty"),
                "head_construction",
                last=lambda user, task: review.reject_task(
                    user=user, task_id=task.pk, comment="请删除当事人身份证号码后重新提交。"))
        advance(item(office, "office", "住建局内部会议纪要（征求意见稿）"),
                "head_office", "secrecy",
                last=lambda user, task: review.withhold_task(
                    user=user, task_id=task.pk, basis="process_information",
                    comment="属于过程性信息，不予公开。"))
        withdrawn = item(office, "office", "关于调整办公时间的通知（已撤回）")
        review.withdraw_publication(user=office, publication_id=withdrawn.pk)
        advance(item(office, "office", "温县住建局2023年政府信息公开工作年度报告",
                     article20_item=15, channels=("website", "wechat", "wenxian_fabu")),
                "head_office", "secrecy", "leader")
        advance(item(construction, "construction", "温县建设工程施工许可证核发结果",
                     category="licensing", article20_item=5, decision_type="licensing",
                     decision_count=2, channels=("website", "jiaozuo_daily")),
                "head_construction", "secrecy", "leader")
