"""Points state rows read together with their account's lock, in serial-write transactions.

A loyalty write locks its account, then reads the account's points state
row. Where no other writer commits into the transaction (SQLite: one writer
at a time from ``BEGIN IMMEDIATE``), both can come from one statement: the
account lock reads the state row beside the account (a LEFT JOIN on its
primary key), and ``uow.points.get_many`` answers from what was read. On a
store with concurrent writers (PostgreSQL) the state is always read after
the lock, by its own query, so it is never older than the lock.

Stores whose transactions never read points (a kit without a loyalty
program) never pay for the join: :class:`PrefetchFlag` turns it on at the
first points read of the store.
"""

from __future__ import annotations

from relationkit.domain.points import PointsState
from relationkit.storage.sql.execution import Executor
from relationkit.storage.sql.queries.statements import Statements
from relationkit.storage.sql.repositories import Repository
from relationkit.storage.sql.schema.tables import Tables

__all__ = ["PointsPrefetch", "PrefetchFlag", "PrefetchingRepository"]


class PrefetchFlag:
    """Store-wide: whether write transactions read points state (join it to the lock)."""

    __slots__ = ("used",)

    def __init__(self) -> None:
        self.used = False


class PointsPrefetch:
    """One transaction's points state rows read with account locks (None: no row).

    Args:
        flag: the store's :class:`PrefetchFlag`.
    """

    __slots__ = ("flag", "rows")

    def __init__(self, flag: PrefetchFlag) -> None:
        self.flag = flag
        self.rows: dict[str, PointsState | None] = {}

    def forget(self) -> None:
        """Drop what was read (a savepoint rolled back: rows may have reverted)."""
        self.rows.clear()


class PrefetchingRepository(Repository):
    """A repository sharing its transaction's :class:`PointsPrefetch` (None: not serial)."""

    __slots__ = ("_prefetch",)

    def __init__(
        self,
        executor: Executor,
        tables: Tables,
        statements: Statements,
        *,
        prefetch: PointsPrefetch | None = None,
    ) -> None:
        super().__init__(executor, tables, statements)
        self._prefetch = prefetch
