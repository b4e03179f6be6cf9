"""Purchases, their lines and refunds, in SQL.

Writes are bulk: :meth:`SqlPurchases.add_many` is one executemany for the
purchases and one for all their lines, whatever the number of orders. Reads
load purchases, then their lines and refunds with one query each (per chunk of
order ids), and assemble them in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, func, select

from relationkit.domain.purchases import LineItem, Purchase, Refund
from relationkit.errors import NotFound
from relationkit.storage.ports import SpendRow, chunked
from relationkit.storage.sql import rows
from relationkit.storage.sql.bulk import Inserts
from relationkit.storage.sql.executor import Executor
from relationkit.storage.sql.repositories import CHUNK
from relationkit.storage.sql.tables import Tables

__all__ = ["SqlPurchases"]


class SqlPurchases:
    """Purchases (:class:`~relationkit.storage.ports.PurchaseRepository`)."""

    def __init__(self, executor: Executor, tables: Tables, inserts: Inserts) -> None:
        self._x = executor
        self._t = tables
        self._i = inserts

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

        Three queries per chunk of :data:`CHUNK` order ids.
        """
        p = self._t.purchases
        found: dict[str, Purchase] = {}
        for chunk in chunked(list(dict.fromkeys(order_ids)), CHUNK):
            heads = self._x.rows(select(p).where(p.c.order_id.in_(chunk)))
            if heads:
                orders = [h.order_id for h in heads]
                found.update(
                    self._assemble(
                        heads,
                        self._t.purchase_lines.c.order_id.in_(orders),
                        self._t.refunds.c.order_id.in_(orders),
                    )
                )
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
        r = self._t.refunds
        found = self._x.rows(select(r).where(r.c.refund_id == refund_id))
        return rows.to_refund(found[0]) if found else None

    def for_account(self, account_id: str) -> list[Purchase]:
        """Return an account's purchases, in ``occurred_at`` then id order.

        Three queries whatever the number of purchases: lines and refunds are
        selected through a subquery on the account.
        """
        p = self._t.purchases
        heads = self._x.rows(
            select(p).where(p.c.account_id == account_id).order_by(p.c.occurred_at, p.c.id)
        )
        if not heads:
            return []
        orders = select(p.c.order_id).where(p.c.account_id == account_id).scalar_subquery()
        assembled = self._assemble(
            heads,
            self._t.purchase_lines.c.order_id.in_(orders),
            self._t.refunds.c.order_id.in_(orders),
        )
        return list(assembled.values())

    def _assemble(
        self,
        heads: Sequence[Row[Any]],
        lines_where: ColumnElement[bool],
        refunds_where: ColumnElement[bool],
    ) -> dict[str, Purchase]:
        """Attach lines and refunds to purchase rows; keep the rows' order."""
        lt, rt = self._t.purchase_lines, self._t.refunds
        lines: defaultdict[str, list[LineItem]] = defaultdict(list)
        lines_stmt = select(lt).where(lines_where).order_by(lt.c.order_id, lt.c.position)
        for row in self._x.rows(lines_stmt):
            lines[row.order_id].append(rows.to_line(row))
        refunds: defaultdict[str, list[Refund]] = defaultdict(list)
        for row in self._x.rows(select(rt).where(refunds_where).order_by(rt.c.seq)):
            refunds[row.order_id].append(rows.to_refund(row))
        return {
            h.order_id: rows.to_purchase(h, lines.get(h.order_id, ()), refunds.get(h.order_id, ()))
            for h in heads
        }

    def counts(self, account_ids: Sequence[str]) -> dict[str, int]:
        """Return how many purchases each of these accounts has (0 included).

        One GROUP BY query per chunk of :data:`CHUNK` accounts.
        """
        p = self._t.purchases
        found: dict[str, int] = {}
        for chunk in chunked(list(dict.fromkeys(account_ids)), CHUNK):
            stmt = (
                select(p.c.account_id, func.count().label("n"))
                .where(p.c.account_id.in_(chunk))
                .group_by(p.c.account_id)
            )
            found.update((r.account_id, int(r.n)) for r in self._x.rows(stmt))
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
            for r in self._x.rows(self._spend_query(currency, limit))
        ]

    def _spend_query(self, currency: str, limit: int) -> Select[Any]:
        p, r = self._t.purchases, self._t.refunds
        refunded = (
            select(r.c.order_id, func.sum(r.c.amount_minor).label("refunded"))
            .group_by(r.c.order_id)
            .subquery("refunded")
        )
        net = func.sum(p.c.total_minor - func.coalesce(refunded.c.refunded, 0))
        return (
            select(
                p.c.account_id,
                net.label("net_minor"),
                func.count().label("orders"),
            )
            .select_from(p.outerjoin(refunded, refunded.c.order_id == p.c.order_id))
            .where(p.c.currency == currency)
            .group_by(p.c.account_id)
            .order_by(net.desc(), p.c.account_id)
            .limit(max(limit, 0))
        )

    def count(self) -> int:
        """Return the number of purchases."""
        return int(self._x.scalar(select(func.count()).select_from(self._t.purchases)))
