"""Events of purchases: an order recorded, a refund recorded."""

from __future__ import annotations

import attrs
import pendulum

from relationkit.events._base import AccountEvent
from relationkit.money import Money

__all__ = ["PurchaseRecorded", "PurchaseRefunded"]


@attrs.frozen(kw_only=True)
class PurchaseRecorded(AccountEvent):
    """A purchase was recorded for the first time (never on an idempotent replay).

    Attributes:
        order_id: the host's order id.
        purchase_id: relationkit's id of the stored purchase.
        customer_id: the customer who bought.
        total: what was charged (:class:`~relationkit.Money`).
        purchased_at: when the order was placed (the purchase's
            ``occurred_at``: the business date, not when it was recorded).
    """

    order_id: str
    purchase_id: str
    customer_id: str
    total: Money
    purchased_at: pendulum.DateTime


@attrs.frozen(kw_only=True)
class PurchaseRefunded(AccountEvent):
    """A refund was recorded against a purchase (never on an idempotent replay).

    Attributes:
        order_id: the refunded order's id.
        refund_id: the host's refund id.
        amount: the money given back by this refund.
    """

    order_id: str
    refund_id: str
    amount: Money
