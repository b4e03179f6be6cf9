"""The statements of purchases, their lines and their refunds, by order and by account."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from sqlalchemy import Insert, Select, String, bindparam, exists, insert, select

from relationkit.storage.sql.queries.statements._binds import many
from relationkit.storage.sql.schema.tables import Tables

__all__ = ["PurchaseStatements"]


class PurchaseStatements:
    """The statements of ``purchases``, ``purchase_lines`` and ``refunds``."""

    _t: Tables

    @cached_property
    def purchase(self) -> Select[Any]:
        """A purchase (without lines) by ``order_id``."""
        p = self._t.purchases
        return select(p).where(p.c.order_id == bindparam("order_id"))

    @cached_property
    def purchase_or_parked(self) -> Select[Any]:
        """:attr:`purchase` and whether refunds are parked for ``order_id``: always one row.

        The purchase's columns (all None when it is not stored), then a
        boolean ``parked``: one statement where a record would otherwise
        look the order up, then its parked refunds.
        """
        p, r = self._t.purchases, self._t.parked_refunds
        key = select(bindparam("order_id", type_=String()).label("k")).subquery()
        parked = exists().where(r.c.order_id == key.c.k).label("parked")
        return select(*p.c, parked).select_from(key.outerjoin(p, p.c.order_id == key.c.k))

    @cached_property
    def refund_insert(self) -> Insert:
        """Insert one refund, with its order's ``account_id`` read by the statement itself.

        Binds ``v_<column>`` for each of the refund's stored columns (the
        shape's rows, prefixed). An unknown order leaves ``account_id`` NULL
        and breaks the order's foreign key.
        """
        r, p = self._t.refunds, self._t.purchases
        values: dict[str, Any] = {
            c.key: bindparam(f"v_{c.key}", type_=c.type)
            for c in r.columns
            if c.key not in ("seq", "account_id")
        }
        values["account_id"] = (
            select(p.c.account_id)
            .where(p.c.order_id == bindparam("v_order_id", type_=r.c.order_id.type))
            .scalar_subquery()
        )
        return insert(r).values(values).inline()

    @cached_property
    def purchases(self) -> Select[Any]:
        """Purchases (without lines) by ``order_ids`` (expanding)."""
        p = self._t.purchases
        return select(p).where(p.c.order_id.in_(many("order_ids")))

    @cached_property
    def lines_of_order(self) -> Select[Any]:
        """The lines of ``order_id``, in order."""
        lt = self._t.purchase_lines
        return (
            select(lt)
            .where(lt.c.order_id == bindparam("order_id"))
            .order_by(lt.c.order_id, lt.c.position)
        )

    @cached_property
    def lines_of_orders(self) -> Select[Any]:
        """The lines of ``order_ids`` (expanding), by order then position."""
        lt = self._t.purchase_lines
        return (
            select(lt)
            .where(lt.c.order_id.in_(many("order_ids")))
            .order_by(lt.c.order_id, lt.c.position)
        )

    def _refunds(self) -> Select[Any]:
        r = self._t.refunds
        return select(r).order_by(r.c.occurred_at, r.c.refund_id)

    @cached_property
    def refunds_of_order(self) -> Select[Any]:
        """The refunds of ``order_id``, in ``occurred_at`` then refund id order."""
        r = self._t.refunds
        return self._refunds().where(r.c.order_id == bindparam("order_id"))

    @cached_property
    def refunds_of_orders(self) -> Select[Any]:
        """The refunds of ``order_ids`` (expanding), in ``occurred_at`` then refund id order."""
        r = self._t.refunds
        return self._refunds().where(r.c.order_id.in_(many("order_ids")))

    @cached_property
    def refund(self) -> Select[Any]:
        """A refund by ``refund_id``."""
        r = self._t.refunds
        return select(r).where(r.c.refund_id == bindparam("refund_id"))

    @cached_property
    def purchases_of_account(self) -> Select[Any]:
        """The purchases of ``account_id``, in ``occurred_at`` then id order."""
        p = self._t.purchases
        return (
            select(p)
            .where(p.c.account_id == bindparam("account_id"))
            .order_by(p.c.occurred_at, p.c.id)
        )

    def _orders_of_account(self) -> Any:
        p = self._t.purchases
        return (
            select(p.c.order_id).where(p.c.account_id == bindparam("account_id")).scalar_subquery()
        )

    @cached_property
    def lines_of_account(self) -> Select[Any]:
        """The lines of the purchases of ``account_id``, by order then position."""
        lt = self._t.purchase_lines
        return (
            select(lt)
            .where(lt.c.order_id.in_(self._orders_of_account()))
            .order_by(lt.c.order_id, lt.c.position)
        )

    @cached_property
    def refunds_of_account(self) -> Select[Any]:
        """The refunds of the purchases of ``account_id``."""
        r = self._t.refunds
        return self._refunds().where(r.c.order_id.in_(self._orders_of_account()))
