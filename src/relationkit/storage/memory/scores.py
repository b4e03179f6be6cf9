"""The memory backend's kept scores: current rows and snapshots, with undo."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pendulum

from relationkit.domain.scoring.kept import KeptScore, ScoreKind
from relationkit.errors import DanglingReference, DuplicateKey
from relationkit.storage.memory.undo import set_item

if TYPE_CHECKING:
    from relationkit.storage.memory.store import UnitOfWork

__all__ = ["MemoryScores"]


class MemoryScores:
    """``uow.scores`` (:class:`~relationkit.storage.ports.scores.ScoreRepository`)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._u = uow
        self._t = uow.tables

    def current(self, kind: ScoreKind, account_ids: Sequence[str]) -> dict[str, KeptScore]:
        found = (self._t.scores.get((a, kind)) for a in account_ids)
        return {s.account_id: s for s in found if s is not None}

    def put_current(self, scores: Sequence[KeptScore]) -> None:
        for score in scores:
            if score.account_id not in self._t.accounts:
                raise DanglingReference("account_id")
            slot = (score.account_id, score.kind)
            set_item(self._t.scores, slot, self._u)
            self._t.scores[slot] = score

    def add_snapshots(self, scores: Sequence[KeptScore]) -> None:
        t, u = self._t, self._u
        for score in scores:
            if score.account_id not in t.accounts:
                raise DanglingReference("account_id")
            slot = (score.account_id, score.kind)
            history = t.score_history.get(slot)
            if history is not None and score.as_of in history:
                raise DuplicateKey("score_snapshot")
            if history is None:
                set_item(t.score_history, slot, u)
                history = t.score_history[slot] = {}
            set_item(history, score.as_of, u)
            history[score.as_of] = score

    def snapshotted(
        self, kind: ScoreKind, as_of: pendulum.DateTime, account_ids: Sequence[str]
    ) -> set[str]:
        history = self._t.score_history
        return {a for a in account_ids if as_of in history.get((a, kind), {})}

    def history(
        self,
        account_id: str,
        kind: ScoreKind,
        *,
        after: pendulum.DateTime | None = None,
        limit: int = 100,
    ) -> list[KeptScore]:
        snapshots = self._t.score_history.get((account_id, kind), {})
        keys = sorted(snapshots)
        start = bisect.bisect_right(keys, after) if after is not None else 0
        return [snapshots[k] for k in keys[start : start + max(limit, 0)]]

    def ranked(
        self,
        kind: ScoreKind,
        *,
        band: str | None = None,
        limit: int = 100,
        after: tuple[int, str] | None = None,
    ) -> list[KeptScore]:
        rows = [
            s
            for (_, k), s in self._t.scores.items()
            if k is kind and (band is None or s.band == band)
        ]
        rows.sort(key=lambda s: (-s.score, s.account_id))
        if after is not None:
            marker = (-after[0], after[1])
            rows = [s for s in rows if (-s.score, s.account_id) > marker]
        return rows[: max(limit, 0)]
