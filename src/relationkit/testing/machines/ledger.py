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

The machine is composed from mixins over ``_ledger_base.LedgerBase`` (the
kit, the model, set-up, the clock): the ledger writes (``_ledger_writes``),
purchases and refunds (``_ledger_orders``), and the replays and invariants
(``_ledger_checks``); the model is :mod:`~relationkit.testing.machines.ledger_model`.

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

from collections.abc import Callable

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize

from relationkit.storage.ports import Storage
from relationkit.testing.machines._ledger_checks import LedgerChecks
from relationkit.testing.machines._ledger_orders import OrderRules
from relationkit.testing.machines._ledger_writes import LedgerWrites
from relationkit.testing.machines.ledger_model import (
    PROFILES,
    LedgerModel,
    ModelProfile,
    Refused,
)

__all__ = ["PROFILES", "LedgerModel", "ModelProfile", "Refused", "make_ledger_machine"]


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

    class LedgerMachine(LedgerWrites, OrderRules, LedgerChecks):
        """The loyalty ledger against :class:`LedgerModel`."""

        def new_storage(self) -> Storage:
            return make_storage()

        def release_storage(self, storage: Storage) -> None:
            release(storage)

        @initialize(profile=st.sampled_from(profiles))
        def open_kit(self, profile: ModelProfile) -> None:
            self.open_with(profile)

    LedgerMachine.__name__ = LedgerMachine.__qualname__ = "LedgerMachine"
    return LedgerMachine
