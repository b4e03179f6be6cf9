"""Recording orders inside a transaction: once per order id, one event per new purchase.

A draft whose order id is stored (or recorded earlier in the same batch)
replays it: the same payload changes nothing, another raises
:class:`~relationkit.errors.IdempotencyConflict`. New purchases are stored
together, each emits :class:`~relationkit.events.PurchaseRecorded`, and they
are published to the kit's reactions (lifecycle, loyalty) and to the refunds
parked for their orders, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from relationkit._tx import Tx
from relationkit.domain.purchases import Purchase, PurchaseRules
from relationkit.errors import IdempotencyConflict
from relationkit.events import PurchaseRecorded
from relationkit.services._buyers import resolve_buyers
from relationkit.services._checkout import hold_points
from relationkit.services._drafts import Draft
from relationkit.services._parked import apply_parked
from relationkit.services._people import People
from relationkit.services._reactions import PurchasesStored, Reactions

__all__ = ["OrderRecorder"]


class OrderRecorder:
    """Record order drafts in a transaction, for ``record`` and ``record_many``.

    Args:
        people: finds or creates the buyers.
        reactions: the kit's reactions to new purchases.
        rules: the date rules orders are checked against.
    """

    def __init__(self, people: People, reactions: Reactions, rules: PurchaseRules) -> None:
        self._people = people
        self._reactions = reactions
        self._rules = rules

    def record(self, tx: Tx, drafts: Sequence[Draft]) -> tuple[list[tuple[Purchase, bool]], int]:
        """Record drafts in ``tx``.

        Returns:
            Each stored purchase with whether it is new, and the number of
            customers created on the way.
        """
        customers, created = resolve_buyers(tx, self._people, drafts)
        stored = tx.uow.purchases.get_many(sorted({d.order_id for d in drafts}))
        fresh: dict[str, Purchase] = {}
        outcome: list[tuple[Purchase, bool]] = []
        for req, customer in zip(drafts, customers, strict=True):
            existing = stored.get(req.order_id) or fresh.get(req.order_id)
            if existing is not None:
                differing = req.differences(existing, customer.id)
                if differing:
                    raise IdempotencyConflict(req.order_id, differing, what="order")
                outcome.append((existing, False))
                continue
            self._rules.check(req.occurred_at, tx.now, f"{req.label}occurred_at")
            purchase = Purchase(
                id=tx.ids.new("pur"),
                order_id=req.order_id,
                account_id=customer.account_id,
                customer_id=customer.id,
                occurred_at=req.occurred_at,
                total=req.total,
                lines=req.lines,
                points_used=hold_points(tx, req.hold_id, req.points_used),
                recorded_at=tx.now,
                hold_id=req.hold_id,
            )
            fresh[req.order_id] = purchase
            outcome.append((purchase, True))
        if not fresh:
            return outcome, created
        new = list(fresh.values())
        tx.accounts([p.account_id for p in new])
        tx.uow.purchases.add_many(new)
        for purchase in new:
            tx.emit(
                purchase.account_id,
                PurchaseRecorded,
                order_id=purchase.order_id,
                purchase_id=purchase.id,
                customer_id=purchase.customer_id,
                total=purchase.total,
                purchased_at=purchase.occurred_at,
            )
        self._reactions.publish(tx, PurchasesStored(new))
        apply_parked(tx, new, publish=self._reactions.publish)
        return outcome, created
