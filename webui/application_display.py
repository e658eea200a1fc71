"""How the 依申请公开 pages show an application's clock: the coloured days-left badge of the
lists and the day-by-day account of the deadline (期限计算明细).

Pure functions of what applications.selectors and applications.clock return; the words
are here, the rules are in applications.clock.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from applications.clock import Fact
from applications.fees import compute_fee
from applications.models import ApplicationStatus, ClockEventKind, StopReason

#: days left at or under which a deadline is shown amber
SOON = 5

WEEKDAYS = (gettext_lazy("周一"), gettext_lazy("周二"), gettext_lazy("周三"),
            gettext_lazy("周四"), gettext_lazy("周五"), gettext_lazy("周六"),
            gettext_lazy("周日"))

_STOP_LABELS = dict(StopReason.choices)
_EVENT_LABELS = dict(ClockEventKind.choices)


def weekday(day: dt.date) -> str:
    return str(WEEKDAYS[day.weekday()])


def event_label(kind: str) -> str:
    return str(_EVENT_LABELS.get(kind, kind))


def stop_label(reason: str) -> str:
    return str(_STOP_LABELS.get(reason, reason))


@dataclass(frozen=True)
class Badge:
    """The deadline as a list shows it: `state` names the colour (overdue red, soon amber,
    stopped grey, unknown flagged), `text` says it, `note` adds the date."""

    state: str
    text: str
    note: str = ""


def deadline_badge(data: dict) -> Badge:
    """The badge for one application's data (selectors.application_data)."""
    status = data["status"]
    if status == ApplicationStatus.PENDING_CONFIRMATION:
        return Badge("pending", _("待确认收到，尚未起算"))
    if status == ApplicationStatus.REPLIED:
        return Badge("done", _("已答复"), _date(data["replied_on"]))
    if status == ApplicationStatus.CLOSED:
        return Badge("done", _("已终止"), _date(data["closed_on"]))
    if data["clock_stopped_by"]:
        return Badge("stopped", _("暂停计时：%(reason)s") % {
            "reason": stop_label(data["clock_stopped_by"])}, _stop_note(data))
    if data["deadline_unknown"]:
        return Badge("unknown", _("无法确定（超出节假日数据）"),
                     _("%(date)s 起的节假日安排尚未录入") % {
                         "date": _date(data["first_unknown_day"])})
    left = data["days_left"]
    due = _("期限 %(date)s") % {"date": _date(data["deadline"])}
    if data["overdue"]:
        over = max(-left, 1) if left is not None else 1
        return Badge("overdue", ngettext("已超期 %(n)s 个工作日", "已超期 %(n)s 个工作日",
                                         over) % {"n": over}, due)
    if left is None:
        return Badge("unknown", _("无法确定（超出节假日数据）"))
    if left <= 0:
        return Badge("soon", _("今日到期"), due)
    text = ngettext("剩余 %(n)s 个工作日", "剩余 %(n)s 个工作日", left) % {"n": left}
    return Badge("soon" if left <= SOON else "ok", text, due)


def _stop_note(data) -> str:
    used = data["days_used"] or 0
    note = ngettext("已用 %(n)s 个工作日", "已用 %(n)s 个工作日", used) % {"n": used}
    until = {StopReason.CORRECTION: (data["correction_due_on"], _("补正期限至 %(date)s")),
             StopReason.CONSULTATION: (data["consultation_ends_on"],
                                       _("最迟计至 %(date)s 恢复计时")),
             StopReason.FEE: (data["fee_pay_by"], _("缴费期限至 %(date)s"))
             }.get(data["clock_stopped_by"])
    if until and until[0]:
        note += _("；") + until[1] % {"date": _date(until[0])}
    return note


def _date(day) -> str:
    return day.isoformat() if day else "—"


# ---------------------------------------------------------------- the clock's history

def history_rows(clock_entries: list, events: list) -> list[dict]:
    """The clock right after each event (selectors' detail `clock`), with what the event
    recorded: the 补正 items, the extension's reason, the fee's computation…"""
    events = sorted(events, key=lambda e: (e.on, e.pk))
    rows = []
    for entry, event in zip(clock_entries, events, strict=False):
        rows.append({**entry, "label": event_label(entry["event"]),
                     "details": event_details(event.kind, event.data or {})})
    return rows


def event_details(kind: str, data: dict) -> list[str]:
    details = []
    if data.get("items"):
        details.append(_("补正事项：%(items)s") % {"items": data["items"]})
    if data.get("period_days"):
        details.append(ngettext("期限 %(n)s 个工作日", "期限 %(n)s 个工作日",
                                data["period_days"]) % {"n": data["period_days"]})
    if kind == ClockEventKind.EXTENDED:
        details.append(ngettext("延长 %(n)s 个工作日", "延长 %(n)s 个工作日",
                                data.get("days") or 0) % {"n": data.get("days") or 0})
        if data.get("previous_deadline"):
            details.append(_("原期限 %(date)s") % {"date": data["previous_deadline"]})
    if data.get("reason"):
        details.append(_("理由：%(reason)s") % {"reason": data["reason"]})
    if data.get("third_party"):
        details.append(_("第三方：%(name)s") % {"name": data["third_party"]})
    if data.get("fee"):
        details.extend(fee_lines(data["fee"]))
    return details


def fee_lines(fee: dict) -> list[str]:
    """A stored fee computation as lines: how it was computed (its bands) and the total."""
    try:
        lines = [str(line) for line in compute_fee(fee["method"], int(fee["quantity"])).lines]
    except (KeyError, TypeError, ValueError):
        lines = []
    return lines or [_("信息处理费合计：%(amount)s 元") % {"amount": fee.get("amount", "—")}]


# ---------------------------------------------------------------- the day-by-day account

