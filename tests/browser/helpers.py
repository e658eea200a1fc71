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


def body_editor(page):
    """The body's editor (TinyMCE) once it is ready: its editable document inside the frame."""
    page.locator("textarea[data-rich-text][data-editor-ready=true]").wait_for(state="attached")
    return page.frame_locator("iframe.tox-edit-area__iframe").locator("body")


def fill_body(page, html_or_text: str, *, append: bool = False) -> None:
    """Put the item's body into the editor as a drafter would: text is typed (at the end of
    what is there with `append`); HTML (starting with "<") is set as if pasted."""
    body = body_editor(page)
    if html_or_text.lstrip().startswith("<"):
        page.evaluate("html => { const editor = tinymce.activeEditor;"
                      " editor.setContent(html); editor.save(); }", html_or_text)
        return
    body.click()
    if append:
        page.keyboard.press("Control+End")
    else:
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
    page.keyboard.type(html_or_text)


def resize(page, width, height):
    """Resize a page that is already open. The frame's drawer switches from permanent to
    modal in a resize handler, so the layout settles a moment later: wait for it (up to
    5 s), and let the caller's assertion report a width that stays too wide."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.set_viewport_size({"width": width, "height": height})
    try:
        page.wait_for_function(f"document.documentElement.scrollWidth <= {width}",
                               timeout=5000)
    except PlaywrightTimeout:
        pass


def watch_errors(page) -> list:
    """The page's JavaScript errors and console errors from now on, as they happen."""
    errors = []
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on("console", lambda message: errors.append(f"console: {message.text}")
            if message.type == "error" else None)
    return errors
