"""Steps the browser scenarios share."""

import re

from testsupport.factories import PASSWORD


def log_in(page, user, *, next_path="/app/"):
    """Open next_path, sign in on the login page it leads to, and wait to land back."""
    page.context.clear_cookies()
    page.goto(f"{page.base}/app/login/?next={next_path}")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(re.compile(r".*/app/(?!login/).*"))
