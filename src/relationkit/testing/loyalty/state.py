"""Loyalty: the state kept beside the ledger follows every write and can be re-derived.

A write reads the account's stored state row and open lots, never its
history; so the stored state must be exactly what the entries give, after
any sequence of writes. ``verify()`` compares the two field by field and
``rebuild()`` repairs a drift, idempotently and resumably.
"""

from __future__ import annotations

import attrs

import relationkit as rk
from relationkit.storage.ports import Storage
from relationkit.testing.base import OpenKit, SuiteBase
from relationkit.testing.loyalty._support import buy, member, refund_order, verified

__all__ = ["StateLoyalty"]

_PROGRAM = rk.LoyaltyProgram(currency="EUR", pending_days=14, expiry=rk.Expiry.after_days(60))


class StateLoyalty(SuiteBase):
    """Failure guarded against: derived balances that drift from the ledger."""

    def test_the_state_row_follows_every_write(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """Purchases, activation, redemption and a refund: the stored row says what the
        entries give (balance, pending, debt, points earned, next due instant)."""
        kit = open_kit(_PROGRAM)
        alice = member(kit)
        buy(kit, alice, "o1", "100.00")
        first = kit.loyalty.state(alice)
        unlocks = clock.now().add(days=14)
        clock.advance(days=15)
        kit.loyalty.redeem(alice, 30, idempotency_key="rw-1")
        buy(kit, alice, "o2", "50.00")
        refund_order(kit, "o1", "r-1", "50.00")
        later = kit.loyalty.state(alice)

        assert (100, 0, 0, 0) == (first.pending, first.balance, first.earned, first.debt)
        assert unlocks == first.next_due
        assert (50, 20, 50, 0) == (later.pending, later.balance, later.earned, later.debt)
        assert later.last_seq == len(kit.loyalty.history(alice))
        verified(kit)

    def test_a_drift_is_reported_by_account_and_field_and_rebuild_repairs_it(
        self, open_kit: OpenKit, storage: Storage
    ) -> None:
        """Guards against a silently wrong balance: a tampered row and a deleted lot are
        named by verify(); rebuild() rewrites what the entries give, once."""
        kit = open_kit(rk.LoyaltyProgram(currency="EUR"))
        alice, bob = member(kit, "alice"), member(kit, "bob")
        buy(kit, alice, "o1", "100.00")
        buy(kit, bob, "o2", "40.00")
        account = kit.accounts.get(alice).id
        with storage.transaction(write=True) as uow:
            state = uow.points.get_many([account])[account]
            uow.points.put_many([attrs.evolve(state, balance=999)])
            [lot] = uow.points.open_lots([account])[account]
            uow.points.close_lots([lot.id])

        problems = kit.loyalty.verify().problems
        first = kit.loyalty.rebuild()
        second = kit.loyalty.rebuild()

        assert [
            f"account {account}: state.balance is 999, the ledger gives 100",
            f"account {account}: open lot {lot.id} is missing",
        ] == [p for p in problems if "state." in p or "open lot" in p]
        assert (2, 1, 0) == (first.accounts, first.repaired, second.repaired)
        assert 100 == kit.loyalty.state(alice).balance
        verified(kit)

    def test_rebuild_resumes_after_the_last_account_it_handled(
        self, open_kit: OpenKit, storage: Storage
    ) -> None:
        """A rebuild interrupted after one account goes on from there, not from the start."""
        kit = open_kit(rk.LoyaltyProgram(currency="EUR"))
        ids = [member(kit, name) for name in ("ann", "ben", "cat")]
        for n, customer_id in enumerate(ids):
            buy(kit, customer_id, f"o{n}", "10.00")
        accounts = sorted(kit.accounts.get(c).id for c in ids)
        with storage.transaction(write=True) as uow:
            states = uow.points.get_many(accounts)
            uow.points.put_many([attrs.evolve(s, earned=0) for s in states.values()])

        one = kit.loyalty.rebuild(accounts[0])
        rest = kit.loyalty.rebuild(after=one.last)

        assert (1, 1, accounts[0]) == (one.accounts, one.repaired, one.last)
        assert (2, 2, accounts[-1]) == (rest.accounts, rest.repaired, rest.last)
        verified(kit)

    def test_top_ranks_accounts_by_stored_balance_and_pages(self, open_kit: OpenKit) -> None:
        """The balance is a stored, queryable column: top() ranks it and pages on."""
        kit = open_kit(rk.LoyaltyProgram(currency="EUR"))
        totals = {"ann": "30.00", "ben": "90.00", "cat": "60.00", "dan": "60.00"}
        for n, (name, total) in enumerate(totals.items()):
            buy(kit, member(kit, name), f"o{n}", total)

        first = kit.loyalty.top(2)
        second = kit.loyalty.top(2, after=first[-1])

        assert [90, 60, 60, 30] == [s.balance for s in first + second]
        assert len({s.account_id for s in first + second}) == 4
        assert [] == kit.loyalty.top(2, after=second[-1])
