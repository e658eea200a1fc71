"""On a phone (390×844) every page each demo person can reach fits the screen, the drawer
opens, and no page logs a JavaScript error.

The walk is data-driven: the demo agency (`seed_demo`, items and applications in every
state) is seeded once; each person lands on their home page, opens the drawer, and visits
every page of their menu and the first page each list links to.
"""

import io
import re

import pytest
from django.core.management import call_command

from agencies.models import User

pytestmark = pytest.mark.postgres

PASSWORD = "x-demo-pass-1"
PHONE = {"width": 390, "height": 844}
# the apps' pages, and the statistics dashboard in the same frame
INSIDE = re.compile(r"^/(app|disclosure)/")
# actions that change something, or leave the frame
SKIP = re.compile(r"/(logout|login|download|export|pdf|csv|xlsx|docx|attachments)/?|\.(pdf|csv|"
                  r"xlsx|docx)$|/admin/")
PER_LIST = 1  # detail pages visited per list page


@pytest.fixture
def demo(settings, tmp_path, committed_db):
    settings.VAR_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", "--password", PASSWORD, stdout=io.StringIO(),
                 stderr=io.StringIO())


def _log_in(page, username):
    page.context.clear_cookies()
    page.goto(f"{page.base}/app/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(re.compile(r".*/(app|admin)/(?!login/).*"))


def _width_problem(page, path):
    width = page.evaluate("document.documentElement.scrollWidth")
    if width <= PHONE["width"]:
        return None
    widest = page.evaluate("""() => {
        const out = [];
        for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.right > 392 && el.offsetParent !== null) {
                const cls = el.className && el.className.baseVal === undefined
                    ? '.' + String(el.className).trim().split(/\\s+/).join('.') : '';
                out.push(el.tagName.toLowerCase() + cls + ' ' + Math.round(r.right));
            }
        }
        return out.slice(0, 4);
    }""")
    return f"{path}: {width} px wide ({', '.join(widest)})"


def _links(page, selector):
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    return [h for h in hrefs if h and INSIDE.match(h) and not SKIP.search(h)]


def test_every_page_fits_a_phone_and_logs_no_error(browser, live_server, demo, shot):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True,
                                  has_touch=True, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base = live_server.url
    errors, problems = [], []
    page.on("pageerror", lambda error: errors.append(f"{page.url}: pageerror {error}"))
    page.on("console", lambda message: errors.append(f"{page.url}: console {message.text}")
            if message.type == "error" else None)
    usernames = list(User.objects.filter(agency__isnull=False, is_active=True)
                     .order_by("username").values_list("username", flat=True))
    assert len(usernames) >= 10
    visited = 0
    for username in usernames:
        _log_in(page, username)
        home = page.url.removeprefix(live_server.url)
        problem = _width_problem(page, f"{username} {home}")
        if problem:
            problems.append(problem)
        # the drawer opens from the toolbar's menu button and shows the person's menu
        page.click(".vf-page__menu-toggle")
        page.wait_for_selector(".mdc-drawer--open .webui-nav", state="visible")
        shot(page, f"phone-{username}-drawer")
        # every page of the drawer (each application's own menu shows on its pages), and
        # the first page each of them links to
        queue, seen = [home], {home}
        while queue:
            path = queue.pop(0)
            if path != home:
                page.goto(live_server.url + path)
                visited += 1
                problem = _width_problem(page, f"{username} {path}")
                if problem:
                    problems.append(problem)
            for link in _links(page, ".mdc-drawer a.vf-page__menu-list-item"):
                if link not in seen:
                    seen.add(link)
                    queue.append(link)
            details = [h for h in _links(page, ".webui-content a")
                       if h not in seen and "?" not in h][:PER_LIST]
            for detail in details:
                seen.add(detail)
                page.goto(live_server.url + detail)
                visited += 1
                problem = _width_problem(page, f"{username} {detail}")
                if problem:
                    problems.append(problem)
                    shot(page, f"phone-overflow-{username}-{len(problems)}")
    context.close()
    assert visited > 40
    assert problems == []
    assert errors == []
