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

import pendulum
from sqlalchemy import Select

from relationkit.domain.purchases import LineItem, Purchase, Refund
from relationkit.storage.ports.core import chunked
from relationkit.storage.sql.execution import Executor
from relationkit.storage.sql.mapping import LINE, PURCHASE, REFUND
from relationkit.storage.sql.queries.statements import Statements
from relationkit.storage.sql.repositories import CHUNK, Repository, page_params
from relationkit.storage.sql.schema.tables import Tables

__all__ = ["SqlPurchases"]


class SqlPurchases(Repository):
    """Purchases (:class:`~relationkit.storage.ports.PurchaseRepository`)."""

    __slots__ = ("_parked_absent",)

    def __init__(
        self,
        executor: Executor,
        tables: Tables,
        statements: Statements,
        *,
        parked_absent: set[str] | None = None,
    ) -> None:
        super().__init__(executor, tables, statements)
        self._parked_absent = parked_absent
        """Order ids seen to have no parked refund, if the transaction has serial writes.

        Shared with the transaction's ``checkout``, which then needs no
        query for them (see :meth:`SqlCheckout.parked_for`).
        """

    def add_many(self, purchases: Sequence[Purchase]) -> None:
        """Insert purchases and their lines: one executemany per table.

        Refunds on the given purchases are not stored (as on the memory
        backend): refunds come through :meth:`add_refund`.

        Raises:
            DuplicateKey: ``"order_id"`` for an order id already stored.
            DanglingReference: ``"account_id"`` for an account not stored.
        """
        inserts = self._s.inserts
        self._x.insert(inserts["purchases"], PURCHASE.rows(purchases), dangling="account_id")
        self._x.insert(inserts["purchase_lines"], LINE.rows(purchases), dangling="order_id")

    def get_many(self, order_ids: Sequence[str]) -> dict[str, Purchase]:
        """Return the purchases with these order ids, with lines and refunds.

        Three queries per chunk of :data:`CHUNK` order ids (one when none
        is stored).
        """
        s = self._s
        if len(order_ids) == 1:
            key = {"order_id": order_ids[0]}
            absent = self._parked_absent
            if absent is None:
                heads = self._x.rows(s.purchase, key)
            else:
                (head,) = self._x.rows(s.purchase_or_parked, key)
                if head.parked:
                    absent.discard(order_ids[0])
                else:
                    absent.add(order_ids[0])
                heads = [head] if head.id is not None else []
            if not heads:
                return {}
            return self._assemble(heads, s.lines_of_order, s.refunds_of_order, key)
        found: dict[str, Purchase] = {}
        for chunk in chunked(list(dict.fromkeys(order_ids)), CHUNK):
            heads = self._x.rows(s.purchases, {"order_ids": list(chunk)})
            if heads:
                keys = {"order_ids": [h.order_id for h in heads]}
                found.update(self._assemble(heads, s.lines_of_orders, s.refunds_of_orders, keys))
        return {o: found[o] for o in order_ids if o in found}

    def add_refund(self, refund: Refund) -> None:
        """Insert a refund.

        Raises:
            DuplicateKey: ``"refund_id"`` for a refund id already stored.
            DanglingReference: ``"order_id"`` if no purchase has the refund's order id.
        """
        row = {f"v_{k}": v for k, v in REFUND.rows([refund])[0].items()}
        self._x.write(self._s.refund_insert, row, dangling="order_id")

    def get_refund(self, refund_id: str) -> Refund | None:
        """Return a refund by its id."""
        found = self._x.rows(self._s.refund, {"refund_id": refund_id})
        return REFUND.load(found[0]) if found else None

    def for_account(
        self,
        account_id: str,
        *,
        after: tuple[pendulum.DateTime, str] | None = None,
        limit: int | None = None,
    ) -> list[Purchase]:
        """Return an account's purchases, in ``occurred_at`` then id order.

        ``after`` is the ``(occurred_at, id)`` of the previous page's last
        purchase; ``limit`` caps the page. The whole list is three queries
        (lines and refunds through a subquery on the account); a page is one
        query plus lines and refunds of its orders, a chunk per query.
        """
        s = self._s
        key = {"account_id": account_id}
        if after is None and limit is None:
            heads = self._x.rows(s.purchases_of_account, key)
            if not heads:
                return []
            found = self._assemble(heads, s.lines_of_account, s.refunds_of_account, key)
            return list(found.values())
        params = page_params(key, after, limit)
        stmt = s.pages.of("purchases", after=after is not None, limited=limit is not None)
        heads = self._x.rows(stmt, params)
        page: dict[str, Purchase] = {}
        for chunk in chunked([h.order_id for h in heads], CHUNK):
            wanted = set(chunk)
            part = [h for h in heads if h.order_id in wanted]
            keys = {"order_ids": list(chunk)}
            page.update(self._assemble(part, s.lines_of_orders, s.refunds_of_orders, keys))
        return [page[h.order_id] for h in heads]

    def _assemble(
        self,
        heads: Sequence[Any],
        lines_query: Select[Any],
        refunds_query: Select[Any],
        params: Mapping[str, Any],
    ) -> dict[str, Purchase]:
        """Attach lines and refunds to purchase rows; keep the rows' order."""
        lines: defaultdict[str, list[LineItem]] = defaultdict(list)
        load_line, load_refund = LINE.load, REFUND.load
        for row in self._x.rows(lines_query, params):
            lines[row.order_id].append(load_line(row))
        refunds: defaultdict[str, list[Refund]] = defaultdict(list)
        for row in self._x.rows(refunds_query, params):
            refunds[row.order_id].append(load_refund(row))
        load = PURCHASE.load
        return {
            h.order_id: load(h, lines.get(h.order_id, ()), refunds.get(h.order_id, ()))
            for h in heads
        }
