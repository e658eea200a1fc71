"""The auditor's pages: an item's timeline and round contents, the agency's trail (page and
CSV) and the chain check. Reads go through audit.selectors; the one write is asking
for a chain check (audit.services.request_verification)."""

import csv
import datetime
import json

from django import forms
from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_http_methods

from agencies.models import Channel
from audit.models import AuditAction
from audit.selectors import (
    agency_trail,
    chain_length,
    latest_verification,
    timeline,
    trail_people,
    trail_sections,
)
from audit.services import record_trail_export, request_verification
from audit.verification import Break, ChainReport
from core.chunks import keyset_chunks
from core.pagination import BadCursor, count_up_to, keyset_page
from publications.models import Publication
from publications.selectors import ITEM_SUBJECT, items_of_section, with_item_facts
from publications.services import sanitise_html
from scanning.models import FindingKind, Severity
from workflow.models import WithholdBasis
from workflow.selectors import round_content, submitted_rounds

from .templatetags.webui import (
    action_label,
    actor_name,
    on_behalf_name,
    person_label,
    short_hash,
    tier_label,
)
from .views import visible_item_or_404

PAGE_SIZE = 50
#: a filtered trail's total is counted up to this many events ("more than …" beyond): the
#: count costs the same on an agency's first year and on its tenth
TOTAL_COUNTED = 10_000
#: old page-number links (?page=) still open, up to this depth; paging on uses cursors
OLD_PAGES = TOTAL_COUNTED // PAGE_SIZE


def _agency_of(user):
    """The auditor's agency; the trail of no agency is nobody's to read."""
    if user.agency_id is None:
        raise Http404
    return user.agency


def _item_or_404(user, publication_id):
    """An item of the auditor's own agency (another agency's answers 404, as if absent)."""
    publication = visible_item_or_404(user, publication_id, related=("section", "drafter"))
    if publication.agency_id != user.agency_id:
        raise Http404
    return publication


# --- the trail's filter --------------------------------------------------------------------


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return person_label(obj)


