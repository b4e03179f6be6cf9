"""Purchases, their line items and refunds."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pendulum

from relationkit import _validate as v
from relationkit.domain.loyalty import MAX_POINTS
from relationkit.errors import ValidationError
from relationkit.money import Money

__all__ = ["LineItem", "Purchase", "PurchaseRules", "Refund"]


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
    """Money given back on a purchase, identified by the host's refund id.

    Attributes:
        refund_id: the host's refund id, unique store-wide; the idempotency key.
        order_id: the purchase refunded.
        amount: what was given back, in the order's currency.
        occurred_at: when the refund happened (never before the order).
        reason: free text, or None.
        recorded_at: when relationkit stored it (the kit's clock).
    """

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
        id: ``pur_...``.
        order_id: the host's order id, unique; the idempotency key.
        account_id: the account that bought (the buyer's account).
        customer_id: the buyer.
        occurred_at: when the order was placed.
        total: what was charged, at most :data:`~relationkit.money.MAX_MINOR`
            minor units.
        lines: the order's items, in the total's currency.
        points_used: loyalty points the customer spent to pay for the order
            (at most :data:`~relationkit.domain.loyalty.MAX_POINTS`).
        recorded_at: when relationkit stored it (the kit's clock).
        refunds: the refunds recorded so far, oldest first.
        hold_id: the hold of points the order captured
            (``kit.loyalty.hold``), or None.
        points_account_id: the account whose ledger holds the points this
            order earned and spent, once its buyer has moved to another
            account (``kit.customers.move``); None: ``account_id``. A
            refund reverses the points there.
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
    hold_id: str | None = None
    points_account_id: str | None = None

    @property
    def points_account(self) -> str:
        """The account whose ledger holds this order's points."""
        return self.points_account_id or self.account_id

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


@attrs.frozen(kw_only=True)
class PurchaseRules:
    """How far from the kit's clock an order may be dated (``rk.open(purchase_rules=...)``).

    An order dated outside the window is refused with
    :class:`~relationkit.errors.ValidationError` naming ``occurred_at``
    before anything is written: a date in the wrong unit, a swapped day and
    month or a zero timestamp is caught at the door. A replay of an order
    already stored is not checked again. Refunds dated before their order
    are always refused.

    Both bounds are off by default, so backfills and imports of any date
    keep working; a web shop receiving live webhooks sets them, for example
    ``PurchaseRules(max_future=pendulum.duration(days=1),
    max_past=pendulum.duration(days=365))``.

    Attributes:
        max_future: how far after the clock an order may be dated (a day
            allows for clock skew); None: no limit.
        max_past: how far before the clock an order may be dated; None: any
            past date.
    """

    max_future: pendulum.Duration | None = None
    max_past: pendulum.Duration | None = None

    def check(self, occurred_at: pendulum.DateTime, now: pendulum.DateTime, field: str) -> None:
        """Raise ValidationError naming ``field`` if ``occurred_at`` is outside the window."""
        if self.max_future is not None and occurred_at > now + self.max_future:
            raise ValidationError(
                field, "is too far in the future (PurchaseRules.max_future of the kit)"
            )
        if self.max_past is not None and occurred_at < now - self.max_past:
            raise ValidationError(
                field, "is too far in the past (PurchaseRules.max_past of the kit)"
            )
