"""Filling the loyalty state tables from the ledgers, for the schema-3 migration.

Every account's entries are folded in ``seq`` order exactly as the services
fold them (:meth:`~relationkit.domain.ledger.LedgerState.apply`, then
:func:`~relationkit.domain.points.derive` and
:func:`~relationkit.domain.points.open_lots_of`), and one state row plus the
open lots are written per account that has entries. The ledger is read in
pages of :data:`PAGE` entries ordered by ``(account_id, seq)`` (keyset
pagination on the unique ``(account_id, seq)`` index) and the state is
written in batches, so memory holds one page and one account's open lots,
never the whole ledger, however long an account's history.

The tables are described here as they are at schema version 3 (lightweight
``sa.table`` objects): this module belongs to that revision and must not
follow later changes of :mod:`~relationkit.storage.sql.mapping`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from relationkit.domain.ledger import Allocation, EntryKind, LedgerEntry, LedgerState
from relationkit.domain.points import derive, open_lots_of
from relationkit.storage.sql.types import UtcDateTime

__all__ = ["PAGE", "fill"]

PAGE = 2000
"""Ledger entries read per query."""
_CHUNK = 500
_T = UtcDateTime


def _tables(prefix: str) -> dict[str, sa.TableClause]:
    c = sa.column
    return {
        "entries": sa.table(
            f"{prefix}ledger_entries",
            *(c(n) for n in ("id", "account_id", "seq", "kind", "points", "lot_id")),
            *(c(n, _T()) for n in ("at", "recorded_at", "expires_at", "available_at")),
            *(c(n) for n in ("source", "reason", "idempotency_key", "debt")),
        ),
        "allocations": sa.table(
            f"{prefix}ledger_allocations",
            *(c(n) for n in ("entry_id", "position", "lot_id", "points")),
        ),
        "states": sa.table(
            f"{prefix}points_state",
            *(c(n) for n in ("account_id", "last_seq", "balance", "pending", "debt", "earned")),
            *(c(n, _T()) for n in ("next_activation", "next_expiry", "next_due")),
        ),
        "lots": sa.table(
            f"{prefix}open_lots",
            *(c(n) for n in ("id", "account_id", "pending", "points", "remaining", "source")),
            *(c(n, _T()) for n in ("at", "expires_at", "available_at")),
        ),
    }


def _earned(entry: LedgerEntry) -> int:
    """What the entry adds to the points earned over the account's life."""
    if entry.kind in (EntryKind.EARN, EntryKind.ACTIVATE):
        return entry.points
    if entry.kind is EntryKind.REVERSE and entry.points < 0:
        return entry.points
    return 0


def _entries(connection: Connection, t: dict[str, sa.TableClause]) -> Iterator[LedgerEntry]:
    """Yield every entry in ``(account_id, seq)`` order, a page at a time."""
    e, a = t["entries"], t["allocations"]
    after: tuple[str, int] | None = None
    while True:
        page = sa.select(e).order_by(e.c.account_id, e.c.seq).limit(PAGE)
        if after is not None:
            page = page.where(
                sa.or_(
                    e.c.account_id > after[0],
                    sa.and_(e.c.account_id == after[0], e.c.seq > after[1]),
                )
            )
        rows = connection.execute(page).all()
        if not rows:
            return
        taken: defaultdict[str, list[Allocation]] = defaultdict(list)
        for chunk in _chunks([r.id for r in rows]):
            found = connection.execute(
                sa.select(a).where(a.c.entry_id.in_(chunk)).order_by(a.c.entry_id, a.c.position)
            )
            for row in found:
                taken[row.entry_id].append(Allocation(lot_id=row.lot_id, points=int(row.points)))
        for r in rows:
            yield LedgerEntry(
                id=r.id,
                account_id=r.account_id,
                seq=int(r.seq),
                kind=EntryKind(r.kind),
                points=int(r.points),
                at=r.at,
                recorded_at=r.recorded_at,
                lot_id=r.lot_id,
                expires_at=r.expires_at,
                available_at=r.available_at,
                source=r.source,
                reason=r.reason,
                idempotency_key=r.idempotency_key,
                allocations=tuple(taken.get(r.id, ())),
                debt=int(r.debt),
            )
        after = (rows[-1].account_id, int(rows[-1].seq))


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


def fill(connection: Connection, prefix: str) -> int:
    """Write the state row and open lots of every account that has ledger entries.

    Args:
        connection: a connection inside the migration's transaction.
        prefix: the tables' prefix.

    Returns:
        How many accounts got a state row.
    """
    t = _tables(prefix)
    states: list[dict[str, Any]] = []
    lots: list[dict[str, Any]] = []
    accounts = 0

    def flush(force: bool) -> None:
        if states and (force or len(states) >= _CHUNK):
            connection.execute(t["states"].insert(), states)
            states.clear()
        if lots and (force or len(lots) >= _CHUNK):
            connection.execute(t["lots"].insert(), lots)
            lots.clear()

    def close(account_id: str, folded: LedgerState, last_seq: int, earned: int) -> None:
        state = derive(account_id, folded, last_seq=last_seq, earned=earned)
        states.append({c.key: getattr(state, c.key) for c in t["states"].c})
        for lot in open_lots_of(account_id, folded):
            lots.append({c.key: getattr(lot, c.key) for c in t["lots"].c})
        flush(force=False)

    current: str | None = None
    folded = LedgerState()
    last_seq = earned = 0
    for entry in _entries(connection, t):
        if entry.account_id != current:
            if current is not None:
                close(current, folded, last_seq, earned)
                accounts += 1
            current, folded, last_seq, earned = entry.account_id, LedgerState(), 0, 0
        folded.apply(entry)
        folded.problems.clear()  # verify() reports them; the fold goes on as the services' does
        last_seq, earned = entry.seq, earned + _earned(entry)
    if current is not None:
        close(current, folded, last_seq, earned)
        accounts += 1
    flush(force=True)
    return accounts
