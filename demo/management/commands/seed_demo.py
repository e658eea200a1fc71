"""Create the demo agency 温县住房和城乡建设局 with its people, channels and items, and its
applications for disclosure (依申请公开) in every status with two or three cases; above it the
county government 温县人民政府, whose supervisor follows the annual reports of its two
departments (the housing bureau and 温县档案馆, a small agency with no report yet).

Idempotent: a second run finds everything in place and changes nothing. Items and
applications are each created once, when the agency has none (so a database seeded before
applications existed gets them on the next run).
"""

import datetime as dt
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from agencies.models import Agency, Channel, ChannelKind, Role, Section, User
from applications import services as applications
from applications.models import Application
from demo import channels as demo_channels
from publications.models import Category, Publication
from publications.services import create_publication
from scanning.models import PublicNumber, SensitiveWordList
from workdays.calendar import WorkingCalendar
from workflow import services as review
from workflow.selectors import actionable_tasks

AGENCY = ("wenxian_housing", "温县住房和城乡建设局")
SECTIONS = [("office", "办公室"), ("construction", "建筑业管理股")]
CATEGORIES = [("work_updates", "工作动态"), ("policy_documents", "政策文件"),
              ("licensing", "行政许可"), ("penalties", "行政处罚")]
# code, name, kind, order; the disclosure column first and preselected. The WeChat and
# webhook channels are configured for the loopback servers of `manage.py demo_channels`.
CHANNELS = [
    ("website", "政府信息公开专栏", ChannelKind.SITE, 0),
    ("wechat", "微信公众号", ChannelKind.WECHAT, 10),
    ("wenxian_fabu", "温县发布", ChannelKind.WEBHOOK, 20),
    ("yunshang_wenxian", "云上温县", ChannelKind.WEBHOOK, 21),
    ("jiaozuo_daily", "焦作日报", ChannelKind.MANUAL, 30),
    ("henan_daily", "河南日报", ChannelKind.MANUAL, 31),
    ("china_construction", "中华建设杂志", ChannelKind.MANUAL, 32),
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
    # the registrar and handler of applications for disclosure; `leader` covers the office
    # and so approves this person's replies and extensions
    ("handler_office", "刘洋（依申请公开承办人）", [Role.APPLICATION_HANDLER], "office", [], []),
    # edits and finalises the annual report (年度报告); so may `admin`
    ("report_editor", "赵静（年度报告编辑）", [Role.REPORT_EDITOR], "office", [], []),
]
# The county government above the housing bureau, its second (small) department, and the
# county's supervisor of the departments' annual reports (年度报告汇总).
PARENT = ("wenxian_gov", "温县人民政府")
SMALL_CHILD = ("wenxian_archives", "温县档案馆")
SUPERVISOR = ("county_supervisor", "马丽（县政府办公室政务公开科）", [Role.AUDITOR])
# The platform operator: a superuser in no agency (agencies, the holiday calendar, who is
# staff or superuser). Not one of the agency's people.
OPERATOR = ("operator", "平台运维")


