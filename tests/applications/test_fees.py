"""The information-processing fee of 国办函〔2020〕109号, by its worked examples."""

import json
from decimal import Decimal

import pytest
from django.utils import translation

from applications.fees import FeeComputation, FeeMethod, compute_fee


@pytest.mark.parametrize(("items", "yuan"), [
    (1, 0), (10, 0), (11, 100), (30, 2000), (31, 2200), (40, 4000), (41, 4300), (50, 7000),
    (51, 7400),
])
def test_per_item_fee_rises_by_band(items, yuan):
    assert compute_fee(FeeMethod.PER_ITEM, items).amount == Decimal(yuan)


@pytest.mark.parametrize(("pages", "yuan"), [
    (1, 0), (30, 0), (31, 10), (100, 700), (101, 720), (200, 2700), (201, 2740), (250, 4700),
])
def test_per_page_fee_charges_each_band_its_own_rate(pages, yuan):
    assert compute_fee(FeeMethod.PER_PAGE, pages).amount == Decimal(yuan)


def test_the_lines_show_each_band_and_the_total():
    with translation.override("zh-hans"):
        assert compute_fee("per_item", 41).lines == [
            "第 1–10 件：免费",
            "第 11–30 件：100 元/件 × 20 件 = 2,000 元",
            "第 31–40 件：200 元/件 × 10 件 = 2,000 元",
            "第 41 件：300 元/件 × 1 件 = 300 元",
            "合计：4,300 元",
        ]
        assert compute_fee("per_page", 250).lines == [
            "第 1–30 页：免费",
            "第 31–100 页：10 元/页 × 70 页 = 700 元",
            "第 101–200 页：20 元/页 × 100 页 = 2,000 元",
            "第 201–250 页：40 元/页 × 50 页 = 2,000 元",
            "合计：4,700 元",
        ]
        assert compute_fee("per_page", 12).lines == ["第 1–12 页：免费", "合计：0 元"]


def test_an_application_after_earlier_ones_this_month_pays_only_for_its_own_items():
    fee = compute_fee("per_item", 5, earlier_items=28)  # the applicant's 29th to 33rd
    assert fee.amount == Decimal(2 * 100 + 3 * 200)
    with translation.override("zh-hans"):
        assert fee.lines[0] == "本月此前已计 28 件，本次为第 29–33 件"
        assert fee.lines[1] == "第 29–30 件：100 元/件 × 2 件 = 200 元"
    # the whole month at once costs what its parts cost
    assert (compute_fee("per_item", 28).amount + fee.amount
            == compute_fee("per_item", 33).amount)


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "10", True, None, 10**6])
def test_quantity_must_be_a_positive_whole_number(quantity):
    with pytest.raises(ValueError):
        compute_fee("per_page", quantity)


def test_one_method_only():
    with pytest.raises(ValueError):
        compute_fee("both", 10)
    with pytest.raises(ValueError):
        compute_fee("per_page", 10, earlier_items=3)  # pages are counted per application
    fee = compute_fee("per_page", 120)
    assert fee.method == "per_page" and fee.to_data()["method"] == "per_page"


def test_a_stored_computation_reads_back_the_same():
    for fee in (compute_fee("per_item", 45), compute_fee("per_page", 201),
                compute_fee("per_item", 3, earlier_items=40)):
        stored = json.loads(json.dumps(fee.to_data()))
        assert FeeComputation.from_data(stored) == fee


def test_a_stored_computation_that_does_not_add_up_is_refused():
    data = compute_fee("per_page", 120).to_data()
    with pytest.raises(ValueError):
        FeeComputation.from_data({**data, "amount": "1"})
    with pytest.raises(ValueError):
        FeeComputation.from_data({**data, "method": "both"})
    with pytest.raises(ValueError):
        FeeComputation.from_data({"method": "per_page"})