class TrailFilterForm(forms.Form):
    actor = PersonChoiceField(label=gettext_lazy("操作人"), queryset=None, required=False,
                              empty_label=gettext_lazy("全部"))
    action = forms.ChoiceField(label=gettext_lazy("动作"), required=False)
    section = forms.ModelChoiceField(label=gettext_lazy("科室"), queryset=None, required=False,
                                     to_field_name="code", empty_label=gettext_lazy("全部"))
    date_from = forms.DateField(label=gettext_lazy("开始日期"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = forms.DateField(label=gettext_lazy("结束日期"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, data, *, agency):
        super().__init__(data)
        self.fields["actor"].queryset = trail_people(agency=agency)
        self.fields["action"].choices = [("", _("全部"))] + list(AuditAction.choices)
        self.fields["section"].queryset = trail_sections(agency=agency)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        return cleaned

    def filters(self) -> dict:
        """The trail's filters; a section narrows it to events about that section's items."""
        filters = {name: self.cleaned_data[name] for name in self.fields if name != "section"}
        section = self.cleaned_data["section"]
        if section is not None:
            filters.update(subject_type=ITEM_SUBJECT, subject_ids=items_of_section(section))
        return filters


def _filtered_trail(request, agency):
    """(form, events): events is None when the filter does not validate."""
    form = TrailFilterForm(request.GET, agency=agency)
    if not form.is_valid():
        return form, None
    return form, agency_trail(agency=agency, **form.filters())


def _old_page_offset(request) -> int:
    """Where an old ?page= link starts (a bad number: the first page, as it used to)."""
    try:
        number = int(request.GET.get("page", 1))
    except (TypeError, ValueError):
        number = 1
    return (min(max(number, 1), OLD_PAGES) - 1) * PAGE_SIZE


def _trail_page(request, agency, form, events) -> dict:
    """One page of the trail, newest first, paged by `seq` (cursor "before-…"/"after-…"):
    however deep the page, PostgreSQL reads the page's rows from the agency's end of an
    index, and a page does not shift while new events are written. The whole trail's total
    is the chain's length; a filtered one is counted up to TOTAL_COUNTED."""
    cursor = request.GET.get("cursor", "")
    page = keyset_page(with_item_facts(events), key="seq", size=PAGE_SIZE, descending=True,
                       cursor=cursor, offset=0 if cursor else _old_page_offset(request))
    if any(value for value in form.cleaned_data.values()):
        total, exact = count_up_to(events.values("pk"), TOTAL_COUNTED)
    else:
        total, exact = chain_length(agency=agency), True
    return {"rows": page.rows, "older": page.before, "newer": page.after, "total": total,
            "exact": exact}


# --- what an event's data says, in words -------------------------------------------------

_FIELD_PLACES = {"title": gettext_lazy("标题"), "body": gettext_lazy("正文")}
_CLAIM_RELEASE_REASONS = {"inactive": gettext_lazy("签收人已停用"),
                          "no_longer_permitted": gettext_lazy("签收人已无权审核该环节"),
                          "on_leave": gettext_lazy("签收人请假，已设置代理")}
# kept for the round's content page, not listed with the details
_CONTENT_KEYS = {"title", "body", "content"}


_OPERATIONS = {"add": pgettext_lazy("configuration change", "新增"),
               "change": pgettext_lazy("configuration change", "修改"),
               "delete": pgettext_lazy("configuration change", "删除"),
               # a year's holiday notice imported (workdays.imports)
               "import": pgettext_lazy("configuration change", "导入")}


def _model_name(label):
    if not label:
        return None
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


def _config_changes(changes) -> str:
    """"field: old → new" per changed field; a secret only as changed."""
    if not isinstance(changes, dict):
        return changes
    parts = []
    for name, change in sorted(changes.items()):
        if change.get("changed"):
            parts.append(_("%(field)s：已更改（保密，不记录内容）") % {"field": name})
            continue
        old = json.dumps(change.get("old"), ensure_ascii=False) if "old" in change else "—"
        new = json.dumps(change.get("new"), ensure_ascii=False) if "new" in change else "—"
        parts.append(f"{name}：{old} → {new}")
    return "；".join(parts)


def _channel_names(agency) -> dict:
    return dict(Channel.objects.filter(agency=agency).values_list("code", "name"))


def _field_names(names) -> str:
    labels = []
    for name in names or []:
        try:
            labels.append(str(Publication._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:  # a field renamed since: show what the trail kept
            labels.append(str(name))
    return "、".join(labels)


def _place(field, start=None, end=None) -> str:
    field = str(field or "")
    if field.startswith("attachment:"):
        place = _("附件“%s”") % field.split(":", 1)[1]
    else:
        place = str(_FIELD_PLACES.get(field, field))
    if isinstance(start, int) and isinstance(end, int):
        place += _("（第 %(start)d–%(end)d 字）") % {"start": start + 1, "end": end}
    return place


def _kinds(value) -> str:
    labels = dict(FindingKind.choices)
    if isinstance(value, dict):
        return "、".join(f"{labels.get(k, k)} {n}" for k, n in value.items())
    return "、".join(str(labels.get(k, k)) for k in value or [])


def event_details(event, *, channel_names) -> list[tuple[str, str]]:
    """The event's `data` as (label, value) lines; keys not known here end in one line."""
    data = dict(event.data) if isinstance(event.data, dict) else {"": event.data}
    lines = []

    def line(label, value):
        if value not in (None, "", [], {}):
            lines.append((str(label), str(value)))

    basis = data.pop("basis", None)
    line(_("不予公开依据"), dict(WithholdBasis.choices).get(basis, basis))
    channel = data.pop("channel", None)
    line(_("发布渠道"), channel_names.get(channel, channel))
    release = data.pop("release", None)
    line(_("发布记录编号"), f"#{release}" if release else None)
    line(_("尝试次数"), data.pop("attempts", None) or None)
    line(_("刊发日期"), data.pop("published_on", None))
    line(_("版面或链接"), data.pop("reference", None))
    line(_("外部地址"), data.pop("external_url", None))
    line(_("外部编号"), data.pop("external_id", None))
    line(_("下次尝试"), _local_time(data.pop("next_attempt_at", None)))
    line(_("渠道调用"), _("撤稿") if data.pop("retraction", None) else None)
    line(_("曾在渠道上线"), _("是") if data.pop("went_live", None) else None)
    line(_("说明"), data.pop("note", None))
    request = data.pop("request", None)
    line(_("撤稿申请编号"), f"#{request}" if request else None)
    line(_("申请人"), data.pop("requested_by", None))
    line(_("审核时的内容指纹"), short_hash(data.pop("reviewed_fingerprint", None)))
    line(_("改动的内容"), _field_names(data.pop("fields", None)))
    line(_("添加附件"), data.pop("attachment_added", None))
    line(_("删除附件"), data.pop("attachment_removed", None))
    # a claim taken back or released (the holder's id is for machines: the name says it)
    line(_("原签收人"), data.pop("previous_holder", None))
    # a substitute's action (代理): for whom, by login (the name is in the actor's cell)
    line(_("代理"), data.pop("on_behalf_of", None))
    data.pop("on_behalf_of_name", None)
    # a substitution named or cancelled
    line(_("请假人"), data.pop("absent", None))
    line(_("代理人"), data.pop("substitute", None))
    if "starts_on" in data:
        line(_("期间"), _("%(starts)s 至 %(ends)s") % {"starts": data.pop("starts_on"),
                                                      "ends": data.pop("ends_on", "")})
    data.pop("previous_holder_id", None)
    reason = data.pop("reason", None)
    line(_("释放原因"), _CLAIM_RELEASE_REASONS.get(reason, reason))
    # a scan's summary, a dismissed finding, masking
    if "findings" in data:
        line(_("预检发现"), _("%d 处") % data.pop("findings"))
    if "blocking" in data:
        line(_("其中须处理"), _("%d 处") % data.pop("blocking"))
    unscanned = data.pop("unscanned", None)
    if unscanned:
        count = unscanned if isinstance(unscanned, int) else len(unscanned)
        line(_("未能检查的附件"), _("%d 个") % count)
    if "masked" in data:
        line(_("脱敏"), _("%d 处") % data.pop("masked"))
    line(_("类型"), _kinds(data.pop("kinds", None)))
    finding = data.pop("finding", None)
    line(_("预检发现编号"), f"#{finding}" if finding else None)
    kind = data.pop("kind", None)
    line(_("发现类型"), dict(FindingKind.choices).get(kind, kind))
    if "field" in data:
        line(_("位置"), _place(data.pop("field"), data.pop("start", None), data.pop("end", None)))
    line(_("显示为"), data.pop("shown_as", None))
    severity = data.pop("severity", None)
    line(_("级别"), dict(Severity.choices).get(severity, severity))
    # a configuration change in the admin, a download, an export
    line(_("配置项"), _model_name(data.pop("model", None)))
    line(_("对象"), data.pop("object", None))
    operation = data.pop("operation", None)
    line(pgettext("configuration change", "操作"), _OPERATIONS.get(operation, operation))
    line(_("改动"), _config_changes(data.pop("changes", None)))
    line(_("附件编号"), f"#{data['attachment']}" if data.get("attachment") else None)
    data.pop("attachment", None)
    line(_("文件名"), data.pop("name", None))
    line(_("文件指纹"), short_hash(data.pop("sha256", None)))
    filters = data.pop("filters", None)
    if filters is not None:
        line(_("筛选条件"), "；".join(f"{k}={v}" for k, v in sorted(filters.items()))
             or _("无（全部事件）"))
    for key in _CONTENT_KEYS:
        data.pop(key, None)
    data = {key: value for key, value in data.items() if value not in (None, "")}
    if data:
        line(_("其他附加信息"), json.dumps(data, ensure_ascii=False, sort_keys=True))
    return lines


def _local_time(iso):
    """An ISO time from the trail, shown in the site's time zone."""
    if not iso:
        return None
    try:
        moment = datetime.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso
    return date_format(timezone.localtime(moment), "Y-m-d H:i:s")


# --- pages --------------------------------------------------------------------------------


@login_required
def trail(request):
    agency = _agency_of(request.user)
    form, events = _filtered_trail(request, agency)
    page = None
    if events is not None:
        try:
            page = _trail_page(request, agency, form, events)
        except BadCursor as error:
            form.add_error(None, error.message)
    return render(request, "webui/audit/trail.html", {"form": form, "page": page},
                  status=400 if form.errors else 200)


class _Echo:
    """A file-like object csv.writer writes one row to, returned as a string."""

    def write(self, value):
        return value


_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    # Excel runs a cell that starts like a formula; comments are typed by people.
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_CSV_FORMULA_START) else text


def _csv_rows(events, channel_names, language):
    # The rows are made while the response is sent, after the request's language is gone.
    with translation.override(language):
        yield from _csv_lines(events, channel_names)


def _csv_lines(events, channel_names):
    writer = csv.writer(_Echo())
    zone = timezone.get_default_timezone()  # the agencies' time, as on the pages
    yield "\ufeff" + writer.writerow([
        _("序号"), _("时间"), _("信息编号"), _("信息标题"), _("科室"), _("操作人"),
        _("审核环节"), _("动作"), _("审核轮次"), _("内容指纹"), _("意见"), _("附加信息")])
    for event in keyset_chunks(events, key="-seq", size=2000):
        yield writer.writerow([_cell(value) for value in (
            event.seq,
            timezone.localtime(event.at, zone).strftime("%Y-%m-%d %H:%M:%S"),
            event.item_id or "",
            event.item_title or "",
            event.item_section or "",
            (actor_name(event) if on_behalf_name(event)
             else person_label(event.actor, event.actor_username)) or _("系统"),
            tier_label(event.tier),
            action_label(event.action),
            event.round or "",
            event.fingerprint,
            event.comment,
            "；".join(f"{label}：{value}"
                     for label, value in event_details(event, channel_names=channel_names)),
        )])


@login_required
def trail_export(request):
    agency = _agency_of(request.user)
    form, events = _filtered_trail(request, agency)
    if events is None:
        return render(request, "webui/audit/trail.html", {"form": form, "page": None},
                      status=400)
    record_trail_export(user=request.user, agency_id=agency.pk,
                        filters={key: value for key, value in request.GET.items() if value})
    today = timezone.localdate(timezone=timezone.get_default_timezone()).isoformat()
    response = StreamingHttpResponse(
        _csv_rows(with_item_facts(events), _channel_names(agency), translation.get_language()),
        content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        True, _("审计日志-%(agency)s-%(date)s.csv") % {"agency": agency.code, "date": today})
    return response


@login_required
def item(request, publication_id):
    agency = _agency_of(request.user)
    publication = _item_or_404(request.user, publication_id)
    channel_names = _channel_names(agency)
    events = [(event, event_details(event, channel_names=channel_names))
              for event in timeline(subject=publication)]
    return render(request, "webui/audit/item.html", {
        "publication": publication, "events": events,
        "rounds": submitted_rounds(publication=publication)})


@login_required
def item_round(request, publication_id, round_number):
    _agency_of(request.user)
    publication = _item_or_404(request.user, publication_id)
    content = round_content(publication=publication, round=round_number)
    if content is None:
        raise Http404
    return render(request, "webui/audit/round.html", {
        "publication": publication, "content": content,
        "body": sanitise_html(content.body) if content.kept else ""})


def chain_problem_text(report) -> str:
    """What the verifier found, in words (its own message is for the command line)."""
    texts = {
        Break.TRUNCATED: _("第 %d 号及之后的事件缺失：链头记录的事件比现存的多。"),
        Break.BEYOND_HEAD: _("第 %d 号及之后的事件在链头之外：链头被回拨过。"),
        Break.MISSING: _("第 %d 号事件缺失。"),
        Break.UNLINKED: _("第 %d 号事件与前一事件衔接不上：前一事件被改写过，或被替换。"),
        Break.ALTERED: _("第 %d 号事件被改动：其内容与记录时计算的哈希值不符。"),
        Break.CHECKPOINT: _("第 %d 号事件与已签名的检查点不符：审计链在检查点之后被改写或截断。"),
    }
    if report.kind == Break.BAD_CHECKPOINT:
        return _("保存的检查点无法读取或签名无效，无法据以校验。")
    return texts.get(report.kind, _("第 %d 号事件未通过校验。")) % report.seq


@require_http_methods(["GET", "POST"])
@login_required
def verify(request):
    """POST starts (or joins) a check of the chain in a worker and redirects here; GET shows
    the agency's latest check, refreshing itself while it is queued or running."""
    agency = _agency_of(request.user)
    if request.method == "POST":
        request_verification(user=request.user, agency=agency)
        return redirect("webui:audit:verify")
    verification = latest_verification(agency=agency)
    result = None
    if verification is not None and verification.status == verification.Status.BROKEN:
        report = ChainReport(agency.code, verification.events_checked, False,
                             verification.message, verification.break_seq,
                             verification.break_kind)
        result = {"problem": chain_problem_text(report),
                  "event": with_item_facts(agency_trail(agency=agency))
                  .filter(seq=verification.break_seq).first()}
    return render(request, "webui/audit/verify.html",
                  {"agency": agency, "verification": verification, "result": result})