class Command(BaseCommand):
    help = "Seed the demo agency wenxian_housing under its county government (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="password for every demo user "
                            "(default: a generated one per user, printed once)")

    def handle(self, *args, password=None, **options):
        with transaction.atomic():
            agency, sections, created = self._organisation(password)
            changed = False
            if not Publication.objects.filter(agency=agency).exists():
                self._items(agency)
                self.stdout.write("Demo items created.")
                changed = True
            if not Application.objects.filter(agency=agency).exists():
                self._applications(agency)
                self.stdout.write("Demo applications and cases created.")
                changed = True
            if not changed:
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
        people = {u.username: u for u in User.objects.filter(
            agency__in=[agency, agency.parent_id] if agency.parent_id else [agency])}
        operator = User.objects.filter(username=OPERATOR[0], agency=None,
                                       is_superuser=True).first()
        if operator is not None:
            people[operator.username] = operator
        working = {name: pw for name, pw in known.items()
                   if name in people and people[name].check_password(pw)}
        logins_file.write_text("".join(f"{u}\t{p}\n" for u, p in working.items()))
        logins_file.chmod(0o600)
        self.stdout.write("Demo logins (username / password):")
        for username in [p[0] for p in PEOPLE] + [SUPERVISOR[0], OPERATOR[0]]:
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
        if agency.report_section_id is None:  # the annual report is reviewed by the office
            agency.report_section = sections["office"]
            agency.save(update_fields=["report_section"])
        for code, name in CATEGORIES:
            Category.objects.get_or_create(agency=agency, code=code, defaults={"name": name})
        for code, name, kind, order in CHANNELS:
            channel, _ = Channel.objects.get_or_create(agency=agency, code=code, defaults={
                "name": name, "kind": kind, "order": order,
                "is_default": kind == ChannelKind.SITE})
            if not channel.config and kind in (ChannelKind.WECHAT, ChannelKind.WEBHOOK):
                # the loopback servers of `manage.py demo_channels` (started by `make run`)
                channel.config = (demo_channels.wechat_config() if kind == ChannelKind.WECHAT
                                  else demo_channels.webhook_config(code))
                channel.save(update_fields=["config"])
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
        self._county(agency, password, created)
        if not User.objects.filter(username=OPERATOR[0]).exists():
            pw = password or secrets.token_urlsafe(9)
            operator = User(username=OPERATOR[0], display_name=OPERATOR[1], agency=None,
                            is_staff=True, is_superuser=True)
            operator.set_password(pw)
            operator.save()
            created[OPERATOR[0]] = pw
        return agency, sections, created

    def _county(self, agency, password, created):
        """The county government above the housing bureau (set only while the bureau has no
        parent: the operator may have placed it elsewhere), a second department, and the
        county's supervisor."""
        parent, _ = Agency.objects.get_or_create(code=PARENT[0], defaults={"name": PARENT[1]})
        if agency.parent_id is None:
            agency.parent = parent
            agency.save(update_fields=["parent"])
        small, new = Agency.objects.get_or_create(
            code=SMALL_CHILD[0], defaults={"name": SMALL_CHILD[1], "parent": parent})
        if new:
            office = Section.objects.create(agency=small, code="office", name="办公室")
            small.report_section = office
            small.save(update_fields=["report_section"])
            Channel.objects.create(agency=small, code="website", name="政府信息公开专栏",
                                   kind=ChannelKind.SITE, order=0, is_default=True)
        username, display, roles = SUPERVISOR
        if not User.objects.filter(username=username).exists():
            pw = password or secrets.token_urlsafe(9)
            user = User(username=username, display_name=display, agency=parent,
                        roles=[str(r) for r in roles])
            user.set_password(pw)
            user.save()
            created[username] = pw

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

    def _applications(self, agency):
        """Applications in every status, dated back from today (the services refuse dates in
        the future), and the reconsideration and litigation cases about them."""
        people = {u.username: u for u in User.objects.filter(agency=agency)}
        handler, leader, admin = people["handler_office"], people["leader"], people["admin"]
        calendar, today = WorkingCalendar(), applications.today()

        def back(n):
            """The n-th working day before today."""
            day, counted = today, 0
            while counted < n:
                day -= dt.timedelta(days=1)
                counted += calendar.is_working_day(day)
            return day

        def register(received_on, applicant, content, *, section="office", via="in_person",
                     **extra):
            return applications.register_application(user=handler, data={
                "received_on": received_on, "received_via": via, "section": section,
                "handler": handler.username, "content": content, **APPLICANTS[applicant],
                **extra})

        def reply(application, outcome, text, basis, **extra):
            applications.draft_reply(user=handler, application_id=application.pk,
                                     outcome=outcome, basis=basis, text=text, **extra)
            applications.approve_reply(user=leader, application_id=application.pk,
                                       comment="同意。")

        applications.submit_online_application(agency=agency, data={
            **APPLICANTS["li"], "content": "黄庄镇棚户区改造项目的征收补偿安置方案及补偿标准",
            "delivery_form": "electronic", "delivery_method": "email"})
        register(back(3), "zhang", "2024 年以来本县保障性租赁住房的分配名单及分配依据")
        extended = register(back(12), "firm", "本公司参与投标的温县第二中学教学楼项目的评标报告",
                            section="construction", via="post")
        applications.extend(user=leader, application_id=extended.pk, notice_on=back(2),
                            reason="所需信息涉及招标代理机构保存的档案，需调取核查")
        correction = register(back(4), "wang", "关于我家房屋的那个文件", via="post")
        applications.request_correction(user=handler, application_id=correction.pk,
                                        notice_on=back(2),
                                        items="请写明所需文件的名称、文号或形成时间，以及房屋所在位置")
        consulting = register(back(8), "lawyer", "温县某小区项目建设工程施工许可证及其申请材料",
                              section="construction", via="email")
        applications.consult_third_party(user=handler, application_id=consulting.pk,
                                         sent_on=back(3), third_party="温县某建筑工程有限公司")
        fee = register(back(6), "institute", "2020—2024 年本县全部建筑工程竣工验收备案表",
                       section="construction", via="post")
        applications.send_fee_notice(user=handler, application_id=fee.pk, notice_on=back(2),
                                     method="per_page", quantity=260)
        pending = register(back(10), "zhang", "温县住建局 2023 年度部门预算及“三公”经费支出情况")
        applications.draft_reply(user=handler, application_id=pending.pk, outcome="disclosed",
                                 basis="《中华人民共和国政府信息公开条例》第三十六条第（二）项",
                                 text="您申请的信息属于公开范围，现将 2023 年度部门预算表及说明"
                                      "提供给您。")
        reply(register(back(15), "zhang", "本县 2023 年城镇老旧小区改造项目清单"), "disclosed",
              "经查，您申请的信息予以公开，项目清单见附件。",
              "《中华人民共和国政府信息公开条例》第三十六条第（二）项")
        reply(register(back(12), "lawyer", "某商品房项目的预售许可审批材料",
                       section="construction"),
              "partly_disclosed",
              "预售许可证及审批意见予以公开；申请材料中开发企业股东的个人身份信息不予公开。",
              "《中华人民共和国政府信息公开条例》第十五条、第三十七条")
        not_held = register(back(9), "firm", "温县 2024 年国有建设用地供应计划")
        reply(not_held, "unable_not_held",
              "经查，您申请的信息不属于本机关负责公开，请向温县自然资源局申请。",
              "《中华人民共和国政府信息公开条例》第三十六条第（五）项",
              competent_agency="温县自然资源局（联系电话 0391-6171234）")
        silent = register(back(30), "wang", "我们村的那个项目的材料", via="post")
        applications.request_correction(user=handler, application_id=silent.pk,
                                        notice_on=back(28), items="请写明项目名称和所需材料的内容")
        reply(silent, "other_no_correction",
              "您未在补正期限内补正申请内容，本机关不再处理该政府信息公开申请。",
              "《中华人民共和国政府信息公开条例》第三十条")
        withdrawn = register(back(5), "li", "本人住房公积金贷款的审批记录")
        applications.withdraw(user=handler, application_id=withdrawn.pk, on=back(1),
                              reason="申请人来电表示已通过公积金中心获取，书面撤回申请")
        register(back(25), "institute", "2023 年本县建筑施工安全事故统计及处理结果",
                 section="construction")  # overdue: nobody replied in time
        self._unknown_deadline(register, leader, calendar, today)

        applications.file_case(user=handler, data={
            "kind": "reconsideration", "application": not_held.pk, "filed_on": today,
            "body": "温县人民政府", "note": "申请人认为该信息应由本机关公开"})
        decided = applications.file_case(user=handler, data={
            "kind": "litigation_direct", "filed_on": today - dt.timedelta(days=90),
            "body": "温县人民法院", "note": "申请人诉本机关未在法定期限内答复"})
        applications.update_case(user=admin, case_id=decided.pk, data={
            "result": "upheld", "decided_on": today - dt.timedelta(days=20)})
        applications.file_case(user=admin, data={
            "kind": "litigation_after_reconsideration",
            "filed_on": today - dt.timedelta(days=40), "body": "焦作市中级人民法院"})

    def _unknown_deadline(self, register, leader, calendar, today):
        """An application whose deadline runs past the holiday table: received today, and
        extended if 20 working days do not reach past it; none when the table reaches
        further than 40 working days."""
        if not calendar.add_working_days(today, 40).beyond_known_data:
            self.stdout.write("The holiday table reaches past every deadline of an application "
                              "received today: no demo application with an unknown deadline.")
            return
        application = register(today, "zhang", "2025 年以来本县住宅专项维修资金使用情况",
                               via="online")
        if not application.deadline_beyond_known:
            applications.extend(user=leader, application_id=application.pk, notice_on=today,
                                reason="所需信息需从多个小区的维修资金台账中汇总")


