"""The information-processing fee (信息处理费) an agency may charge under Art. 42 of the
regulation when the volume or frequency of applications is clearly excessive, computed by
the rates of 《政府信息公开信息处理费管理办法》 (国办函〔2020〕109号).

Our reading of its rates (第六条 as we know it). A computation uses exactly one method —
the notice forbids applying both to one application:

- **Per item (按件计收)**: counted over the same applicant's applications to the agency in one
  calendar month, cumulatively. Items 1–10 are free; each item from the 11th to the 30th
  costs 100 yuan; from the 31st, every further band of 10 items raises the rate per item
  by 100 yuan (31st–40th 200 yuan each, 41st–50th 300 yuan each, …). The rates are per
  item of the band (“……的部分：100元/件”), so a band costs its rate times its items.
- **Per page (按量计收)**: counted over the pages of one application. Pages 1–30 are
  free; each page from the 31st to the 100th costs 10 yuan, from the 101st to the 200th
  20 yuan, from the 201st on 40 yuan — each rate for the pages within its band only
  (阶梯, like an income-tax scale), not for all pages.

Worked examples (the tests check each):

====================  ==========================================  =========
quantity              bands                                       total
====================  ==========================================  =========
10 items              1–10 free                                   0
11 items              11: 100 × 1                                 100
30 items              11–30: 100 × 20                             2,000
31 items              … + 31: 200 × 1                             2,200
40 items              … + 31–40: 200 × 10                         4,000
41 items              … + 41: 300 × 1                             4,300
30 pages              1–30 free                                   0
31 pages              31: 10 × 1                                  10
100 pages             31–100: 10 × 70                             700
101 pages             … + 101: 20 × 1                             720
200 pages             … + 101–200: 20 × 100                       2,700
201 pages             … + 201: 40 × 1                             2,740
250 pages             … + 201–250: 40 × 50                        4,700
====================  ==========================================  =========

A fee notice for one application charges only its own items: when the applicant's earlier
applications this month were already counted (`earlier_items`), the bands start after them
(the 31st application of the month alone costs 200 yuan).

Amounts are `Decimal` yuan. `FeeComputation.to_data()` is what a record stores;
`from_data()` gives the same computation back.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

BASIS = "《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）"

# Far beyond any real application; keeps a mistyped figure from looping for minutes.
MAX_QUANTITY = 100_000

ITEMS_FREE = 10
ITEMS_FIRST_RATE_UP_TO = 30
ITEMS_FIRST_RATE = Decimal(100)
ITEMS_BAND = 10
ITEMS_RATE_STEP = Decimal(100)

# (first page, last page or None for no limit, yuan per page)
PAGE_BANDS = ((1, 30, Decimal(0)), (31, 100, Decimal(10)), (101, 200, Decimal(20)),
              (201, None, Decimal(40)))


class FeeMethod(models.TextChoices):
    PER_ITEM = "per_item", _("按件计收")
    PER_PAGE = "per_page", _("按量计收")


@dataclass(frozen=True)
class FeeBand:
    """Units `first` to `last` (inclusive, counted as the rule counts them) at `rate` each."""

    first: int
    last: int
    rate: Decimal

    @property
    def count(self) -> int:
        return self.last - self.first + 1

    @property
    def amount(self) -> Decimal:
        return self.rate * self.count


@dataclass(frozen=True)
class FeeComputation:
    method: str
    quantity: int
    amount: Decimal
    bands: tuple[FeeBand, ...]
    earlier_items: int = 0

    @property
    def method_label(self) -> str:
        return str(FeeMethod(self.method).label)

    @property
    def lines(self) -> list[str]:
        """The computation as a reader checks it: one line per band, then the total."""
        unit = gettext("件") if self.method == FeeMethod.PER_ITEM else gettext("页")
        lines = []
        if self.earlier_items:
            lines.append(gettext("本月此前已计 %(n)s 件，本次为第 %(first)s–%(last)s 件") % {
                "n": self.earlier_items, "first": self.earlier_items + 1,
                "last": self.earlier_items + self.quantity})
        for band in self.bands:
            span = _span(band, unit)
            if not band.rate:
                lines.append(gettext("%(span)s：免费") % {"span": span})
            else:
                lines.append(gettext("%(span)s：%(rate)s 元/%(unit)s × %(count)s %(unit)s = "
                                     "%(amount)s 元") % {
                    "span": span, "rate": yuan(band.rate), "unit": unit,
                    "count": band.count, "amount": yuan(band.amount)})
        lines.append(gettext("合计：%(amount)s 元") % {"amount": yuan(self.amount)})
        return lines

    def to_data(self) -> dict:
        return {"method": str(self.method), "quantity": self.quantity,
                "earlier_items": self.earlier_items, "amount": str(self.amount),
                "bands": [{"first": b.first, "last": b.last, "rate": str(b.rate)}
                          for b in self.bands]}

    @classmethod
    def from_data(cls, data: dict) -> "FeeComputation":
        """The stored computation; data that does not add up is refused (ValueError)."""
        try:
            computation = cls(
                method=FeeMethod(data["method"]).value, quantity=int(data["quantity"]),
                earlier_items=int(data.get("earlier_items", 0)),
                amount=Decimal(data["amount"]),
                bands=tuple(FeeBand(int(b["first"]), int(b["last"]), Decimal(b["rate"]))
                            for b in data["bands"]))
        except (KeyError, TypeError, ArithmeticError) as error:
            raise ValueError(f"not a stored fee computation: {error!r}") from error
        counted = sum(b.count for b in computation.bands)
        if (computation.amount != sum((b.amount for b in computation.bands), Decimal(0))
                or counted != computation.quantity):
            raise ValueError("stored fee computation does not add up")
        return computation


def yuan(amount: Decimal) -> str:
    """Whole yuan without decimals (every rate is whole), otherwise to the fen."""
    if amount == amount.to_integral_value():
        return f"{int(amount):,}"
    return f"{amount:,.2f}"


def _span(band: FeeBand, unit: str) -> str:
    if band.first == band.last:
        return gettext("第 %(n)s %(unit)s") % {"n": band.first, "unit": unit}
    return gettext("第 %(first)s–%(last)s %(unit)s") % {
        "first": band.first, "last": band.last, "unit": unit}


def _item_rate(n: int) -> Decimal:
    """The rate of the applicant's n-th item of the month."""
    if n <= ITEMS_FREE:
        return Decimal(0)
    if n <= ITEMS_FIRST_RATE_UP_TO:
        return ITEMS_FIRST_RATE
    steps = (n - ITEMS_FIRST_RATE_UP_TO - 1) // ITEMS_BAND + 1
    return ITEMS_FIRST_RATE + ITEMS_RATE_STEP * steps


