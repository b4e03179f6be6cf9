"""The ledger machine's replays and invariants (not public)."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from relationkit.errors import IdempotencyConflict
from relationkit.testing.machines._ledger_base import LedgerBase, project

__all__ = ["LedgerChecks"]


class LedgerChecks(LedgerBase):
    """Replay keyed requests; check the ledger verifies and matches the model after every step."""

    # -- replays -----------------------------------------------------------------

    @precondition(lambda self: bool(self.done))
    @rule(pick=st.integers(min_value=0))
    def replay_same_payload(self, pick: int) -> None:
        done = self.done[pick % len(self.done)]
        assert done.expected == project(done.same()), done.label

    @precondition(lambda self: bool(self.done))
    @rule(pick=st.integers(min_value=0))
    def replay_other_payload(self, pick: int) -> None:
        done = self.done[pick % len(self.done)]
        try:
            done.other()
        except IdempotencyConflict:
            return
        raise AssertionError(f"{done.label}: another payload under the same key was accepted")

    # -- invariants ---------------------------------------------------------------

    @invariant()
    def ledger_verifies(self) -> None:
        if self.kit is not None:
            report = self.kit.loyalty.verify()
            assert () == report.problems

    @invariant()
    def balances_match_the_model(self) -> None:
        if self.kit is None:
            return
        for who, customer in [self.members[0], self.members[2]]:
            summary = self.kit.loyalty.summary(customer)
            view = self.model.view(who)
            assert (view.balance, view.pending, view.debt) == (
                summary.balance,
                summary.pending,
                summary.debt,
            ), f"account {who}"
            assert summary.balance == (
                view.earned
                - view.redeemed
                - view.expired
                - view.reversed
                + view.returned
                + view.adjusted
            ), f"sum rule, account {who}"
