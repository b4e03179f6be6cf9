"""The kept-score repository's rules, driven through the store's own unit of work.

Added in 0.3.0.
"""

from __future__ import annotations

import pendulum
import pytest

from relationkit.domain.customers import Account, AccountKind
from relationkit.domain.scoring.kept import KeptScore, ScoreKind
from relationkit.errors import DanglingReference, DuplicateKey, StorageError
from relationkit.storage.ports import Storage
from relationkit.storage.ports.scores import KeptScores, ScoreRepository
from relationkit.testing.base import T0, Boom, SuiteBase

__all__ = ["ScoreRepositoryPort"]

A, B, C = "acc_01scorea", "acc_01scoreb", "acc_01scorec"


def _scores(uow: object) -> ScoreRepository:
    if not isinstance(uow, KeptScores):
        pytest.skip("the store does not keep scores (no KeptScores on its unit of work)")
    return uow.scores


def _seed(storage: Storage) -> None:
    with storage.transaction(write=True) as uow:
        uow.accounts.add_many(
            [
                Account(
                    id=a, name=a, kind=AccountKind.B2C, stage="lead", stage_since=T0, created_at=T0
                )
                for a in (A, B, C)
            ]
        )


def _score(account_id: str, score: int, band: str, as_of: pendulum.DateTime = T0) -> KeptScore:
    return KeptScore(
        account_id=account_id,
        kind=ScoreKind.CHURN,
        as_of=as_of,
        score=score,
        band=band,
        computed_at=T0,
    )


class ScoreRepositoryPort(SuiteBase):
    """Current rows are upserts; snapshots append once; reads page in their stated order."""

    def test_current_rows_are_replaced_per_account_and_kind(self, storage: Storage) -> None:
        """put_current twice keeps the last; another kind is another row; values come back equal."""
        _seed(storage)
        later = _score(A, 80, "high", T0.add(days=1))
        with storage.transaction(write=True) as uow:
            scores = _scores(uow)
            scores.put_current([_score(A, 10, "low")])
            scores.put_current([later])
            lead = KeptScore(
                account_id=A, kind=ScoreKind.LEAD, as_of=T0, score=5, band="cold", computed_at=T0
            )
            scores.put_current([lead])
        with storage.transaction(write=False) as uow:
            scores = _scores(uow)
            assert ({A: later}, {A: lead}) == (
                scores.current(ScoreKind.CHURN, [A, B]),
                scores.current(ScoreKind.LEAD, [A]),
            )

    def test_a_snapshot_is_stored_once(self, storage: Storage) -> None:
        """A second snapshot of one (account, kind, as_of) raises DuplicateKey("score_snapshot")."""
        _seed(storage)
        with storage.transaction(write=True) as uow:
            _scores(uow).add_snapshots([_score(A, 10, "low")])
        with pytest.raises(DuplicateKey) as error, storage.transaction(write=True) as uow:
            _scores(uow).add_snapshots([_score(A, 20, "low")])
        assert "score_snapshot" == error.value.constraint
        with storage.transaction(write=False) as uow:
            assert ({A}, [10]) == (
                _scores(uow).snapshotted(ScoreKind.CHURN, T0, [A, B]),
                [s.score for s in _scores(uow).history(A, ScoreKind.CHURN)],
            )

    def test_scores_of_unknown_accounts_are_refused(self, storage: Storage) -> None:
        """A current row or a snapshot of an account not stored raises DanglingReference."""
        _seed(storage)
        for write in ("put_current", "add_snapshots"):
            with pytest.raises(DanglingReference), storage.transaction(write=True) as uow:
                getattr(_scores(uow), write)([_score("acc_01nobody", 1, "low")])

    def test_history_pages_by_as_of(self, storage: Storage) -> None:
        """Snapshots come oldest first; after and limit page through them."""
        _seed(storage)
        days = [T0.add(days=d) for d in (3, 1, 2, 0)]
        with storage.transaction(write=True) as uow:
            _scores(uow).add_snapshots([_score(A, n, "low", d) for n, d in enumerate(days)])
        with storage.transaction(write=False) as uow:
            scores = _scores(uow)
            first = scores.history(A, ScoreKind.CHURN, limit=2)
            rest = scores.history(A, ScoreKind.CHURN, after=first[-1].as_of, limit=2)
        assert [T0.add(days=d) for d in (0, 1, 2, 3)] == [s.as_of for s in first + rest]

    def test_ranked_orders_by_score_then_id_within_a_band(self, storage: Storage) -> None:
        """ranked: score descending, ties by id, one band on request, keyset pages."""
        _seed(storage)
        with storage.transaction(write=True) as uow:
            _scores(uow).put_current(
                [_score(A, 50, "medium"), _score(B, 90, "high"), _score(C, 50, "medium")]
            )
        with storage.transaction(write=False) as uow:
            scores = _scores(uow)
            everything = [s.account_id for s in scores.ranked(ScoreKind.CHURN)]
            medium = [s.account_id for s in scores.ranked(ScoreKind.CHURN, band="medium")]
            page = scores.ranked(ScoreKind.CHURN, limit=2, after=(90, B))
        assert ([B, A, C], [A, C], [A, C]) == (everything, medium, [s.account_id for s in page])

    def test_a_rollback_leaves_no_score(self, storage: Storage) -> None:
        """Scores written in a transaction that fails are gone."""
        _seed(storage)

        def fail() -> None:
            with storage.transaction(write=True) as uow:
                _scores(uow).put_current([_score(A, 1, "low")])
                _scores(uow).add_snapshots([_score(A, 1, "low")])
                raise Boom

        with pytest.raises(Boom):
            fail()
        with storage.transaction(write=False) as uow:
            assert ({}, set()) == (
                _scores(uow).current(ScoreKind.CHURN, [A]),
                _scores(uow).snapshotted(ScoreKind.CHURN, T0, [A]),
            )

    def test_a_read_transaction_refuses_score_writes(self, storage: Storage) -> None:
        """Writing scores in a read transaction raises StorageError."""
        _seed(storage)
        with pytest.raises(StorageError), storage.transaction(write=False) as uow:
            _scores(uow).put_current([_score(A, 1, "low")])
