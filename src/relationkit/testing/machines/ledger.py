"""A Hypothesis state machine that runs the loyalty ledger against a plain model.

The model below is written from the loyalty issue's rules, not from the
engine's code: it keeps, per account, the lots of spendable points (each with
its expiry), the pending lots still in their return window, the debt, and
what every order earned, used, had taken back and had given back. The machine
drives a real kit over any store with random earns, redemptions, adjustments,
gifts (a redemption and a credit in one ``kit.transaction()``), purchases
(with and without ``points_used``, back-dated or not, one by one or through
``record_many``), refunds (partial, full, too large), clock jumps,
``process_due()`` and replayed idempotency keys (same payload, then another
one), for a B2C customer and a B2B account reached through its id or either
of two contacts, and after every step checks:

- ``kit.loyalty.verify().ok``;
- each account's balance, pending points and debt equal the model's;
- the sum rule, from the model's counters alone:
  ``balance == earned - redeemed - expired - reversed + returned + adjusted``.

Usage, for an adapter author::

    from relationkit.testing.machines.ledger import make_ledger_machine

    TestLedger = make_ledger_machine(MyStore).TestCase

or, to choose the settings and run it inside a pytest test that has fixtures::

    from hypothesis import settings
    from hypothesis.stateful import run_state_machine_as_test

    def test_ledger(tmp_path):
        machine = make_ledger_machine(lambda: MyStore(tmp_path / "x"), dispose=drop)
        run_state_machine_as_test(machine, settings=settings(max_examples=30))

Rules the model follows (the engine's documented behaviour):

- a purchase earns ``floor(total)`` points, plus the first-purchase bonus on
  the account's first purchase; with ``pending_days`` they are locked until
  ``occurred_at + pending_days`` and then open a lot whose expiry counts from
  that instant; without, they open a lot at once;
- a lot earned on local day D expires at local midnight after the rule's last
  day (``after_days``, ``end_of_month``, ``end_of_year``), in the program's zone;
- a credit pays debt first; a debit takes lots soonest expiry first (a
  refund's reversal takes the order's own lot first) and what no lot covers
  becomes debt (``"debt"``) or is forgiven by an explicit credit
  (``"write_off"``); a redemption never goes past the balance;
- a refund takes back ``round_half_even(awarded * refunded / total)`` (but
  never points of the order that already expired) minus what was already
  taken back (voiding pending points first) and gives back
  ``round_half_even(used * refunded / total)`` minus what was already given
  back, as a new lot with a fresh expiry;
- every write first settles what is due as of the clock (activations, then
  expiries, in time order); reads show the same without writing.

Added in 0.1.0.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import attrs
import pendulum
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import relationkit as rk
from relationkit.errors import IdempotencyConflict, InsufficientPoints, ValidationError
from relationkit.storage.ports import Storage

__all__ = ["PROFILES", "LedgerModel", "ModelProfile", "Refused", "make_ledger_machine"]

from relationkit.testing.machines.ledger_model import (
    PROFILES,
    START,
    LedgerModel,
    ModelProfile,
    Refused,
)

# -- the machine ----------------------------------------------------------------


@attrs.define
class _Done:
    """A successful keyed request, to replay: same payload, then another payload."""

    label: str
    same: Callable[[], object]
    expected: object
    other: Callable[[], object]


def _project(result: object) -> object:
    """What a replay must return unchanged (a purchase may have gained refunds since)."""
    if isinstance(result, rk.Purchase):
        return (result.id, result.order_id, result.total, result.points_used, result.occurred_at)
    return result


def make_ledger_machine(
    make_storage: Callable[[], Storage],
    *,
    dispose: Callable[[Storage], None] | None = None,
    profiles: tuple[ModelProfile, ...] = PROFILES,
) -> type[RuleBasedStateMachine]:
    """Return a state machine class that checks the ledger over stores from ``make_storage``.

    Args:
        make_storage: returns a fresh, empty store; called once per example.
        dispose: releases a store after its example (default: ``close()``);
            a SQL test may drop the example's tables here.
        profiles: the programs to pick from (one per example).

    Returns:
        A :class:`~hypothesis.stateful.RuleBasedStateMachine` subclass; use
        its ``TestCase`` attribute, or ``run_state_machine_as_test``.
    """
    release = dispose if dispose is not None else (lambda storage: storage.close())
    # A member of the machine: 0 is a B2C customer; 1, 2 and 3 all stand for one
    # B2B account (its id, then two of its contacts).
    accounts = st.integers(min_value=0, max_value=3)

    class LedgerMachine(RuleBasedStateMachine):
        """The loyalty ledger against :class:`LedgerModel`."""

        def __init__(self) -> None:
            super().__init__()
            self.storage: Storage | None = None
            self.kit: rk.RelationKit | None = None
            self.clock = rk.FrozenClock(pendulum.instance(START))
            self.model = LedgerModel(PROFILES[1], 2, START)
            self.members: list[tuple[int, str]] = []
            self.orders: list[tuple[int, str]] = []
            self.done: list[_Done] = []
            self.counter = itertools.count(1)

        # -- set-up ---------------------------------------------------------------

        @initialize(profile=st.sampled_from(profiles))
        def open_kit(self, profile: ModelProfile) -> None:
            self.storage = make_storage()
            self.model = LedgerModel(profile, 2, START)
            self.kit = rk.open(storage=self.storage, clock=self.clock, loyalty=profile.program())
            alice = self.kit.customers.create(name="Alice", email="alice@example.com")
            acme = self.kit.accounts.create(name="ACME SA", kind=rk.AccountKind.B2B)
            buyers = [
                self.kit.customers.create(name=f"Buyer {n}", account_id=acme.id, role="buyer")
                for n in range(2)
            ]
            self.members = [(0, alice.id), (1, acme.id)] + [(1, b.id) for b in buyers]

        def teardown(self) -> None:
            if self.kit is not None:
                self.kit.close()
            if self.storage is not None:
                release(self.storage)

        @property
        def k(self) -> rk.RelationKit:
            assert self.kit is not None
            return self.kit

        def _key(self, prefix: str) -> str:
            return f"{prefix}{next(self.counter)}"

        def _expect(self, model_step: Callable[[], None], engine_step: Callable[[], Any]) -> Any:
            """Run the model, then the engine; they must accept or refuse alike."""
            try:
                model_step()
            except Refused as refusal:
                error = InsufficientPoints if refusal.kind == "insufficient" else ValidationError
                try:
                    engine_step()
                except error:
                    return None
                raise AssertionError(
                    f"the engine accepted what the model refused ({refusal.kind})"
                ) from None
            return engine_step()

        # -- ledger writes ---------------------------------------------------------

        @rule(who=accounts, points=st.integers(min_value=1, max_value=300))
        def earn(self, who: int, points: int) -> None:
            key, loyalty = self._key("earn-"), self.k.loyalty
            account, customer = self.members[who]
            entry = self._expect(
                lambda: self.model.earn(account, points),
                lambda: loyalty.earn(customer, points, idempotency_key=key),
            )
            self.done.append(
                _Done(
                    label=f"earn {key}",
                    same=lambda: loyalty.earn(customer, points, idempotency_key=key),
                    expected=entry,
                    other=lambda: loyalty.earn(customer, points + 1, idempotency_key=key),
                )
            )

        @rule(who=accounts, points=st.integers(min_value=1, max_value=400))
        def redeem(self, who: int, points: int) -> None:
            key, loyalty = self._key("redeem-"), self.k.loyalty
            account, customer = self.members[who]
            entry = self._expect(
                lambda: self.model.redeem(account, points),
                lambda: loyalty.redeem(customer, points, idempotency_key=key),
            )
            if entry is not None:
                self.done.append(
                    _Done(
                        label=f"redeem {key}",
                        same=lambda: loyalty.redeem(customer, points, idempotency_key=key),
                        expected=entry,
                        other=lambda: loyalty.redeem(
                            customer, points, idempotency_key=key, reason="other"
                        ),
                    )
                )

        @rule(
            who=accounts,
            points=st.integers(min_value=-150, max_value=150).filter(lambda n: n != 0),
        )
        def adjust(self, who: int, points: int) -> None:
            key, loyalty = self._key("adjust-"), self.k.loyalty
            account, customer = self.members[who]
            entry = self._expect(
                lambda: self.model.adjust(account, points),
                lambda: loyalty.adjust(customer, points, idempotency_key=key, reason="fix"),
            )
            if entry is not None:
                self.done.append(
                    _Done(
                        label=f"adjust {key}",
                        same=lambda: loyalty.adjust(
                            customer, points, idempotency_key=key, reason="fix"
                        ),
                        expected=entry,
                        other=lambda: loyalty.adjust(
                            customer, -points, idempotency_key=key, reason="fix"
                        ),
                    )
                )

        @rule(
            giver=accounts,
            taker=accounts,
            points=st.integers(min_value=1, max_value=200),
        )
        def gift(self, giver: int, taker: int, points: int) -> None:
            """A redemption and a credit in one kit.transaction(): both or neither."""
            out_key, in_key, loyalty = self._key("gift-out-"), self._key("gift-in-"), self.k.loyalty
            (source, sender), (target, receiver) = self.members[giver], self.members[taker]

            def model() -> None:
                self.model.redeem(source, points)
                self.model.earn(target, points)

            def engine() -> tuple[rk.LedgerEntry, rk.LedgerEntry]:
                with self.k.transaction():
                    spent = loyalty.redeem(sender, points, idempotency_key=out_key)
                    got = loyalty.earn(receiver, points, idempotency_key=in_key, reason="gift")
                return spent, got

            entries = self._expect(model, engine)
            if entries is None:
                return
            spent, got = entries
            self.done.append(
                _Done(
                    label=f"gift {out_key}",
                    same=lambda: loyalty.redeem(sender, points, idempotency_key=out_key),
                    expected=spent,
                    other=lambda: loyalty.redeem(sender, points + 1, idempotency_key=out_key),
                )
            )
            self.done.append(
                _Done(
                    label=f"gift {in_key}",
                    same=lambda: loyalty.earn(
                        receiver, points, idempotency_key=in_key, reason="gift"
                    ),
                    expected=got,
                    other=lambda: loyalty.earn(receiver, points, idempotency_key=in_key),
                )
            )

        # -- purchases and refunds -------------------------------------------------

        @rule(
            who=accounts,
            totals=st.lists(st.integers(min_value=0, max_value=30_000), min_size=1, max_size=2),
            used=st.lists(
                st.one_of(st.just(0), st.integers(min_value=1, max_value=200)),
                min_size=2,
                max_size=2,
            ),
            late=st.lists(
                st.one_of(st.just(0), st.integers(min_value=1, max_value=24 * 45)),
                min_size=2,
                max_size=2,
            ),
            bulk=st.booleans(),
        )
        def purchase(
            self, who: int, totals: list[int], used: list[int], late: list[int], bulk: bool
        ) -> None:
            """Record orders; ``late`` hours back-dates them (a webhook that arrives late)."""
            # Orders name a person: the account itself (member 1) buys through a contact.
            account, customer = self.members[2 if who == 1 else who]
            purchases = self.k.purchases
            now = self.model.now
            rows = [
                (self._key("order-"), total, points, now - dt.timedelta(hours=hours))
                for total, points, hours in zip(
                    totals, used[: len(totals)], late[: len(totals)], strict=True
                )
            ]
            payloads: list[dict[str, Any]] = [
                {
                    "order_id": order_id,
                    "customer_id": customer,
                    "occurred_at": pendulum.instance(at),
                    "total": _eur_minor(total),
                    "points_used": points,
                }
                for order_id, total, points, at in rows
            ]
            if bulk or len(rows) > 1:
                result = self._expect(
                    lambda: self.model.purchase(account, rows),
                    lambda: purchases.record_many(payloads),
                )
                if result is None:
                    return
                assert rk.BulkResult(recorded=len(rows)) == result
                first = dict(payloads[0])
                first["total"] = _eur_minor(rows[0][1] + 1)
                self.done.append(
                    _Done(
                        label=f"record_many {[r[0] for r in rows]}",
                        same=lambda: purchases.record_many(payloads),
                        expected=rk.BulkResult(unchanged=len(rows)),
                        other=lambda: purchases.record_many([first]),
                    )
                )
            else:
                payload = payloads[0]
                stored = self._expect(
                    lambda: self.model.purchase(account, rows),
                    lambda: purchases.record(**payload),
                )
                if stored is None:
                    return
                changed = {**payload, "total": _eur_minor(rows[0][1] + 1)}
                self.done.append(
                    _Done(
                        label=f"record {rows[0][0]}",
                        same=lambda: purchases.record(**payload),
                        expected=_project(stored),
                        other=lambda: purchases.record(**changed),
                    )
                )
            self.orders += [(account, row[0]) for row in rows]

        @precondition(lambda self: bool(self.orders))
        @rule(
            pick=st.integers(min_value=0),
            share=st.sampled_from(["cent", "quarter", "third", "half", "rest", "too much"]),
        )
        def refund(self, pick: int, share: str) -> None:
            who, order_id = self.orders[pick % len(self.orders)]
            left = self.model.refundable(who, order_id)
            amount = {
                "cent": 1,
                "quarter": left // 4,
                "third": left // 3,
                "half": left // 2,
                "rest": left,
                "too much": left + 1,
            }[share]
            amount = max(amount, 1)
            refund_id, purchases = self._key("refund-"), self.k.purchases
            stored = self._expect(
                lambda: self.model.refund(who, order_id, amount),
                lambda: purchases.refund(order_id, refund_id=refund_id, amount=_eur_minor(amount)),
            )
            if stored is not None:
                self.done.append(
                    _Done(
                        label=f"refund {refund_id}",
                        same=lambda: purchases.refund(
                            order_id, refund_id=refund_id, amount=_eur_minor(amount)
                        ),
                        expected=stored,
                        other=lambda: purchases.refund(
                            order_id, refund_id=refund_id, amount=_eur_minor(amount + 1)
                        ),
                    )
                )

        # -- time ------------------------------------------------------------------

        @rule(
            hours=st.one_of(
                st.integers(min_value=1, max_value=48),
                # a week, past the return window, past a 30-day expiry, a quarter
                st.sampled_from([24 * 7, 24 * 15, 24 * 32, 24 * 91]),
                st.integers(min_value=1, max_value=24 * 40),
            )
        )
        def advance(self, hours: int) -> None:
            self.clock.advance(hours=hours)
            self.model.now += dt.timedelta(hours=hours)

        @rule()
        def process_due(self) -> None:
            result = self.k.loyalty.process_due()
            assert self.model.process_due() == result.activated

        # -- replays ---------------------------------------------------------------

        @precondition(lambda self: bool(self.done))
        @rule(pick=st.integers(min_value=0))
        def replay_same_payload(self, pick: int) -> None:
            done = self.done[pick % len(self.done)]
            assert done.expected == _project(done.same()), done.label

        @precondition(lambda self: bool(self.done))
        @rule(pick=st.integers(min_value=0))
        def replay_other_payload(self, pick: int) -> None:
            done = self.done[pick % len(self.done)]
            try:
                done.other()
            except IdempotencyConflict:
                return
            raise AssertionError(f"{done.label}: another payload under the same key was accepted")

        # -- invariants ------------------------------------------------------------

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

    LedgerMachine.__name__ = LedgerMachine.__qualname__ = "LedgerMachine"
    return LedgerMachine


def _eur_minor(minor: int) -> rk.Money:
    """Return ``minor`` euro cents as Money."""
    return rk.Money(f"{minor // 100}.{minor % 100:02d}", "EUR")
