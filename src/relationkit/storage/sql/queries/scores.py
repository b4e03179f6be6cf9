"""The statements of the kept scores: reads by account and kind, ranking, the upsert."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select

from relationkit.storage.sql.queries.points import Upsert
from relationkit.storage.sql.schema.tables import Tables

__all__ = ["ScoreStatements"]


def _many(name: str) -> Any:
    return bindparam(name, expanding=True)


class ScoreStatements:
    """The statements of ``scores`` and ``score_snapshots``, each built on first use."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    @cached_property
    def current(self) -> Select[Any]:
        """Current rows by ``kind`` and ``account_ids`` (expanding)."""
        s = self._t.scores
        return select(s).where(s.c.kind == bindparam("kind"), s.c.account_id.in_(_many("ids")))

    @cached_property
    def put_current(self) -> Upsert:
        """Insert or replace current rows by ``(account_id, kind)``."""
        return Upsert(self._t.scores, ("account_id", "kind"))

    @cached_property
    def snapshotted(self) -> Select[Any]:
        """Account ids with a snapshot of ``kind`` at ``as_of`` among ``ids`` (expanding)."""
        s = self._t.score_snapshots
        return select(s.c.account_id).where(
            s.c.kind == bindparam("kind"),
            s.c.as_of == bindparam("as_of", type_=s.c.as_of.type),
            s.c.account_id.in_(_many("ids")),
        )

    @cached_property
    def history(self) -> Select[Any]:
        """Snapshots of ``account_id`` and ``kind`` after ``after`` (unless ``first``), by as_of."""
        s = self._t.score_snapshots
        return (
            select(s)
            .where(
                s.c.account_id == bindparam("account_id"),
                s.c.kind == bindparam("kind"),
                or_(bindparam("first"), s.c.as_of > bindparam("after", type_=s.c.as_of.type)),
            )
            .order_by(s.c.as_of)
            .limit(bindparam("limit"))
        )

    def ranked(self, *, band: bool, after: bool) -> Select[Any]:
        """Current rows of ``kind`` by score descending then id; optional ``band`` and page."""
        return self._ranked[(band, after)]

    @cached_property
    def _ranked(self) -> dict[tuple[bool, bool], Select[Any]]:
        s = self._t.scores
        built: dict[tuple[bool, bool], Select[Any]] = {}
        for band in (False, True):
            for after in (False, True):
                where = [s.c.kind == bindparam("kind")]
                if band:
                    where.append(s.c.band == bindparam("band"))
                if after:
                    score: Any = bindparam("after_score")
                    where.append(
                        or_(
                            s.c.score < score,
                            and_(s.c.score == score, s.c.account_id > bindparam("after_id")),
                        )
                    )
                built[(band, after)] = (
                    select(s)
                    .where(*where)
                    .order_by(s.c.score.desc(), s.c.account_id)
                    .limit(bindparam("limit"))
                )
        return built
