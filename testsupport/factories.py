"""Building blocks for tests: an agency with every role, and items at any stage."""

import datetime as dt
from dataclasses import dataclass, field

from rest_framework.test import APIClient

from agencies.models import Agency, Channel, ChannelKind, Role, Section, User
from publications.models import Category
from publications.services import create_publication
from workflow import services as review
from workflow.selectors import actionable_tasks

PASSWORD = "test-pass-123"
#: A complete WeChat configuration whose API is a closed port on this machine.
UNREACHABLE_WECHAT = {"appid": "wx-test-appid", "secret": "test-wechat-secret",
                      "base_url": "http://127.0.0.1:9"}
_PASSWORD_HASH = None


def _password_hash() -> str:
    """Hash once per test run: PBKDF2 for every user of every test is seconds wasted."""
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        from django.contrib.auth.hashers import make_password

        _PASSWORD_HASH = make_password(PASSWORD)
    return _PASSWORD_HASH


@dataclass
class Org:
    agency: Agency
    sections: dict
    users: dict = field(default_factory=dict)

    def __getitem__(self, username) -> User:
        return self.users[username]


def make_user(agency, username, roles, section=None, *, headed=(), covered=(), **extra):
    user = User(username=username, agency=agency, section=section,
                roles=[str(r) for r in roles], **extra)
    user.password = _password_hash()
    user.save()
    for s in headed:
        s.heads.add(user)
    for s in covered:
        s.leaders.add(user)
    return user


def make_org(code="test_agency", prefix="") -> Org:
    agency = Agency.objects.create(code=code, name=f"测试机关 {code}")
    office = Section.objects.create(agency=agency, code="office", name="办公室")
    construction = Section.objects.create(agency=agency, code="construction", name="建筑业管理股")
    for c, name in [("work_updates", "工作动态"), ("licensing", "行政许可")]:
        Category.objects.create(agency=agency, code=c, name=name)
    # the disclosure column first and preselected, as agencies set it up; the WeChat
    # account is configured but points at a closed local port (nothing leaves the machine:
    # a delivery there is refused at once and retried later)
    for c, name, kind, extra in [
            ("website", "公开专栏", ChannelKind.SITE, {"order": 0, "is_default": True}),
            ("wechat", "微信公众号", ChannelKind.WECHAT,
             {"order": 10, "config": dict(UNREACHABLE_WECHAT)}),
            ("jiaozuo_daily", "焦作日报", ChannelKind.MANUAL, {"order": 20})]:
        Channel.objects.create(agency=agency, code=c, name=name, kind=kind, **extra)
    org = Org(agency=agency, sections={"office": office, "construction": construction})
    p = prefix
    specs = [
        ("drafter_office", [Role.DRAFTER], office, {}),
        ("drafter_construction", [Role.DRAFTER], construction, {}),
        ("head_office", [Role.SECTION_HEAD], office, {"headed": [office]}),
        ("head_office_2", [Role.SECTION_HEAD], office, {"headed": [office]}),
        ("head_construction", [Role.SECTION_HEAD], construction, {"headed": [construction]}),
        ("secrecy", [Role.SECRECY_REVIEWER], office, {}),
        ("secrecy_2", [Role.SECRECY_REVIEWER], office, {}),
        ("leader", [Role.LEADER], None, {"covered": [office, construction]}),
        ("leader_construction", [Role.LEADER], None, {"covered": [construction]}),
        ("publisher", [Role.PUBLISHER], office, {}),
        ("auditor", [Role.AUDITOR], None, {}),
        ("admin", [Role.AGENCY_ADMIN], None, {}),
        # one person who both drafts and heads the office: may never review own items
        ("drafting_head", [Role.DRAFTER, Role.SECTION_HEAD], office, {"headed": [office]}),
    ]
    for username, roles, section, kw in specs:
        org.users[username] = make_user(agency, p + username, roles, section, **kw)
    return org


def item_data(**overrides) -> dict:
    data = {
        "title": "关于开展建筑施工安全大检查的通知",
        "body": "<p>各建筑施工企业：</p><p>现将有关事项通知如下。</p>",
        "section": "office",
        "category": "work_updates",
        "article20_item": 12,
        "channels": ["website", "wechat"],
        "formed_on": dt.date(2024, 3, 1),
    }
    data.update(overrides)
    return data


def create_item(org, drafter="drafter_office", **overrides):
    section = org[drafter].section.code
    return create_publication(user=org[drafter], data=item_data(section=section, **overrides))


def task_for(user, publication):
    return actionable_tasks(user=user).get(process__reviewprocess__publication=publication)


def submitted_item(org, drafter="drafter_office", **overrides):
    publication = create_item(org, drafter, **overrides)
    review.submit_publication(user=org[drafter], publication_id=publication.pk)
    return publication


def approve_through(org, publication, *usernames):
    for username in usernames:
        review.approve_task(user=org[username], task_id=task_for(org[username], publication).pk)
    publication.refresh_from_db()
    return publication


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client
