"""The kept scores in SQL: current rows (upserted) and snapshots (appended)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pendulum
from sqlalchemy import Executable

from relationkit.domain.scoring.kept import KeptScore, ScoreKind
from relationkit.storage.ports.core import chunked
from relationkit.storage.sql.mapping import SCORE, SCORE_SNAPSHOT
from relationkit.storage.sql.repositories import CHUNK, Repository

__all__ = ["SqlScores"]


class SqlScores(Repository):
    """Current scores and snapshots (:class:`~relationkit.storage.ports.scores.ScoreRepository`)."""

    __slots__ = ()

    def current(self, kind: ScoreKind, account_ids: Sequence[str]) -> dict[str, KeptScore]:
        """Return the current scores of ``kind`` of these accounts (one query per chunk)."""
        found: dict[str, KeptScore] = {}
        load = SCORE.load
        statement = self._s.scores.current
        for chunk in chunked(list(dict.fromkeys(account_ids)), CHUNK):
            for row in self._x.rows(statement, {"kind": kind.value, "ids": list(chunk)}):
                found[row.account_id] = load(row)
        return {a: found[a] for a in account_ids if a in found}

    def put_current(self, scores: Sequence[KeptScore]) -> None:
        """Insert or replace current rows (sorted by key: locks taken in one order).

        Raises:
            DanglingReference: ``"account_id"`` for an account not stored.
        """
        latest = {(s.account_id, s.kind.value): s for s in scores}
        if not latest:
            return
        rows = SCORE.rows([latest[k] for k in sorted(latest)])
        upsert = self._s.scores.put_current
        statements: tuple[Executable, ...] = upsert.statements(self._x.connection.dialect.name)
        if len(statements) > 1:  # DELETE by key, then INSERT
            gone = [{f"b_{k}": row[k] for k in upsert.key} for row in rows]
            self._x.write(statements[0], gone)
        self._x.write(statements[-1], rows, dangling="account_id")

    def add_snapshots(self, scores: Sequence[KeptScore]) -> None:
        """Append snapshots (one executemany).

        Raises:
            DuplicateKey: ``"score_snapshot"`` for a stored ``(account_id, kind, as_of)``.
            DanglingReference: ``"account_id"``.
        """
        rows = SCORE_SNAPSHOT.rows(scores)
        self._x.insert(self._s.inserts["score_snapshots"], rows, dangling="account_id")

    def snapshotted(
        self, kind: ScoreKind, as_of: pendulum.DateTime, account_ids: Sequence[str]
    ) -> set[str]:
        """Return the accounts with a snapshot of ``kind`` at ``as_of`` (one query per chunk)."""
        found: set[str] = set()
        statement = self._s.scores.snapshotted
        for chunk in chunked(list(dict.fromkeys(account_ids)), CHUNK):
            params = {"kind": kind.value, "as_of": as_of, "ids": list(chunk)}
            found.update(row.account_id for row in self._x.rows(statement, params))
        return found

    def history(
        self,
        account_id: str,
        kind: ScoreKind,
        *,
        after: pendulum.DateTime | None = None,
        limit: int = 100,
    ) -> list[KeptScore]:
        """Return a page of an account's snapshots of ``kind``, oldest first."""
        params: dict[str, Any] = {
            "account_id": account_id,
            "kind": kind.value,
            "first": after is None,
            "after": after,
            "limit": max(limit, 0),
        }
        load = SCORE_SNAPSHOT.load
        return [load(row) for row in self._x.rows(self._s.scores.history, params)]

    def ranked(
        self,
        kind: ScoreKind,
        *,
        band: str | None = None,
        limit: int = 100,
        after: tuple[int, str] | None = None,
    ) -> list[KeptScore]:
        """Return a page of current scores by score descending, then account id."""
        params: dict[str, Any] = {"kind": kind.value, "limit": max(limit, 0)}
        if band is not None:
            params["band"] = band
        if after is not None:
            params.update(after_score=after[0], after_id=after[1])
        statement = self._s.scores.ranked(band=band is not None, after=after is not None)
        load = SCORE.load
        return [load(row) for row in self._x.rows(statement, params)]
