"""What a daily digest (`workflow.digest`) says: its sections, lines and e-mail, in the
reader's language, from the facts the notice keeps in `details`."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from publications.lifecycle import step_title

from .links import item_link, task_link


def section_titles() -> dict[str, str]:
    return {
        "waiting": _("待您处理的审核任务"),
        "due_soon": _("5 个工作日内到达公开期限"),
        "overdue": _("已超过公开期限"),
        "released": _("您的信息已发布"),
        "failed": _("您的信息发布失败"),
        "returned": _("您的信息被退回修改"),
    }


def subject(notice) -> str:
    return _("政务公开每日待办 %(date)s") % {"date": notice.title}


def entry_text(name: str, entry: dict) -> str:
    """One line of a section, without the title (which the caller shows as a link)."""
    if name == "waiting":
        step = step_title(entry.get("step", ""), default=entry.get("step", ""))
        if entry.get("claimed"):
            return _("%(step)s，已由您签收") % {"step": step}
        return _("%(step)s，可签收") % {"step": step}
    if name == "due_soon":
        return ngettext("期限 %(date)s，还剩 %(days)d 个工作日",
                        "期限 %(date)s，还剩 %(days)d 个工作日",
                        entry["days_left"]) % {"date": entry["deadline"],
                                               "days": entry["days_left"]}
    if name == "overdue":
        return ngettext("期限 %(date)s，已超期 %(days)d 个工作日",
                        "期限 %(date)s，已超期 %(days)d 个工作日",
                        entry["days_late"]) % {"date": entry["deadline"],
                                               "days": entry["days_late"]}
    return entry.get("message") or ""


def entry_path(name: str, entry: dict) -> str:
    if name == "waiting":
        return task_link(entry["task"])
    return item_link(entry["item"])


def sections(notice) -> list[dict]:
    """The non-empty sections in order: title, count, entries (title, text, path) and how
    many more there are than listed."""
    details = notice.details or {}
    counts = details.get("counts", {})
    shown = []
    for name, title in section_titles().items():
        entries = details.get(name) or []
        if not entries:
            continue
        shown.append({
            "name": name, "title": title, "count": counts.get(name, len(entries)),
            "more": counts.get(name, len(entries)) - len(entries),
            "entries": [{"title": e["title"], "text": entry_text(name, e),
                         "path": entry_path(name, e)} for e in entries]})
    return shown


def summary(notice) -> str:
    """One line for the list of notices: each non-empty section and its count."""
    return "；".join(f"{section['title']} {section['count']}" for section in sections(notice))


def email_of_digest(notice) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a digest's e-mail, in the site's language."""
    site = settings.SITE_URL
    with translation.override(settings.LANGUAGE_CODE):
        shown = sections(notice)
        lines = [_("%(name)s，您好：") % {"name": notice.recipient}, "",
                 _("以下是您 %(date)s 的政务公开待办事项：") % {"date": notice.title}]
        for section in shown:
            lines += ["", f"【{section['title']}】{section['count']}"]
            for entry in section["entries"]:
                text = f"《{entry['title']}》 {entry['text']}".rstrip()
                lines += [f"- {text}", f"  {site}{entry['path']}"]
            if section["more"] > 0:
                lines.append(_("……另有 %(n)d 项，请登录系统查看") % {"n": section["more"]})
        lines += ["", _("此邮件由政府信息公开审核发布系统自动发送，请勿回复。"
                        "如不需要每日待办，可在系统的“通知设置”中关闭。")]
        html = render_to_string("notifications/digest_email.html", {
            "notice": notice, "sections": shown, "site": site})
        return subject(notice), "\n".join(str(line) for line in lines) + "\n", html
