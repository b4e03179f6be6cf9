"""Holds and parked refunds in SQL: the checkout repository of the SQL unit of work.

Holds are derived state (see :mod:`relationkit.domain.holds`), upserted by id
in the transaction that appends the ledger entries they come from; the
reads by account go through the ``(account_id, status, expires_at)`` index.
Parked refunds are keyed by refund id, found by order id on arrival and
paged by ``(parked_at, refund_id)``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import pendulum
from sqlalchemy import Executable, Select, Table, and_, bindparam, delete, or_, select

from relationkit.domain.holds import Hold, HoldStatus
from relationkit.domain.parked import ParkedRefund
from relationkit.errors import DuplicateKey
from relationkit.storage.ports.core import chunked
from relationkit.storage.sql.execution import Executor
from relationkit.storage.sql.mapping import HOLD, PARKED_REFUND
from relationkit.storage.sql.queries.points import Upsert
from relationkit.storage.sql.repositories import CHUNK
from relationkit.storage.sql.schema.tables import Tables

__all__ = ["SqlCheckout"]

_HELD = HoldStatus.HELD.value


def _many(name: str) -> Any:
    return bindparam(name, expanding=True)


class SqlCheckout:
    """``uow.checkout`` in SQL; statements are built on first use."""

    def __init__(
        self, executor: Executor, tables: Tables, *, parked_absent: set[str] | None = None
    ) -> None:
        self._x = executor
        self._t = tables
        # Order ids the transaction's purchases lookup saw no parked refund
        # for (serial writes only: nothing can be parked for them meanwhile).
        self._parked_absent = parked_absent

    # -- statements ------------------------------------------------------------

    @cached_property
    def _hold_upsert(self) -> Upsert:
        return Upsert(self._t.holds, ("id",))

    @cached_property
    def _parked_upsert(self) -> Upsert:
        return Upsert(self._t.parked_refunds, ("refund_id",))

    @cached_property
    def _holds_by_id(self) -> Select[Any]:
        h = self._t.holds
        return select(h).where(h.c.id.in_(_many("ids")))

    @cached_property
    def _holds_of(self) -> Select[Any]:
        h = self._t.holds
        return select(h).where(h.c.account_id.in_(_many("ids"))).order_by(h.c.account_id, h.c.id)

    @cached_property
    def _due(self) -> Select[Any]:
        h = self._t.holds
        return (
            select(h)
            .where(
                h.c.account_id == bindparam("account_id"),
                h.c.status == _HELD,
                h.c.expires_at <= bindparam("as_of", type_=h.c.expires_at.type),
            )
            .order_by(h.c.id)
        )

    @cached_property
    def _next_release(self) -> Select[Any]:
        h = self._t.holds
        return (
            select(h.c.expires_at)
            .where(h.c.account_id == bindparam("account_id"), h.c.status == _HELD)
            .order_by(h.c.expires_at)
            .limit(1)
        )

    # -- holds -----------------------------------------------------------------

    def holds(self, hold_ids: Sequence[str]) -> dict[str, Hold]:
        """Return the holds among these ids, by id (one query per chunk)."""
        found: dict[str, Hold] = {}
        for chunk in chunked(sorted(set(hold_ids)), CHUNK):
            for row in self._x.rows(self._holds_by_id, {"ids": list(chunk)}):
                hold = HOLD.load(row)
                found[hold.id] = hold
        return found

    def put_holds(self, holds: Sequence[Hold]) -> None:
        """Insert or replace holds by id (sorted: locks in one order).

        Raises:
            DanglingReference: ``"account_id"``.
        """
        latest = {h.id: h for h in holds}
        self._put(self._hold_upsert, HOLD.rows([latest[k] for k in sorted(latest)]))

    def delete_holds(self, hold_ids: Sequence[str]) -> None:
        """Delete these holds (unknown ids ignored)."""
        h = self._t.holds
        for chunk in chunked(sorted(set(hold_ids)), CHUNK):
            self._x.write(delete(h).where(h.c.id.in_(list(chunk))))

    def holds_of(self, account_ids: Sequence[str]) -> dict[str, list[Hold]]:
        """Return every hold of these accounts, by account, each in id order."""
        found: dict[str, list[Hold]] = {a: [] for a in account_ids}
        for chunk in chunked(list(dict.fromkeys(account_ids)), CHUNK):
            for row in self._x.rows(self._holds_of, {"ids": list(chunk)}):
                found[row.account_id].append(HOLD.load(row))
        return found

    def due_holds(self, account_id: str, as_of: pendulum.DateTime) -> list[Hold]:
        """Return the account's open holds lapsed by ``as_of``, in id order."""
        rows = self._x.rows(self._due, {"account_id": account_id, "as_of": as_of})
        return [HOLD.load(row) for row in rows]

    def next_release(self, account_id: str) -> pendulum.DateTime | None:
        """Return the soonest lapse of the account's open holds."""
        rows = self._x.rows(self._next_release, {"account_id": account_id})
        return rows[0][0] if rows else None

    # -- parked refunds ----------------------------------------------------------

    def add_parked(self, refund: ParkedRefund) -> None:
        """Park a refund.

        Raises:
            DuplicateKey: ``"parked_refund"`` for a refund id parked already.
        """
        if self.parked([refund.refund_id]):
            raise DuplicateKey("parked_refund")
        if self._parked_absent is not None:
            self._parked_absent.discard(refund.order_id)
        self._x.write(self._t.parked_refunds.insert(), PARKED_REFUND.rows([refund]))

    def put_parked(self, refund: ParkedRefund) -> None:
        """Replace a parked refund by refund id."""
        if self._parked_absent is not None:
            self._parked_absent.discard(refund.order_id)
        self._put(self._parked_upsert, PARKED_REFUND.rows([refund]))

    def parked(self, refund_ids: Sequence[str]) -> dict[str, ParkedRefund]:
        """Return the parked refunds among these refund ids."""
        p = self._t.parked_refunds
        found: dict[str, ParkedRefund] = {}
        for chunk in chunked(sorted(set(refund_ids)), CHUNK):
            stmt = select(p).where(p.c.refund_id.in_(bindparam("keys", expanding=True)))
            for row in self._x.rows(stmt, {"keys": list(chunk)}):
                parked = PARKED_REFUND.load(row)
                found[parked.refund_id] = parked
        return found

    def parked_for(self, order_ids: Sequence[str]) -> list[ParkedRefund]:
        """Return the refunds parked for these orders, by ``(parked_at, refund_id)``.

        Asked for every order recorded: one order (the usual case) is one
        equality on the ``order_id`` index, a batch one IN list per chunk;
        both statements are built once per table.
        """
        one, many = _parked_for(self._t.parked_refunds)
        wanted = sorted(set(order_ids))
        absent = self._parked_absent
        if absent is not None:
            wanted = [o for o in wanted if o not in absent]
        found: list[ParkedRefund] = []
        if not wanted:
            return found
        if len(wanted) == 1:
            rows = self._x.rows(one, {"order_id": wanted[0]})
            found = [PARKED_REFUND.load(row) for row in rows]
        else:
            for chunk in chunked(wanted, CHUNK):
                rows = self._x.rows(many, {"order_ids": list(chunk)})
                found += [PARKED_REFUND.load(row) for row in rows]
        return sorted(found, key=lambda r: (r.parked_at, r.refund_id))

    def parked_page(
        self,
        *,
        after: tuple[pendulum.DateTime, str] | None = None,
        before: pendulum.DateTime | None = None,
        limit: int = 100,
    ) -> list[ParkedRefund]:
        """Return a page of parked refunds, oldest first (one indexed range)."""
        p = self._t.parked_refunds
        statement = select(p).order_by(p.c.parked_at, p.c.refund_id).limit(max(limit, 0))
        if after is not None:
            statement = statement.where(
                or_(
                    p.c.parked_at > after[0],
                    and_(p.c.parked_at == after[0], p.c.refund_id > after[1]),
                )
            )
        if before is not None:
            statement = statement.where(p.c.parked_at < before)
        return [PARKED_REFUND.load(row) for row in self._x.rows(statement)]

    def remove_parked(self, refund_ids: Sequence[str]) -> None:
        """Delete these parked refunds (unknown ids ignored)."""
        p = self._t.parked_refunds
        for chunk in chunked(sorted(set(refund_ids)), CHUNK):
            self._x.write(delete(p).where(p.c.refund_id.in_(list(chunk))))

    def _put(self, upsert: Upsert, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        statements: tuple[Executable, ...] = upsert.statements(self._x.connection.dialect.name)
        if len(statements) > 1:  # DELETE by key, then INSERT
            gone = [{f"b_{k}": row[k] for k in upsert.key} for row in rows]
            self._x.write(statements[0], gone)
        self._x.write(statements[-1], rows, dangling="account_id")


@functools.cache
def _parked_for(p: Table) -> tuple[Select[Any], Select[Any]]:
    """The statements of :meth:`SqlCheckout.parked_for`: one order, and many."""
    one = select(p).where(p.c.order_id == bindparam("order_id"))
    many = select(p).where(p.c.order_id.in_(bindparam("order_ids", expanding=True)))
    return one, many
