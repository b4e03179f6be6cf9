"""A person's records in SQL: moving them to another account, listing them, an account's spend.

- :meth:`PersonRecords.move` is two set-based UPDATEs (purchases, then
  interactions) keyed on the old account and the customer, on the
  ``(account_id, ...)`` indexes: the write touches the old account's rows,
  never the whole table, and no row goes through Python.
- :meth:`PersonRecords.customer_order_ids` pages the customer's purchases of
  their account in ``(occurred_at, id)`` order (keyset, on the account's
  index).
- :meth:`PersonRecords.account_spend` is one GROUP BY currency over the
  account's purchases, each net of its refunds (a correlated subquery on
  the refunds' ``order_id`` index).
"""

from __future__ import annotations

from typing import Any

import pendulum
from sqlalchemy import Select, bindparam, func, select, update

from relationkit.storage.ports.moves import MovedRecords
from relationkit.storage.ports.queries import SpendRow
from relationkit.storage.sql.execution import Executor
from relationkit.storage.sql.queries.pages import seek_after
from relationkit.storage.sql.schema.tables import Tables

__all__ = ["PersonRecords"]


class PersonRecords:
    """The statements of :mod:`~relationkit.storage.ports.moves` and
    :mod:`~relationkit.storage.ports.purchase_reads` for a SQL unit of work.

    Args:
        tables: the store's tables.
    """

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def move(
        self, x: Executor, customer_id: str, from_account_id: str, to_account_id: str
    ) -> MovedRecords:
        """Give the customer's purchases (with their refunds) and interactions to another account.

        Raises:
            DanglingReference: ``"account_id"`` if the new account is not stored.
        """
        counts = []
        for t in (self._t.purchases, self._t.interactions):
            values: dict[str, Any] = {"account_id": to_account_id}
            if t is self._t.purchases:
                # The points stay in the ledger that holds them: remember it once.
                values["points_account_id"] = func.coalesce(t.c.points_account_id, t.c.account_id)
            stmt = (
                update(t)
                .where(t.c.account_id == from_account_id, t.c.customer_id == customer_id)
                .values(values)
            )
            counts.append(max(x.write(stmt, None, dangling="account_id"), 0))
        # Refunds keep their order's account (the timeline pages them by it).
        r, p = self._t.refunds, self._t.purchases
        moved = select(p.c.order_id).where(
            p.c.account_id == to_account_id, p.c.customer_id == customer_id
        )
        x.write(
            update(r)
            .where(r.c.account_id == from_account_id, r.c.order_id.in_(moved))
            .values(account_id=to_account_id)
        )
        return MovedRecords(purchases=counts[0], interactions=counts[1])

    def customer_order_ids(
        self,
        x: Executor,
        customer_id: str,
        account_id: str,
        *,
        after: tuple[pendulum.DateTime, str] | None,
        limit: int | None,
    ) -> list[str]:
        """Return the order ids of a page of the customer's purchases, in page order."""
        p = self._t.purchases
        at, row_id = p.c.occurred_at, p.c.id
        stmt: Select[Any] = select(p.c.order_id).where(
            p.c.account_id == account_id, p.c.customer_id == customer_id
        )
        if after is not None:
            after_at = bindparam("after_at", after[0], type_=at.type)
            stmt = stmt.where(*seek_after(at, row_id, after_at, after[1]))
        stmt = stmt.order_by(at, row_id)
        if limit is not None:
            stmt = stmt.limit(max(limit, 0))
        return [r.order_id for r in x.rows(stmt)]

    def account_spend(
        self,
        x: Executor,
        account_id: str,
        *,
        start: pendulum.DateTime | None,
        end: pendulum.DateTime | None,
    ) -> list[SpendRow]:
        """Return the account's net spend per currency, in currency order (one query)."""
        p, r = self._t.purchases, self._t.refunds
        refunded = (
            select(func.coalesce(func.sum(r.c.amount_minor), 0))
            .where(r.c.order_id == p.c.order_id)
            .scalar_subquery()
        )
        net = func.coalesce(func.sum(p.c.total_minor - refunded), 0)
        stmt: Select[Any] = select(
            p.c.currency, net.label("net_minor"), func.count().label("orders")
        ).where(p.c.account_id == account_id)
        at = p.c.occurred_at
        if start is not None:
            stmt = stmt.where(at >= bindparam("start", start, type_=at.type))
        if end is not None:
            stmt = stmt.where(at < bindparam("end", end, type_=at.type))
        stmt = stmt.group_by(p.c.currency).order_by(p.c.currency)
        return [
            SpendRow(
                account_id=account_id,
                currency=row.currency,
                # PostgreSQL sums BIGINT into NUMERIC: back to an exact int.
                net_minor=int(row.net_minor),
                orders=int(row.orders),
            )
            for row in x.rows(stmt)
        ]
