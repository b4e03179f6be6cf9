"""An optional protocol: the scores kept in the store, current and historical.

A unit of work that implements :class:`KeptScores` has a ``scores``
repository (:class:`ScoreRepository`): one *current* row per account and
kind (the latest ``as_of``, with its band; segments filter on these
columns) and an append-only *snapshot* per account, kind and ``as_of``.
Both are written in the transaction that computes the score. A backend
without it can still compute scores (``kit.scores.lead``, ``churn``,
``health``); only ``kit.scores.refresh`` and the reads of kept scores need
it, and they raise :class:`~relationkit.errors.StorageError` saying so.

The rules of :mod:`relationkit.storage.ports.core` (errors, copies,
ordering) hold here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import pendulum

from relationkit.domain.scoring.kept import KeptScore, ScoreKind

__all__ = ["KeptScores", "ScoreRepository"]


class ScoreRepository(Protocol):
    """Current scores and their snapshots."""

    def current(self, kind: ScoreKind, account_ids: Sequence[str]) -> dict[str, KeptScore]:
        """Return the current scores of ``kind`` of these accounts (those without one left out)."""
        ...

    def put_current(self, scores: Sequence[KeptScore]) -> None:
        """Insert or replace the current score of each ``(account_id, kind)``.

        Raises:
            DanglingReference: ``"account_id"`` for an account not stored.
        """
        ...

    def add_snapshots(self, scores: Sequence[KeptScore]) -> None:
        """Append snapshots; a snapshot is never changed.

        Raises:
            DuplicateKey: ``"score_snapshot"`` for an ``(account_id, kind,
                as_of)`` already stored.
            DanglingReference: ``"account_id"``.
        """
        ...

    def snapshotted(
        self, kind: ScoreKind, as_of: pendulum.DateTime, account_ids: Sequence[str]
    ) -> set[str]:
        """Return the accounts among ``account_ids`` with a snapshot of ``kind`` at ``as_of``."""
        ...

    def history(
        self,
        account_id: str,
        kind: ScoreKind,
        *,
        after: pendulum.DateTime | None = None,
        limit: int = 100,
    ) -> list[KeptScore]:
        """Return an account's snapshots of ``kind``, oldest ``as_of`` first.

        ``after`` is the ``as_of`` of the last snapshot of the previous page.
        """
        ...

    def ranked(
        self,
        kind: ScoreKind,
        *,
        band: str | None = None,
        limit: int = 100,
        after: tuple[int, str] | None = None,
    ) -> list[KeptScore]:
        """Return current scores of ``kind`` by score descending, then account id.

        ``band`` keeps one band only; ``after`` is the ``(score,
        account_id)`` of the last row of the previous page.
        """
        ...


@runtime_checkable
class KeptScores(Protocol):
    """A unit of work that keeps scores."""

    @property
    def scores(self) -> ScoreRepository:
        """The kept scores of this transaction."""
        ...
