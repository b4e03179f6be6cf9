"""Reference :class:`~relationkit.storage.ports.purchase_reads.PurchaseReads` over the core port.

Reads the account's purchases a page at a time (``purchases.for_account``),
so memory holds one page whatever the history; the rules are those of
:mod:`relationkit.storage.ports.purchase_reads`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pendulum

from relationkit.domain.purchases import Purchase
from relationkit.storage.ports.core import UnitOfWork
from relationkit.storage.ports.queries import SpendRow

__all__ = ["ReferencePurchaseReads"]

_PAGE = 500


class ReferencePurchaseReads:
    """Customer purchases and account spend from the core repositories.

    Args:
        uow: the transaction's unit of work.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def _walk(
        self, account_id: str, after: tuple[pendulum.DateTime, str] | None
    ) -> Iterator[Purchase]:
        cursor = after
        while True:
            page = self._uow.purchases.for_account(account_id, after=cursor, limit=_PAGE)
            yield from page
            if len(page) < _PAGE:
                return
            cursor = (page[-1].occurred_at, page[-1].id)

    def customer_purchases(
        self,
        customer_id: str,
        account_id: str,
        *,
        after: tuple[pendulum.DateTime, str] | None = None,
        limit: int | None = None,
    ) -> list[Purchase]:
        """See :class:`~relationkit.storage.ports.purchase_reads.PurchaseReads`."""
        found: list[Purchase] = []
        if limit is not None and limit <= 0:
            return found
        for purchase in self._walk(account_id, after):
            if purchase.customer_id == customer_id:
                found.append(purchase)
                if limit is not None and len(found) == limit:
                    break
        return found

    def account_spend(
        self,
        account_id: str,
        *,
        start: pendulum.DateTime | None = None,
        end: pendulum.DateTime | None = None,
    ) -> list[SpendRow]:
        """See :class:`~relationkit.storage.ports.purchase_reads.PurchaseReads`."""
        net: dict[str, int] = {}
        orders: dict[str, int] = {}
        # Every id sorts after "": the walk starts at ``start`` itself.
        for p in self._walk(account_id, (start, "") if start is not None else None):
            if end is not None and p.occurred_at >= end:
                break
            code = p.total.currency
            net[code] = net.get(code, 0) + p.total.minor - sum(r.amount.minor for r in p.refunds)
            orders[code] = orders.get(code, 0) + 1
        return [
            SpendRow(account_id=account_id, currency=c, net_minor=net[c], orders=orders[c])
            for c in sorted(net)
        ]
