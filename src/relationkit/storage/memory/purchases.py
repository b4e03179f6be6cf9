"""The memory backend's purchases and their refunds, with undo."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs
import pendulum

from relationkit.domain.purchases import Purchase, Refund
from relationkit.errors import DanglingReference, DuplicateKey
from relationkit.storage.memory.paging import page, sorted_once
from relationkit.storage.memory.undo import append_item, set_item

if TYPE_CHECKING:
    from relationkit.storage.memory.store import UnitOfWork

__all__ = ["MemoryPurchases"]


class MemoryPurchases:
    """``uow.purchases``: purchases by order id, indexed by account; refunds by id."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._u = uow
        self._t = uow.tables

    def add_many(self, purchases: Sequence[Purchase]) -> None:
        for purchase in purchases:
            if purchase.order_id in self._t.purchases:
                raise DuplicateKey("order_id")
            if purchase.account_id not in self._t.accounts:
                raise DanglingReference("account_id")
            set_item(self._t.purchases, purchase.order_id, self._u)
            self._t.purchases[purchase.order_id] = attrs.evolve(purchase, refunds=())
            owned = self._t.purchases_by_account[purchase.account_id]
            append_item(owned, self._u)
            owned.append(purchase.order_id)

    def get_many(self, order_ids: Sequence[str]) -> dict[str, Purchase]:
        found = (self._t.purchases.get(o) for o in order_ids)
        return {p.order_id: p for p in found if p is not None}

    def add_refund(self, refund: Refund) -> None:
        if refund.refund_id in self._t.refunds:
            raise DuplicateKey("refund_id")
        purchase = self._t.purchases.get(refund.order_id)
        if purchase is None:
            raise DanglingReference("order_id")
        set_item(self._t.refunds, refund.refund_id, self._u)
        self._t.refunds[refund.refund_id] = refund
        set_item(self._t.purchases, refund.order_id, self._u)
        refunds = sorted((*purchase.refunds, refund), key=lambda r: (r.occurred_at, r.refund_id))
        self._t.purchases[refund.order_id] = attrs.evolve(purchase, refunds=tuple(refunds))

    def get_refund(self, refund_id: str) -> Refund | None:
        return self._t.refunds.get(refund_id)

    def for_account(
        self,
        account_id: str,
        *,
        after: tuple[pendulum.DateTime, str] | None = None,
        limit: int | None = None,
    ) -> list[Purchase]:
        orders = self._t.purchases_by_account.get(account_id, [])
        purchases = self._t.purchases

        def build() -> list[tuple[pendulum.DateTime, str, str]]:
            # An order's time and id never change: the order is kept while the
            # account's list is (a move replaces the list; an insert grows it).
            return sorted((purchases[o].occurred_at, purchases[o].id, o) for o in orders)

        ordered = sorted_once(self._t, ("purchases", account_id), _stamp(orders), build)
        keys = page(ordered, lambda k: (k[0], k[1]), after, limit)
        return [purchases[o] for _, _, o in keys]


def _stamp(rows: list[str]) -> tuple[object, ...]:
    """What a sorted copy of ``rows`` was built from: the list, its length, its newest row.

    The newest row tells a list that grew again after a rollback from the
    one the copy was sorted from.
    """
    return (id(rows), len(rows), rows[-1] if rows else None)
