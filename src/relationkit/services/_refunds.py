"""Storing a refund inside a transaction: the idempotency and amount rules."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pendulum

from relationkit._tx import Tx
from relationkit.domain.purchases import Refund
from relationkit.errors import IdempotencyConflict, NotFound, ValidationError
from relationkit.events import PurchaseRefunded
from relationkit.money import Money
from relationkit.services._reactions import RefundStored
from relationkit.storage.fallback import queries

__all__ = ["RefundRequest", "check_replay", "store_refund"]


@attrs.frozen(kw_only=True)
class RefundRequest:
    """A validated refund request."""

    refund_id: str
    order_id: str
    amount: Money | None
    at: pendulum.DateTime | None
    reason: str | None


def store_refund(
    tx: Tx, request: RefundRequest, *, publish: Callable[[Tx, object], None]
) -> Refund:
    """Store a refund once per refund id; return the stored one on a replay.

    The account is locked before the refund id is looked up, so two
    deliveries of one refund at once both get the stored refund.

    Without an amount, the refund is what is left to refund; its replay
    matches on the order alone.

    Raises:
        NotFound: the order does not exist.
        IdempotencyConflict: the refund id was used with another order or amount.
        ValidationError: another currency, more than is left to refund (or
            nothing left), or a date before the order's.
    """
    clean_order, clean_refund, amount = request.order_id, request.refund_id, request.amount
    # Only the owner is needed to take the lock; the order is read under it.
    owner = queries(tx.uow).owners.accounts_of_orders([clean_order]).get(clean_order)
    if owner is None:
        # The refund id may still be known, on another order: say so.
        check_replay(tx, clean_refund, clean_order, amount)
        raise NotFound("purchase", clean_order)
    tx.account(owner)
    previous = check_replay(tx, clean_refund, clean_order, amount)
    if previous is not None:
        return previous
    purchase = tx.uow.purchases.get_many([clean_order])[clean_order]
    if purchase.account_id != owner:
        # Its buyer moved meanwhile: the order's account is the one to hold.
        tx.account(purchase.account_id)
    if amount is None:
        amount = purchase.refundable
        if amount.minor <= 0:
            raise ValidationError("amount", f"nothing is left to refund on order {clean_order}")
    when = request.at or tx.now
    if request.at is not None and request.at < purchase.occurred_at:
        raise ValidationError("occurred_at", f"is before order {clean_order} was placed")
    if amount.currency != purchase.total.currency:
        raise ValidationError(
            "amount", f"must be in the order's currency {purchase.total.currency}"
        )
    if amount > purchase.refundable:
        raise ValidationError("amount", f"exceeds what is left to refund on order {clean_order}")
    refund = Refund(
        refund_id=clean_refund,
        order_id=clean_order,
        amount=amount,
        occurred_at=when,
        reason=request.reason,
        recorded_at=tx.now,
    )
    tx.uow.purchases.add_refund(refund)
    tx.emit(
        purchase.account_id,
        PurchaseRefunded,
        order_id=clean_order,
        refund_id=clean_refund,
        amount=amount,
    )
    publish(tx, RefundStored(purchase, refund))
    return refund


def check_replay(tx: Tx, refund_id: str, order_id: str, amount: Money | None) -> Refund | None:
    """Return the stored refund with this id, if its payload matches.

    Raises:
        IdempotencyConflict: the refund id was used with another order or amount.
    """
    previous = tx.uow.purchases.get_refund(refund_id)
    if previous is None:
        return None
    differing = [
        name
        for name, value in (("order_id", order_id), ("amount", amount))
        if value is not None and getattr(previous, name) != value
    ]
    if differing:
        raise IdempotencyConflict(refund_id, differing, what="refund")
    return previous