# Made-up applicants (the names, numbers and addresses are fictitious)
APPLICANTS = {
    "zhang": {"applicant_type": "natural_person", "applicant_name": "张伟",
              "applicant_id_number": "410825198805126012", "contact_phone": "13903911234",
              "contact_address": "河南省焦作市温县温泉街道黄河路 18 号",
              "contact_email": "zhangwei@example.com"},
    "li": {"applicant_type": "natural_person", "applicant_name": "李娜",
           "applicant_id_number": "410825199211033027", "contact_phone": "13598765432",
           "contact_address": "河南省焦作市温县黄庄镇东街村", "contact_email": "lina@example.com"},
    "wang": {"applicant_type": "natural_person", "applicant_name": "王建国",
             "contact_phone": "15837261234", "contact_address": "河南省焦作市温县祥云镇西王村"},
    "firm": {"applicant_type": "commercial", "applicant_name": "温县某建设工程有限公司",
             "contact_phone": "0391-6123456", "contact_address": "河南省焦作市温县子夏大街 66 号"},
    "lawyer": {"applicant_type": "legal_service", "applicant_name": "河南某律师事务所",
               "contact_phone": "0371-65551234", "contact_address": "河南省郑州市金水区农业路 1 号",
               "contact_email": "office@example.com"},
    "institute": {"applicant_type": "research", "applicant_name": "某大学城乡规划研究院",
                  "contact_phone": "0371-63331234", "contact_email": "research@example.com"},
}
