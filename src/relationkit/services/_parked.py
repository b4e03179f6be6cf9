"""Refunds that arrive before their order: parked in the store, applied when it is recorded.

``kit.purchases.refund(..., park_if_unknown=True)`` parks a refund whose
order is not stored yet (:func:`park`), once per refund id: a retry with the
same payload returns the parked refund. Recording the order (``record`` or
``record_many``) applies its parked refunds in the same transaction
(:func:`apply_parked`), oldest first, exactly as a refund arriving then
would be applied (its :class:`~relationkit.events.PurchaseRefunded` event,
its points reversal), and removes them. A parked refund the order refuses
(another currency, more than is left, dated before the order) stays parked
with its ``problem`` noted, for the host to look at and discard.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from relationkit._tx import Tx
from relationkit.domain.parked import ParkedRefund
from relationkit.domain.purchases import Purchase
from relationkit.errors import IdempotencyConflict, ValidationError
from relationkit.services._checkout import checkout, has_checkout
from relationkit.services._refunds import RefundRequest, check_replay, store_refund

__all__ = ["apply_parked", "park"]


def park(tx: Tx, request: RefundRequest) -> ParkedRefund | None:
    """Park ``request`` if its order is unknown; return None when the order exists.

    Raises:
        IdempotencyConflict: the refund id is stored on another order, or
            parked with another order, amount or date.
        StorageError: the backend keeps no parked refunds.
    """
    if tx.uow.purchases.get_many([request.order_id]).get(request.order_id) is not None:
        return None
    # A refund id already applied to another order is a conflict, as for refund().
    check_replay(tx, request.refund_id, request.order_id, request.amount)
    repo = checkout(tx)
    previous = repo.parked([request.refund_id]).get(request.refund_id)
    if previous is not None:
        differing = [
            name
            for name, ours, theirs in (
                ("order_id", request.order_id, previous.order_id),
                ("amount", request.amount, previous.amount),
                ("occurred_at", request.at, previous.occurred_at),
            )
            if ours != theirs
        ]
        if differing:
            raise IdempotencyConflict(request.refund_id, differing, what="refund")
        return previous
    parked = ParkedRefund(
        refund_id=request.refund_id,
        order_id=request.order_id,
        amount=request.amount,
        occurred_at=request.at,
        reason=request.reason,
        parked_at=tx.now,
    )
    repo.add_parked(parked)
    return parked


def apply_parked(
    tx: Tx, purchases: Sequence[Purchase], *, publish: Callable[[Tx, object], None]
) -> None:
    """Apply the refunds parked for these newly stored purchases, then remove them."""
    if not purchases or not has_checkout(tx):
        return
    repo = checkout(tx)
    waiting = repo.parked_for([p.order_id for p in purchases])
    applied: list[str] = []
    for parked in waiting:
        request = RefundRequest(
            refund_id=parked.refund_id,
            order_id=parked.order_id,
            amount=parked.amount,
            at=parked.occurred_at,
            reason=parked.reason,
        )
        try:
            store_refund(tx, request, publish=publish)
        except (ValidationError, IdempotencyConflict) as refused:
            # Checked before the refund writes anything: the order stays
            # recorded, the refund stays parked with the reason.
            repo.put_parked(attrs.evolve(parked, problem=str(refused)))
            continue
        applied.append(parked.refund_id)
    if applied:
        repo.remove_parked(applied)
