"""Purchases, their lines and refunds, in SQL.

Writes are bulk: :meth:`SqlPurchases.add_many` is one executemany for the
purchases and one for all their lines, whatever the number of orders. Reads
load purchases, then their lines and refunds with one query each (per chunk of
order ids), and assemble them in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from relationkit.domain.purchases import LineItem, Purchase, Refund
from relationkit.errors import NotFound
from relationkit.storage.ports import SpendRow, chunked
from relationkit.storage.sql import rows
from relationkit.storage.sql.queries import Query
from relationkit.storage.sql.repositories import CHUNK, Repository

__all__ = ["SqlPurchases"]


class SqlPurchases(Repository):
    """Purchases (:class:`~relationkit.storage.ports.PurchaseRepository`)."""

    __slots__ = ()

    def add_many(self, purchases: Sequence[Purchase]) -> None:
        """Insert purchases and their lines: one executemany per table.

        Refunds on the given purchases are not stored (as on the memory
        backend): refunds come through :meth:`add_refund`.

        Raises:
            DuplicateKey: ``"order_id"`` for an order id already stored.
        """
        self._x.insert(self._i.purchases, [rows.purchase_row(p) for p in purchases])
        lines = [line for p in purchases for line in rows.line_rows(p)]
        self._x.insert(self._i.purchase_lines, lines)

    def get_many(self, order_ids: Sequence[str]) -> dict[str, Purchase]:
        """Return the purchases with these order ids, with lines and refunds.

        Three queries per chunk of :data:`CHUNK` order ids (one when none
        is stored).
        """
        q = self._q
        if len(order_ids) == 1:
            key = {"order_id": order_ids[0]}
            heads = self._x.rows(q.purchase, key)
            if not heads:
                return {}
            return self._assemble(heads, q.lines_of_order, q.refunds_of_order, key)
        found: dict[str, Purchase] = {}
        for chunk in chunked(list(dict.fromkeys(order_ids)), CHUNK):
            heads = self._x.rows(q.purchases, {"order_ids": chunk})
            if heads:
                keys = {"order_ids": [h.order_id for h in heads]}
                found.update(self._assemble(heads, q.lines_of_orders, q.refunds_of_orders, keys))
        return {o: found[o] for o in order_ids if o in found}

    def add_refund(self, refund: Refund) -> None:
        """Insert a refund.

        Raises:
            DuplicateKey: ``"refund_id"`` for a refund id already stored.
            NotFound: if no purchase has the refund's order id.
        """

        def dangling() -> Exception:
            return NotFound("purchase", refund.order_id)

        self._x.insert(self._i.refunds, [rows.refund_row(refund)], dangling=dangling)

    def get_refund(self, refund_id: str) -> Refund | None:
        """Return a refund by its id."""
        found = self._x.rows(self._q.refund, {"refund_id": refund_id})
        return rows.to_refund(found[0]) if found else None

    def for_account(self, account_id: str) -> list[Purchase]:
        """Return an account's purchases, in ``occurred_at`` then id order.

        Three queries whatever the number of purchases: lines and refunds are
        selected through a subquery on the account.
        """
        q = self._q
        key = {"account_id": account_id}
        heads = self._x.rows(q.purchases_of_account, key)
        if not heads:
            return []
        return list(self._assemble(heads, q.lines_of_account, q.refunds_of_account, key).values())

    def _assemble(
        self,
        heads: Sequence[Any],
        lines_query: Query,
        refunds_query: Query,
        params: Mapping[str, Any],
    ) -> dict[str, Purchase]:
        """Attach lines and refunds to purchase rows; keep the rows' order.

        Args:
            heads: the purchase rows.
            lines_query: the lines of these purchases, by order then position.
            refunds_query: their refunds, in insertion order.
            params: the parameters of both queries.
        """
        lines: defaultdict[str, list[LineItem]] = defaultdict(list)
        for row in self._x.rows(lines_query, params):
            lines[row.order_id].append(rows.to_line(row))
        refunds: defaultdict[str, list[Refund]] = defaultdict(list)
        for row in self._x.rows(refunds_query, params):
            refunds[row.order_id].append(rows.to_refund(row))
        return {
            h.order_id: rows.to_purchase(h, lines.get(h.order_id, ()), refunds.get(h.order_id, ()))
            for h in heads
        }

    def counts(self, account_ids: Sequence[str]) -> dict[str, int]:
        """Return how many purchases each of these accounts has (0 included).

        One GROUP BY query per chunk of :data:`CHUNK` accounts.
        """
        found: dict[str, int] = {}
        for chunk in chunked(list(dict.fromkeys(account_ids)), CHUNK):
            counted = self._x.rows(self._q.purchase_counts, {"account_ids": chunk})
            found.update((r.account_id, int(r.n)) for r in counted)
        return {a: found.get(a, 0) for a in account_ids}

    def spend(self, *, currency: str, limit: int) -> list[SpendRow]:
        """Return the accounts with the highest net spend in ``currency``.

        One aggregate query: purchases in ``currency`` joined to their refund
        totals, net = totals minus refunds, ordered by net spend descending,
        then account id.
        """
        return [
            SpendRow(
                account_id=r.account_id,
                currency=currency,
                # PostgreSQL sums BIGINT into NUMERIC: back to an exact int.
                net_minor=int(r.net_minor),
                orders=int(r.orders),
            )
            for r in self._x.rows(self._q.spend, {"currency": currency, "limit": max(limit, 0)})
        ]

    def count(self) -> int:
        """Return the number of purchases."""
        return int(self._x.scalar(self._q.purchase_count))
