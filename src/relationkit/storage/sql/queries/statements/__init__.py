"""The repositories' SELECT, INSERT and UPDATE statements, built once per store.

Building a statement (``select(t).where(t.c.id.in_(ids))``) and computing its
cache key costs more than the database's work for a one-row lookup. Every
statement here is built on first use with :func:`~sqlalchemy.bindparam`
placeholders and kept for the store's life: executing the same object again
reuses its memoised cache key, so SQLAlchemy finds the compiled form at once.

Lookups come in two shapes: ``... == :key`` for the common single key, and
``... IN (:keys)`` with an expanding parameter for several. Every SELECT of
a whole row selects ``select(table)``, the column order the shapes'
loaders read (see :mod:`~relationkit.storage.sql.mapping`).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, bindparam, func, select

from relationkit.storage.sql.queries.inserts import BulkInsert
from relationkit.storage.sql.queries.pages import Pages
from relationkit.storage.sql.queries.points import PointsStatements
from relationkit.storage.sql.queries.scores import ScoreStatements
from relationkit.storage.sql.queries.statements._accounts import AccountStatements
from relationkit.storage.sql.queries.statements._binds import limit, many
from relationkit.storage.sql.queries.statements._ledger import LedgerStatements
from relationkit.storage.sql.queries.statements._purchases import PurchaseStatements
from relationkit.storage.sql.schema.tables import Tables

if TYPE_CHECKING:
    from relationkit.storage.sql.queries.owners import Owners
    from relationkit.storage.sql.queries.timeline import TimelinePages

__all__ = ["Statements", "limit", "many"]


class Statements(AccountStatements, PurchaseStatements, LedgerStatements):
    """The statements of one store's repositories, each built on first use.

    Parameter names are given in each statement's docstring. Statements are
    immutable and shared by every transaction (and thread) of the store; two
    threads building one at once is harmless.
    """

    def __init__(self, tables: Tables, prefix: str) -> None:
        self._t = tables
        self._prefix = prefix

    # -- inserts and per-area statements -------------------------------------

    @cached_property
    def inserts(self) -> dict[str, BulkInsert]:
        """The bulk INSERT of each table, by table attribute name."""
        return {t.name.removeprefix(self._prefix): BulkInsert(t) for t in self._t.all}

    @cached_property
    def pages(self) -> Pages:
        """The page statements of an account's purchases and interactions."""
        return Pages(self._t)

    @cached_property
    def owners(self) -> Owners:
        """The narrow owner lookups (:class:`~relationkit.storage.ports.owners.OwnerLookups`)."""
        from relationkit.storage.sql.queries.owners import Owners

        return Owners(self._t)

    @cached_property
    def timeline(self) -> TimelinePages:
        """The time-ordered page statements of ``kit.timeline``."""
        from relationkit.storage.sql.queries.timeline import TimelinePages

        return TimelinePages(self._t)

    @cached_property
    def points(self) -> PointsStatements:
        """The statements of the loyalty state tables."""
        return PointsStatements(self._t)

    @cached_property
    def scores(self) -> ScoreStatements:
        """The statements of the kept scores."""
        return ScoreStatements(self._t)

    # -- idempotency, counts --------------------------------------------------

    @cached_property
    def idempotency_record(self) -> Select[Any]:
        """The idempotency record of ``scope`` and ``key``."""
        r = self._t.idempotency
        return select(r).where(r.c.scope == bindparam("scope"), r.c.key == bindparam("key"))

    @cached_property
    def count_rows(self) -> dict[str, Select[Any]]:
        """``SELECT count(*)`` of the customers and of the purchases."""
        t = self._t
        return {
            name: select(func.count().label("n")).select_from(getattr(t, name))
            for name in ("customers", "purchases")
        }
