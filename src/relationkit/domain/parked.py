"""Refunds that arrived before their order: parked, and applied when the order is recorded."""

from __future__ import annotations

import attrs
import pendulum

from relationkit.money import Money

__all__ = ["ParkedRefund"]


@attrs.frozen(kw_only=True)
class ParkedRefund:
    """A refund whose order was not recorded yet (``refund(..., park_if_unknown=True)``).

    It is stored as it came and applied, exactly once, in the transaction
    that records its order (``record`` or ``record_many``): the refund is
    then stored with its usual event and points reversal, and the parked
    one is gone. A refund the order refuses (another currency, more than
    the order's total, dated before it) stays parked with ``problem`` set.

    Attributes:
        refund_id: the host's refund id (unique store-wide, like a refund's).
        order_id: the order it refunds.
        amount: what is given back; None: everything left to refund.
        occurred_at: when the refund happened (None: when it is applied).
        reason: free text, or None.
        parked_at: when it was parked (the kit's clock); ``list_parked``
            finds the old ones with ``parked_before``.
        problem: why the order refused it when it arrived, or None.
    """

    refund_id: str
    order_id: str
    amount: Money | None = None
    occurred_at: pendulum.DateTime | None = None
    reason: str | None = None
    parked_at: pendulum.DateTime
    problem: str | None = None