def _item_band_end(n: int) -> int:
    """The last item of the band the n-th item is in."""
    if n <= ITEMS_FREE:
        return ITEMS_FREE
    if n <= ITEMS_FIRST_RATE_UP_TO:
        return ITEMS_FIRST_RATE_UP_TO
    return n + (ITEMS_FIRST_RATE_UP_TO - n) % ITEMS_BAND


def _item_bands(first: int, last: int) -> list[FeeBand]:
    bands, n = [], first
    while n <= last:
        end = min(_item_band_end(n), last)
        bands.append(FeeBand(n, end, _item_rate(n)))
        n = end + 1
    return bands


def _page_bands(pages: int) -> list[FeeBand]:
    bands = []
    for first, last, rate in PAGE_BANDS:
        if pages < first:
            break
        bands.append(FeeBand(first, pages if last is None else min(last, pages), rate))
    return bands


def _positive_int(value, name: str, *, zero: bool = False) -> int:
    # bool is an int in Python, and "10" or 10.0 is a caller's mistake worth seeing.
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if zero else 1):
        raise ValueError(f"{name} must be a {'non-negative' if zero else 'positive'} "
                         f"whole number, not {value!r}")
    return value


def compute_fee(method: str, quantity: int, *, earlier_items: int = 0) -> FeeComputation:
    """The fee for `quantity` items or pages by one method.

    `earlier_items` (per item only): the applicant's applications already counted this
    month, so the bands of this computation start after them.
    """
    if method not in FeeMethod.values:
        raise ValueError(f"method must be one of {FeeMethod.values}, not {method!r}")
    quantity = _positive_int(quantity, "quantity")
    earlier_items = _positive_int(earlier_items, "earlier_items", zero=True)
    if quantity + earlier_items > MAX_QUANTITY:
        raise ValueError(f"more than {MAX_QUANTITY} items or pages is not a plausible quantity")
    if method == FeeMethod.PER_ITEM:
        bands = _item_bands(earlier_items + 1, earlier_items + quantity)
    elif earlier_items:
        raise ValueError("earlier_items applies to the per-item method only")
    else:
        bands = _page_bands(quantity)
    return FeeComputation(method=FeeMethod(method).value, quantity=quantity,
                          amount=sum((b.amount for b in bands), Decimal(0)),
                          bands=tuple(bands), earlier_items=earlier_items)
