"""The ledger machine's state, set-up, clock and helpers (not public).

:class:`LedgerBase` holds the kit, the model, the members and orders the
rules pick from, and the keyed requests to replay; the rules and the
invariants are mixins over it, in the modules next to this one.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import attrs
import pendulum
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

import relationkit as rk
from relationkit.errors import InsufficientPoints, ValidationError
from relationkit.storage.ports import Storage
from relationkit.testing.machines.ledger_model import (
    PROFILES,
    START,
    LedgerModel,
    ModelProfile,
    Refused,
)

__all__ = ["MEMBERS", "Done", "LedgerBase", "eur_minor", "project"]

MEMBERS = st.integers(min_value=0, max_value=3)
"""A member of the machine: 0 is a B2C customer; 1, 2 and 3 all stand for one
B2B account (its id, then two of its contacts)."""


@attrs.define
class Done:
    """A successful keyed request, to replay: same payload, then another payload."""

    label: str
    same: Callable[[], object]
    expected: object
    other: Callable[[], object]


def project(result: object) -> object:
    """What a replay must return unchanged (a purchase may have gained refunds since)."""
    if isinstance(result, rk.Purchase):
        return (result.id, result.order_id, result.total, result.points_used, result.occurred_at)
    return result


def eur_minor(minor: int) -> rk.Money:
    """Return ``minor`` euro cents as Money."""
    return rk.Money(f"{minor // 100}.{minor % 100:02d}", "EUR")


class LedgerBase(RuleBasedStateMachine):
    """A kit over a fresh store, and the model it must match.

    A subclass says where stores come from (:meth:`new_storage`), how they
    are released (:meth:`release_storage`), and calls :meth:`open_with` from
    its ``@initialize`` rule with the profile it drew.
    """

    def __init__(self) -> None:
        super().__init__()
        self.storage: Storage | None = None
        self.kit: rk.RelationKit | None = None
        self.clock = rk.FrozenClock(pendulum.instance(START))
        self.model = LedgerModel(PROFILES[1], 2, START)
        self.members: list[tuple[int, str]] = []
        self.orders: list[tuple[int, str]] = []
        self.done: list[Done] = []
        self.counter = itertools.count(1)

    # -- set-up -----------------------------------------------------------------

    def new_storage(self) -> Storage:
        """Return a fresh, empty store (called once per example)."""
        raise NotImplementedError

    def release_storage(self, storage: Storage) -> None:
        """Release a store after its example (default: ``close()``)."""
        storage.close()

    def open_with(self, profile: ModelProfile) -> None:
        """Open a kit under ``profile`` with a B2C customer and a B2B account of two buyers."""
        self.storage = self.new_storage()
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
            self.release_storage(self.storage)

    # -- helpers ----------------------------------------------------------------

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

    # -- time -------------------------------------------------------------------

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
