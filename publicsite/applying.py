"""Applying for disclosure online (依申请公开) in the agency's column: the application form,
the confirmation with its printable receipt, and the status query.

Unlike the column's other pages these hold a form (with a CSRF token) or one person's
answer, so they are never cached by anyone. There is no login and no CAPTCHA; the abuse
guard is a honeypot field and the per-address limits of `applications.abuse`, answered
429 with a page saying when to try again.

A filled honeypot is answered with a plain 400 page that asks to submit again or to apply
another way, without saying why, and nothing is stored. We do not pretend to accept it:
browsers' autofill can fill a hidden field, and a person who was shown a tracking code
would believe they had applied while no clock runs. A trapped attempt counts against the
address's submission limit.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from applications import abuse, public, services

from . import selectors
from .forms import HONEYPOT, ApplicationForm, StatusForm
from .views import not_found

#: the session remembers the last application made from this browser, for its receipt
RECEIPT_SESSION_KEY = "publicsite_application"


def application_page(view):
    """Resolve the agency (unknown: the column's 404), in Chinese, and never cached."""

    @login_not_required
    @require_http_methods(["GET", "HEAD", "POST"])
    @wraps(view)
    @translation.override(settings.LANGUAGE_CODE)
    def wrapper(request, agency_code, **kwargs):
        agency = selectors.site_agency(agency_code)
        response = not_found(request) if agency is None else view(request, agency, **kwargs)
        add_never_cache_headers(response)
        response.headers.setdefault("Content-Language", settings.LANGUAGE_CODE)
        return response

    return wrapper


def _limited(request, agency, verdict, *, what):
    minutes = max(1, -(-verdict.retry_after // 60))
    response = render(request, "publicsite/apply_limited.html",
                      {"agency": agency, "minutes": minutes, "what": what}, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response


@application_page
def apply(request, agency):
    form = ApplicationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.trapped:
            verdict = abuse.count_submission(request)
            if not verdict.allowed:
                return _limited(request, agency, verdict, what="submit")
            return render(request, "publicsite/apply_refused.html", {"agency": agency},
                          status=400)
        if form.is_valid():
            verdict = abuse.count_submission(request)
            if not verdict.allowed:
                return _limited(request, agency, verdict, what="submit")
            application = services.submit_online_application(agency=agency,
                                                             data=form.cleaned_data)
            request.session[RECEIPT_SESSION_KEY] = application.pk
            return redirect("publicsite:apply-done", agency.code)
    return render(request, "publicsite/apply.html", {
        "agency": agency, "form": form, "honeypot": form[HONEYPOT],
        "limit_hour": settings.APPLICATION_SUBMISSIONS_PER_IP_PER_HOUR,
        "limit_day": settings.APPLICATION_SUBMISSIONS_PER_IP_PER_DAY,
    })


@application_page
def apply_done(request, agency):
    application_id = request.session.get(RECEIPT_SESSION_KEY)
    receipt = (public.receipt_for(agency=agency, application_id=application_id)
               if isinstance(application_id, int) else None)
    if receipt is None:  # another browser, an expired session, another agency's column
        return redirect("publicsite:apply", agency.code)
    return render(request, "publicsite/apply_done.html", {
        "agency": agency, "receipt": receipt,
        "status_url": request.build_absolute_uri(
            reverse("publicsite:apply-status", args=[agency.code])),
    })


@application_page
def apply_status(request, agency):
    """The query is POSTed, so the digits stay out of addresses, histories and logs."""
    if request.method != "POST":
        form = StatusForm(initial={"tracking_code": request.GET.get("code", "")[:30]})
        return render(request, "publicsite/apply_status.html", {"agency": agency, "form": form})
    form = StatusForm(request.POST)
    status = None
    if form.is_valid():
        verdict = abuse.count_lookup(request)
        if not verdict.allowed:
            return _limited(request, agency, verdict, what="status")
        status = public.status_for(agency=agency,
                                   tracking_code=form.cleaned_data["tracking_code"],
                                   phone_last4=form.cleaned_data["phone_last4"])
        if status is None:
            form.add_error(None, _("未找到相符的申请。请核对申请编号和联系电话后 4 位数字；"
                                   "网上申请提交后即可查询。"))
        else:  # the digits are not left on the screen under the answer
            form = StatusForm(initial={"tracking_code": status["tracking_code"]})
    return render(request, "publicsite/apply_status.html",
                  {"agency": agency, "form": form, "status": status})