def facts_of(events) -> list[Fact]:
    """The clock's facts from an application's events, in the order services.clock_of
    replays them."""
    return [Fact(e.kind, e.on, e.data) for e in sorted(events, key=lambda e: (e.on, e.pk))]


def day_rows(clock, days, events, *, today: dt.date) -> list[dict]:
    """One row per day of `applications.clock.explain`: whether and why it counts, and the
    events of that day."""
    by_day: dict = {}
    for event in events:
        by_day.setdefault(event.on, []).append(event_label(event.kind))
    rows = []
    for day in days:
        rows.append({
            "date": day.date, "weekday": weekday(day.date), "counted": day.counted,
            "reason": day.reason, "known": day.known,
            "why": _why(day, clock),
            "events": by_day.get(day.date, []),
            "is_deadline": clock.deadline is not None and day.date == clock.deadline,
            "is_today": day.date == today,
        })
    return rows


def _why(day, clock) -> str:
    if day.reason == "start":
        return start_note(clock)
    if day.reason == "weekend":
        return _("周末，不计入")
    if day.reason == "holiday":
        return (_("%(name)s放假，不计入") % {"name": day.label} if day.label
                else _("法定节假日，不计入"))
    if day.reason == "workday":
        return (_("调休上班（%(name)s），计入") % {"name": day.label} if day.label
                else _("调休上班，计入"))
    if day.reason == "paused":
        return _("暂停计时（%(reason)s），不计入") % {"reason": stop_label(day.label)}
    return _("工作日，计入")


def start_note(clock) -> str:
    """What the first row says: the day counting starts after, and why it is that day."""
    restarted = restarted_on(clock)
    if restarted is not None:
        if restarted != clock.start:
            return _("%(day)s收到补正，视为下一个工作日收到；本日不计入，自次日起重新计算") % {
                "day": off_day(restarted)}
        return _("收到补正之日，不计入，自次日起重新计算")
    if clock.deemed:
        return _("%(day)s收到，视为下一个工作日收到；本日不计入，自次日起计算") % {
            "day": off_day(clock.received_on)}
    return _("收到申请之日，不计入，自次日起计算")


def off_day(day: dt.date) -> str:
    """A non-working day as the deemed-receipt note names it: 周六, 周日 or 节假日."""
    return weekday(day) if day.weekday() >= 5 else _("节假日")


def restarted_on(clock):
    """The day the applicant's correction arrived (the clock restarted), or None."""
    for entry in clock.history:
        if entry.event == ClockEventKind.CORRECTION_RECEIVED:
            return entry.on
    return None


def notes(clock) -> list[str]:
    """The account's preamble: receipt and deemed receipt, a restart after 补正, the
    allowance and extension, each pause, the deadline or why it is not known."""
    lines = []
    restarted = restarted_on(clock)
    if clock.received_on is not None:
        received = clock.received_on
        line = _("%(date)s（%(weekday)s）收到申请。") % {
            "date": received.isoformat(), "weekday": weekday(received)}
        if clock.deemed:
            line += _("当日不是工作日：%(day)s收到，视为下一个工作日收到。") % {
                "day": off_day(received)}
        line += _("收到之日不计入期限，自次日起计算（条例第三十一条、第三十三条）。")
        lines.append(line)
    if restarted is not None:
        line = _("%(date)s 收到申请人的补正，答复期限自该日重新计算（条例第三十条），"
                 "此前已用的天数和暂停不再计入。") % {"date": restarted.isoformat()}
        if clock.start != restarted:
            line += _("补正于非工作日收到，视为下一个工作日 %(start)s 收到。") % {
                "start": clock.start.isoformat()}
        lines.append(line)
    elif clock.deemed:
        lines.append(_("视为收到之日：%(date)s（%(weekday)s）。") % {
            "date": clock.start.isoformat(), "weekday": weekday(clock.start)})
    if clock.extended:
        lines.append(_("经分管领导批准延期：期限共 %(n)s 个工作日（法定 20 个工作日，"
                       "延长不超过 20 个工作日）。") % {"n": clock.allowance})
    else:
        lines.append(_("答复期限：%(n)s 个工作日。") % {"n": clock.allowance})
    for pause in clock.effective_pauses:
        lines.append(pause_note(pause))
    if clock.stopped_by:
        lines.append(_("时钟现在暂停（%(reason)s）：恢复计时后才能确定答复期限。下表列至今天。") % {
            "reason": stop_label(clock.stopped_by)})
    elif clock.deadline is not None and clock.beyond_known:
        lines.append(_("期限落入节假日安排尚未录入的年份（%(date)s 起）：该年只按周末推算，"
                       "答复期限无法确定，须待录入节假日安排后核对。") % {
            "date": clock.first_unknown_day.isoformat()})
    elif clock.deadline is not None:
        lines.append(_("第 %(n)s 个计入的工作日为 %(date)s（%(weekday)s），即答复期限。") % {
            "n": clock.allowance, "date": clock.deadline.isoformat(),
            "weekday": weekday(clock.deadline)})
    return lines


def pause_note(pause) -> str:
    reason = stop_label(pause.reason)
    if pause.end is None:
        text = _("%(reason)s：%(start)s 起暂停计时（当日计入），至今尚未恢复。") % {
            "reason": reason, "start": pause.start.isoformat()}
    else:
        text = _("%(reason)s：%(start)s 次日至 %(end)s 不计入期限。") % {
            "reason": reason, "start": pause.start.isoformat(), "end": pause.end.isoformat()}
    if pause.limit is not None and pause.reason == StopReason.CONSULTATION:
        text += _("征求第三方意见的时间最长 15 个工作日（至 %(date)s，条例第三十二条）。") % {
            "date": pause.limit.isoformat()}
    return text
