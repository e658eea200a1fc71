# TEMP STUB (helper's version replaces)
from dataclasses import dataclass
from decimal import Decimal

from django.db import models


class FeeMethod(models.TextChoices):
    PER_ITEM = "per_item", "按件"
    PER_PAGE = "per_page", "按页"


@dataclass(frozen=True)
class FeeComputation:
    method: str
    quantity: int
    amount: Decimal
    lines: tuple = ()

    def to_data(self):
        return {"method": self.method, "quantity": self.quantity, "amount": str(self.amount),
                "lines": list(self.lines)}


def compute_fee(method, quantity):
    if method == "per_item":
        amount = 0 if quantity <= 10 else 100 + 100 * max(0, -(-(quantity - 30) // 10))
    else:
        amount = 0
        for lo, hi, rate in ((31, 100, 10), (101, 200, 20), (201, 10**9, 40)):
            if quantity >= lo:
                amount += (min(quantity, hi) - lo + 1) * rate
    return FeeComputation(method, quantity, Decimal(amount))
