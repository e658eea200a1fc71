"""Every outcome reaches its own row of table 三, in the year of the reply, and the
printed cross-check 一 + 二 = 三(七) + 四 holds per column; table 四 counts cases by the year
filed, leaving out suits where the agency is only the co-defendant reconsideration body."""

import pytest

from applications import services
from applications.models import ApplicantType, Application
from applications.outcomes import TABLE3_ROWS, Outcome
from applications.selectors import table3_counts, table4_counts

from .conftest import D, on, register

pytestmark = pytest.mark.django_db


def replied(org, outcome, received_on, approve_on, applicant_type="natural_person"):
    a = register(org, received_on=received_on, applicant_type=applicant_type)
    if outcome in (Outcome.OTHER_NO_CORRECTION, Outcome.OTHER_NO_FEE):
        with on(received_on):
            if outcome == Outcome.OTHER_NO_CORRECTION:
                services.request_correction(user=org["handler_office"], application_id=a.pk,
                                            notice_on=received_on, items="请明确所需信息")
            else:
                services.send_fee_notice(user=org["handler_office"], application_id=a.pk,
                                         notice_on=received_on, method="per_page", quantity=50)
    with on(approve_on):
        services.draft_reply(user=org["handler_office"], application_id=a.pk, outcome=outcome,
                             basis="《中华人民共和国政府信息公开条例》", text="答复如下。")
        services.approve_reply(user=org["leader"], application_id=a.pk)
    a.refresh_from_db()
    return a


def test_each_outcome_reaches_its_row_in_the_year_of_the_reply(handlers):
    org = handlers
    outcomes = [row.outcome for row in TABLE3_ROWS if row.outcome]
    assert sorted(outcomes) == sorted(Outcome.values)
    for outcome in outcomes:
        # received in December 2024, replied in February 2025: counts in 2025
        replied(org, outcome, D(2024, 12, 2), D(2025, 2, 20))
    t2024, t2025 = (table3_counts(agency_id=org.agency.pk, year=y) for y in (2024, 2025))
    assert t2024.new == {"natural_person": 21} and t2024.results == {}
    assert t2024.carried_out == {"natural_person": 21}
    assert t2025.carried_in == {"natural_person": 21} and t2025.new == {}
    assert t2025.results == {outcome: {"natural_person": 1} for outcome in outcomes}
    assert t2025.carried_out == {}


def test_cross_check_per_column_with_open_and_withdrawn_applications(handlers):
    org = handlers
    replied(org, Outcome.DISCLOSED, D(2025, 3, 3), D(2025, 3, 10), "commercial")
    replied(org, Outcome.PARTLY_DISCLOSED, D(2025, 3, 3), D(2025, 3, 10), "legal_service")
    register(org, received_on=D(2025, 12, 29), applicant_type="research")  # open at year end
    withdrawn = register(org, received_on=D(2025, 5, 6))
    with on(D(2025, 5, 7)):
        services.withdraw(user=org["handler_office"], application_id=withdrawn.pk,
                          on=D(2025, 5, 7), reason="申请人电话撤回")
    t = table3_counts(agency_id=org.agency.pk, year=2025)
    assert t.results[Outcome.OTHER] == {"natural_person": 1}
    for column in ApplicantType.values:
        assert (t.new.get(column, 0) + t.carried_in.get(column, 0)
                == t.result_total(column) + t.carried_out.get(column, 0)), column
    assert t.carried_out == {"research": 1}
    assert Application.objects.count() == 4


def test_table4_counts_cases_by_year_filed_without_co_defendant_suits(handlers):
    org, h = handlers, handlers["handler_office"]
    with on(D(2025, 6, 1)):
        services.file_case(user=h, data={"kind": "reconsideration", "filed_on": D(2025, 2, 1),
                                         "body": "温县人民政府"})
        case = services.file_case(user=h, data={"kind": "litigation_direct",
                                                "filed_on": D(2025, 3, 1), "body": "温县人民法院"})
        services.update_case(user=h, case_id=case.pk,
                             data={"result": "corrected", "decided_on": D(2025, 5, 30)})
        services.file_case(user=h, data={"kind": "litigation_after_reconsideration",
                                         "filed_on": D(2025, 4, 1), "body": "温县人民法院",
                                         "co_defendant_as_reconsideration_body": True})
        services.file_case(user=h, data={"kind": "reconsideration", "filed_on": D(2024, 12, 1),
                                         "body": "焦作市住房和城乡建设局"})
    assert table4_counts(agency_id=org.agency.pk, year=2025) == {
        "reconsideration": {"pending": 1}, "litigation_direct": {"corrected": 1}}
