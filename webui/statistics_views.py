"""The statistics dashboard page: disclosure.dashboard computes it, this renders it."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from disclosure.dashboard import BadYear, dashboard_context


@login_required
def dashboard(request):
    try:
        context = dashboard_context(user=request.user, year_param=request.GET.get("year", ""),
                                    agency_param=request.GET.get("agency", ""))
    except BadYear as error:
        return render(request, "webui/statistics/bad_year.html", {"error": str(error)},
                      status=400)
    return render(request, "webui/statistics/dashboard.html", context)
