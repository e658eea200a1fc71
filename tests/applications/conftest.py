import datetime as dt

import pytest
import time_machine

from agencies.models import Role
from applications import services
from testsupport.factories import make_user

D = dt.date


@pytest.fixture
def handlers(org):
    """The office's application handler (also the registrar) and a second one."""
    office = org.sections["office"]
    org.users["handler_office"] = make_user(org.agency, "handler_office",
                                            [Role.APPLICATION_HANDLER], office)
    org.users["handler_2"] = make_user(org.agency, "handler_2", [Role.APPLICATION_HANDLER],
                                       office)
    # a leader covering the office who also handles applications (may never approve own reply)
    org.users["leading_handler"] = make_user(org.agency, "leading_handler",
                                             [Role.LEADER, Role.APPLICATION_HANDLER],
                                             covered=[office])
    return org


def on(day: dt.date):
    """Run the block as if today were `day` (09:00 Beijing time)."""
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 9, 0,
                                           tzinfo=dt.timezone(dt.timedelta(hours=8))),
                               tick=False)


def application_data(**overrides) -> dict:
    data = {"received_on": D(2024, 3, 4), "received_via": "in_person",
            "applicant_type": "natural_person", "applicant_name": "张三",
            "applicant_id_number": "110101199003071234", "contact_phone": "13812341234",
            "contact_address": "河南省焦作市温县温泉街道人民路 88 号",
            "contact_email": "zs@example.com",
            "content": "2023 年度本县保障性住房分配名单及分配依据", "section": "office"}
    data.update(overrides)
    return data


def register(org, day=None, **overrides):
    data = application_data(**overrides)
    with on(day or data["received_on"]):
        return services.register_application(user=org["handler_office"], data=data)
