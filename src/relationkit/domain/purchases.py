"""Purchases, their line items and refunds."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pendulum

from relationkit import _validate as v
from relationkit.domain.loyalty import MAX_POINTS
from relationkit.errors import ValidationError
from relationkit.money import Money

__all__ = ["LineItem", "Purchase", "Refund"]


def _sku(value: object) -> str:
    return v.identifier(value, "sku")


def _quantity(value: object) -> int:
    return v.positive_int(value, "quantity")


def _category(value: object) -> str | None:
    return None if value is None else v.identifier(value, "category", max_length=64)


def _bounded_money(field: str) -> Callable[[object, attrs.Attribute[Money], Money], None]:
    def check(_instance: object, _attribute: attrs.Attribute[Money], value: Money) -> None:
        v.money(value, field)

    return check


def _points_used(_instance: object, _attribute: attrs.Attribute[int], value: int) -> None:
    # The services check only the sign; every new purchase is built here.
    v.count(value, "points_used", maximum=MAX_POINTS)


@attrs.frozen(kw_only=True)
class LineItem:
    """One line of an order.

    Args:
        sku: the product's code.
        quantity: a positive whole number.
        unit_price: the price of one unit, in the order's currency.
        category: optional product category (earning rules may use it).
    """

    sku: str = attrs.field(converter=_sku)
    quantity: int = attrs.field(converter=_quantity)
    unit_price: Money = attrs.field()
    category: str | None = attrs.field(default=None, converter=_category)

    @unit_price.validator
    def _check_price(self, _attribute: object, value: object) -> None:
        if v.money(value, "unit_price").minor < 0:
            raise ValidationError("unit_price", "must not be negative")

    @property
    def subtotal(self) -> Money:
        """``unit_price * quantity``."""
        return self.unit_price * self.quantity


@attrs.frozen(kw_only=True)
class Refund:
    """Money given back on a purchase, identified by the host's refund id."""

    refund_id: str
    order_id: str
    amount: Money = attrs.field(validator=_bounded_money("amount"))
    occurred_at: pendulum.DateTime
    reason: str | None = None
    recorded_at: pendulum.DateTime


@attrs.frozen(kw_only=True)
class Purchase:
    """An order, recorded once per ``order_id``.

    Attributes:
        total: what was charged, at most :data:`~relationkit.money.MAX_MINOR`
            minor units.
        points_used: loyalty points the customer spent to pay for the order
            (at most :data:`~relationkit.domain.loyalty.MAX_POINTS`).
        refunds: the refunds recorded so far, oldest first.
    """

    id: str
    order_id: str
    account_id: str
    customer_id: str
    occurred_at: pendulum.DateTime
    total: Money = attrs.field(validator=_bounded_money("total"))
    lines: tuple[LineItem, ...] = ()
    points_used: int = attrs.field(default=0, validator=_points_used)
    recorded_at: pendulum.DateTime
    refunds: tuple[Refund, ...] = ()

    @property
    def refunded(self) -> Money:
        """The total refunded so far."""
        total = Money.zero(self.total.currency)
        for refund in self.refunds:
            total = total + refund.amount
        return total

    @property
    def refundable(self) -> Money:
        """What is left to refund."""
        return self.total - self.refunded
