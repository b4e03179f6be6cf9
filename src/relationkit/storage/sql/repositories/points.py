"""The loyalty state kept beside the ledger, in SQL: state rows and open lots.

Both tables are derived (see :mod:`relationkit.domain.points`) and written in
the transaction that appends the entries they come from. Writes are upserts
by key, one executemany per call; reads go by account, a chunk of
:data:`~relationkit.storage.sql.repositories.CHUNK` accounts per query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pendulum
from sqlalchemy import Executable

from relationkit.domain.points import LotKey, OpenLot, PointsState
from relationkit.storage.ports.core import chunked
from relationkit.storage.sql.mapping import OPEN_LOT, POINTS_STATE, Shape
from relationkit.storage.sql.queries.points import Upsert
from relationkit.storage.sql.repositories import CHUNK
from relationkit.storage.sql.repositories.prefetch import PrefetchingRepository
from relationkit.storage.sql.types import to_utc

__all__ = ["SqlPoints"]


class SqlPoints(PrefetchingRepository):
    """State rows and open lots (:class:`~relationkit.storage.ports.PointsRepository`)."""

    __slots__ = ()

    def get_many(self, account_ids: Sequence[str]) -> dict[str, PointsState]:
        """Return the stored states of these accounts (those without one left out).

        States read with their account's lock in this transaction come from
        that read (see :mod:`~relationkit.storage.sql.repositories.prefetch`).
        """
        found: dict[str, PointsState] = {}
        load = POINTS_STATE.load
        wanted = list(dict.fromkeys(account_ids))
        prefetch = self._prefetch
        if prefetch is not None:
            prefetch.flag.used = True
            known = prefetch.rows
            for account_id in [a for a in wanted if a in known]:
                state = known[account_id]
                if state is not None:
                    found[account_id] = state
            wanted = [a for a in wanted if a not in known]
        for chunk in chunked(wanted, CHUNK):
            for row in self._x.rows(self._s.points.states, {"account_ids": list(chunk)}):
                found[row.account_id] = load(row)
        return {a: found[a] for a in account_ids if a in found}

    def put_many(self, states: Sequence[PointsState]) -> None:
        """Insert or replace the states of these accounts (the last one of an id wins).

        Raises:
            DanglingReference: ``"account_id"`` for an account not stored.
        """
        latest = {s.account_id: s for s in states}
        self._put(self._s.points.put_states, POINTS_STATE, [latest[k] for k in sorted(latest)])
        if self._prefetch is not None:
            self._prefetch.rows.update(latest)

    def open_lots(self, account_ids: Sequence[str]) -> dict[str, list[OpenLot]]:
        """Return the open lots of these accounts, each list in id order ([] if none)."""
        found: dict[str, list[OpenLot]] = {a: [] for a in account_ids}
        load = OPEN_LOT.load
        for chunk in chunked(list(dict.fromkeys(account_ids)), CHUNK):
            for row in self._x.rows(self._s.points.lots, {"account_ids": list(chunk)}):
                found[row.account_id].append(load(row))
        return found

    def put_lots(self, lots: Sequence[OpenLot]) -> None:
        """Insert or replace open lots by id (the last one of an id wins).

        Raises:
            DanglingReference: ``"account_id"`` for an account not stored.
        """
        latest = {lot.id: lot for lot in lots}
        self._put(self._s.points.put_lots, OPEN_LOT, [latest[k] for k in sorted(latest)])

    def close_lots(self, lot_ids: Sequence[str]) -> None:
        """Delete these open lots (unknown ids are ignored)."""
        for chunk in chunked(sorted(set(lot_ids)), CHUNK):
            self._x.write(self._s.points.close_lots, {"ids": list(chunk)})

    def spendable_lots(
        self, account_id: str, *, after: LotKey | None = None, limit: int = 50
    ) -> list[OpenLot]:
        """Return the account's non-pending lots in consumption order, after ``after``.

        Lots that expire come first (one indexed range), then lots that never
        expire (another): neither sorts more than the page it returns.
        """
        load = OPEN_LOT.load
        points = self._s.points
        found: list[OpenLot] = []
        if after is None or not after[0]:
            params: dict[str, Any] = {"account_id": account_id, "limit": limit}
            if after is None:
                params.update(first=True, f=None, i="")
            else:
                params.update(first=False, f=after[1], i=after[2])
            found = [load(row) for row in self._x.rows(points.spendable_expiring, params)]
            if len(found) == limit:
                return found
            params = {"account_id": account_id, "limit": limit - len(found)}
            params.update(first=True, f=None, i="")
        else:
            params = {"account_id": account_id, "limit": limit}
            params.update(first=False, f=after[1], i=after[2])
        found += [load(row) for row in self._x.rows(points.spendable_never, params)]
        return found

    def due_lots(self, account_id: str, as_of: pendulum.DateTime) -> list[OpenLot]:
        """Return the account's lots due by ``as_of`` (to unlock or to expire), by id."""
        load = OPEN_LOT.load
        params = {"account_id": account_id, "as_of": as_of}
        points = self._s.points
        found = [load(row) for row in self._x.rows(points.due_unlocks, params)]
        found += [load(row) for row in self._x.rows(points.due_expiries, params)]
        return sorted(found, key=lambda lot: lot.id)

    def lots_by_id(self, lot_ids: Sequence[str]) -> dict[str, OpenLot]:
        """Return the open lots among these ids, by id."""
        found: dict[str, OpenLot] = {}
        load = OPEN_LOT.load
        for chunk in chunked(sorted(set(lot_ids)), CHUNK):
            for row in self._x.rows(self._s.points.by_id, {"ids": list(chunk)}):
                lot = load(row)
                found[lot.id] = lot
        return found

    def lot_bounds(
        self, account_id: str
    ) -> tuple[pendulum.DateTime | None, pendulum.DateTime | None]:
        """Return the soonest unlock of pending lots and the soonest expiry of the others."""
        params = {"account_id": account_id}
        unlock = self._x.rows(self._s.points.next_unlock, params)
        expiry = self._x.rows(self._s.points.next_expiry, params)
        return (
            _utc(unlock[0][0]) if unlock else None,
            _utc(expiry[0][0]) if expiry else None,
        )

    def _put(self, upsert: Upsert, shape: Shape, models: Sequence[Any]) -> None:
        """Run the dialect's upsert of ``models`` (sorted by key: locks in one order)."""
        if not models:
            return
        rows = shape.rows(models)
        statements: tuple[Executable, ...] = upsert.statements(self._x.connection.dialect.name)
        if len(statements) > 1:  # DELETE by key, then INSERT
            gone = [{f"b_{k}": row[k] for k in upsert.key} for row in rows]
            self._x.write(statements[0], gone)
        self._x.write(statements[-1], rows, dangling="account_id")


def _utc(value: Any) -> pendulum.DateTime | None:
    """An aggregate's instant as an aware UTC DateTime (MIN() skips the column type)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return to_utc(value)
