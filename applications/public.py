"""What the public may learn about an application, and the rules an online application's
contact data follow; shared by the public site's pages (publicsite) and the public API
(applications.public_api).

Whoever gives an application's tracking code together with the last 4 digits of the
applicant's phone number learns how far it has come: its status, the dates and the
deadline. Never anything personal (name, ID number, contact data) and never what was
asked for, which may itself be personal. A wrong code and wrong digits look the same to
the caller, so the answer cannot tell which of the two was right.
"""

import datetime as dt
import hmac
import re
import unicodedata

from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Channel, ChannelKind

from .masking import mask_phone
from .models import Application, ClockEvent, DeliveryMethod, ReceivedVia, StopReason
from .selectors import clock_data
from .services import clock_of, today

PHONE_CHARACTERS = re.compile(r"^[0-9+\-() ]+$")
PHONE_MIN_DIGITS, PHONE_MAX_DIGITS = 7, 20
LAST4 = re.compile(r"^[0-9]{4}$")


def agency_named(code: str) -> Agency | None:
    """The agency taking online applications: one with a public column (a site channel), as
    the public pages require (publicsite.selectors.site_agency), so the API and the form
    answer the same agencies."""
    has_site = Channel.objects.filter(agency=OuterRef("pk"), kind=ChannelKind.SITE)
    return Agency.objects.filter(code=code).filter(Exists(has_site)).first()


# --- the contact data of an online application ----------------------------------------------

def normalise_phone(value: str) -> str:
    """Full-width digits and brackets (as Chinese input methods type them) as ASCII."""
    return unicodedata.normalize("NFKC", value or "").strip()


def phone_digits(value: str) -> str:
    return "".join(ch for ch in value if "0" <= ch <= "9")


def phone_problem(value: str) -> str | None:
    """What is wrong with a (normalised) phone number, or None. Its last 4 digits open the
    status page, so it must be a number, not a description."""
    if not PHONE_CHARACTERS.match(value):
        return _("电话号码只能包含数字、空格、“-”、“+”和括号。")
    if not PHONE_MIN_DIGITS <= len(phone_digits(value)) <= PHONE_MAX_DIGITS:
        return _("电话号码应有 %(min)d 至 %(max)d 位数字。") % {
            "min": PHONE_MIN_DIGITS, "max": PHONE_MAX_DIGITS}
    return None


def contact_problems(data: dict) -> dict:
    """Field errors when the chosen way of delivery lacks the contact it needs."""
    method = data.get("delivery_method")
    if method == DeliveryMethod.POST and not data.get("contact_address"):
        return {"contact_address": [_("选择邮寄时请填写通信地址。")]}
    if method == DeliveryMethod.EMAIL and not data.get("contact_email"):
        return {"contact_email": [_("选择电子邮件时请填写电子邮箱。")]}
    return {}


def normalise_code(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value or "").split()).upper()


# --- the receipt -----------------------------------------------------------------------------

def receipt_for(*, agency, application_id: int) -> dict | None:
    """What the printable receipt shows, to the browser session that submitted the online
    application: the applicant's own entries, the phone masked as everywhere else."""
    a = Application.objects.filter(agency=agency, pk=application_id,
                                   received_via=ReceivedVia.ONLINE).first()
    if a is None:
        return None
    return {
        "tracking_code": a.tracking_code,
        "submitted_at": a.submitted_at,
        "status_label": a.get_status_display(),
        "applicant_type_label": a.get_applicant_type_display(),
        "applicant_name": a.applicant_name,
        "contact_phone": mask_phone(a.contact_phone),
        "content": a.content,
        "delivery_form_label": a.get_delivery_form_display(),
        "delivery_method_label": a.get_delivery_method_display(),
    }


# --- the status page --------------------------------------------------------------------------

def status_for(*, agency, tracking_code: str, phone_last4: str,
               on: dt.date | None = None) -> dict | None:
    """The public status of the agency's application with this code, if `phone_last4` are
    the last 4 digits of its contact phone; None otherwise (whichever was wrong)."""
    application = (Application.objects.filter(agency=agency,
                                              tracking_code=normalise_code(tracking_code))
                   .prefetch_related(Prefetch("clock_events",
                                              queryset=ClockEvent.objects.order_by("on", "id")))
                   .first())
    expected = phone_digits(application.contact_phone)[-4:] if application else ""
    given = phone_last4 if LAST4.match(phone_last4 or "") else ""
    # compared in constant time, and the same way when there is no such application
    if not hmac.compare_digest(expected.encode() or b"-", given.encode() or b"+"):
        return None
    return status_data(application, on=on)


def status_data(application: Application, *, on: dt.date | None = None) -> dict:
    """The fields of the public status: dates, deadline, outcome; nothing personal."""
    a, on = application, on or today()
    clock = clock_of(a, on=on, events=list(a.clock_events.all()))
    c = clock_data(clock, on=on, open_=a.is_open)
    stopped = c["clock_stopped_by"] if a.is_open else None
    return {
        "tracking_code": a.tracking_code,
        "status": a.status,
        "status_label": a.get_status_display(),
        "submitted_on": timezone.localdate(a.submitted_at),
        "received_on": a.received_on,
        "deemed_received_on": c["deemed_received_on"],
        "deadline": c["deadline"],
        "deadline_unknown": c["deadline_unknown"],
        "clock_stopped_by": stopped,
        "clock_stopped_label": str(StopReason(stopped).label) if stopped else None,
        "days_used": c["days_used"],
        "days_left": c["days_left"] if a.is_open else None,
        "extended": c["extended"],
        "overdue": c["overdue"],
        "replied_on": a.replied_on,
        "outcome": a.outcome or None,
        "outcome_label": a.get_outcome_display() if a.outcome else None,
        "closed_on": a.closed_on,
    }
