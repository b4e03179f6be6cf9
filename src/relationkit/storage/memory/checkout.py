"""The memory backend's holds and parked refunds, with undo."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pendulum

from relationkit.domain.holds import Hold
from relationkit.domain.parked import ParkedRefund
from relationkit.errors import DanglingReference, DuplicateKey
from relationkit.storage.memory.undo import set_item

if TYPE_CHECKING:
    from relationkit.storage.memory.store import UnitOfWork

__all__ = ["MemoryCheckout"]


class MemoryCheckout:
    """``uow.checkout`` (:class:`~relationkit.storage.ports.checkout.CheckoutRepository`)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._u = uow
        self._t = uow.tables

    def holds(self, hold_ids: Sequence[str]) -> dict[str, Hold]:
        found = (self._t.holds.get(i) for i in hold_ids)
        return {h.id: h for h in found if h is not None}

    def put_holds(self, holds: Sequence[Hold]) -> None:
        t, u = self._t, self._u
        for hold in holds:
            if hold.account_id not in t.accounts:
                raise DanglingReference("account_id")
            set_item(t.holds, hold.id, u)
            t.holds[hold.id] = hold

    def delete_holds(self, hold_ids: Sequence[str]) -> None:
        t, u = self._t, self._u
        for hold_id in hold_ids:
            if hold_id in t.holds:
                set_item(t.holds, hold_id, u)
                del t.holds[hold_id]

    def holds_of(self, account_ids: Sequence[str]) -> dict[str, list[Hold]]:
        found: dict[str, list[Hold]] = {a: [] for a in account_ids}
        for hold in sorted(self._t.holds.values(), key=lambda h: h.id):
            if hold.account_id in found:
                found[hold.account_id].append(hold)
        return found

    def _open(self, account_id: str) -> list[Hold]:
        return sorted(
            (h for h in self._t.holds.values() if h.account_id == account_id and h.open),
            key=lambda h: h.id,
        )

    def due_holds(self, account_id: str, as_of: pendulum.DateTime) -> list[Hold]:
        return [h for h in self._open(account_id) if h.expires_at <= as_of]

    def next_release(self, account_id: str) -> pendulum.DateTime | None:
        return min((h.expires_at for h in self._open(account_id)), default=None)

    def add_parked(self, refund: ParkedRefund) -> None:
        if refund.refund_id in self._t.parked_refunds:
            raise DuplicateKey("parked_refund")
        self.put_parked(refund)

    def put_parked(self, refund: ParkedRefund) -> None:
        set_item(self._t.parked_refunds, refund.refund_id, self._u)
        self._t.parked_refunds[refund.refund_id] = refund

    def parked(self, refund_ids: Sequence[str]) -> dict[str, ParkedRefund]:
        found = (self._t.parked_refunds.get(i) for i in refund_ids)
        return {p.refund_id: p for p in found if p is not None}

    def parked_for(self, order_ids: Sequence[str]) -> list[ParkedRefund]:
        wanted = set(order_ids)
        return sorted(
            (p for p in self._t.parked_refunds.values() if p.order_id in wanted),
            key=lambda p: (p.parked_at, p.refund_id),
        )

    def parked_page(
        self,
        *,
        after: tuple[pendulum.DateTime, str] | None = None,
        before: pendulum.DateTime | None = None,
        limit: int = 100,
    ) -> list[ParkedRefund]:
        rows = sorted(self._t.parked_refunds.values(), key=lambda p: (p.parked_at, p.refund_id))
        if after is not None:
            rows = [p for p in rows if (p.parked_at, p.refund_id) > after]
        if before is not None:
            rows = [p for p in rows if p.parked_at < before]
        return rows[: max(limit, 0)]

    def remove_parked(self, refund_ids: Sequence[str]) -> None:
        t, u = self._t, self._u
        for refund_id in refund_ids:
            if refund_id in t.parked_refunds:
                set_item(t.parked_refunds, refund_id, u)
                del t.parked_refunds[refund_id]
