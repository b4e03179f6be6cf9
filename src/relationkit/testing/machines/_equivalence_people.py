"""The equivalence machine's rules for people, accounts, stages and interactions (not public)."""

from __future__ import annotations

from typing import Any

import pendulum
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

import relationkit as rk
from relationkit.testing import strategies as rks
from relationkit.testing.machines._equivalence_draws import (
    EMAIL,
    EXTERNAL_ID,
    EXTERNAL_IDS,
    MAYBE_NAIVE_WHEN,
    NAMES,
)
from relationkit.testing.machines._equivalence_lockstep import LockstepMachine

__all__ = ["PeopleRules"]


class PeopleRules(LockstepMachine):
    """Create and update customers, B2B accounts and contacts; move stages; log; wait."""

    # -- people and accounts ---------------------------------------------------

    @rule(
        email=EMAIL,
        name=st.none() | NAMES,
        external_id=EXTERNAL_ID,
        attributes=st.none() | rks.attributes(),
    )
    def create_customer(
        self,
        email: str | None,
        name: str | None,
        external_id: str | None,
        attributes: dict[str, Any] | None,
    ) -> None:
        self.both(
            "create_customer",
            lambda kit: kit.customers.create(
                email=email, name=name, external_id=external_id, attributes=attributes
            ),
        )

    @rule(name=NAMES)
    def create_company(self, name: str) -> None:
        self.both(
            "create_company",
            lambda kit: kit.accounts.create(name=name, kind=rk.AccountKind.B2B),
        )

    @precondition(lambda self: bool(self.account_ids))
    @rule(
        data=st.data(),
        email=EMAIL,
        name=NAMES,
        role=st.none() | st.sampled_from(("buyer", "finance")),
    )
    def add_contact(
        self, data: st.DataObject, email: str | None, name: str, role: str | None
    ) -> None:
        account_id = data.draw(st.sampled_from(self.account_ids), label="account_id")
        self.both(
            "add_contact",
            lambda kit: kit.customers.create(
                email=email, name=name, account_id=account_id, role=role
            ),
        )

    @rule(
        external_id=st.sampled_from(EXTERNAL_IDS),
        email=EMAIL,
        name=st.none() | NAMES,
    )
    def upsert_customer(self, external_id: str, email: str | None, name: str | None) -> None:
        self.both(
            "upsert_customer",
            lambda kit: kit.customers.upsert(external_id=external_id, email=email, name=name),
        )

    @precondition(lambda self: bool(self.customer_ids))
    @rule(data=st.data(), email=EMAIL, name=st.none() | NAMES)
    def update_customer(self, data: st.DataObject, email: str | None, name: str | None) -> None:
        customer_id = self.pick_ref(data, customers_only=True)
        self.both(
            "update_customer",
            lambda kit: kit.customers.update(customer_id, email=email, name=name),
        )

    # -- lifecycle and interactions --------------------------------------------

    @precondition(lambda self: bool(self.account_ids))
    @rule(data=st.data(), reason=st.none() | NAMES)
    def move_stage(self, data: st.DataObject, reason: str | None) -> None:
        """Move along an edge of the graph, mostly; else anywhere (InvalidTransition)."""
        ref = self.pick_ref(data)
        stage = self.draw_stage(data, ref)
        self.both("move_stage", lambda kit: kit.lifecycle.move(ref, stage, reason=reason))

    @precondition(lambda self: bool(self.account_ids))
    @rule(
        data=st.data(),
        channel=st.sampled_from(rk.Channel),
        direction=st.sampled_from(rk.Direction),
        occurred_at=st.none() | MAYBE_NAIVE_WHEN,
        subject=st.none() | NAMES,
    )
    def log_interaction(
        self,
        data: st.DataObject,
        channel: rk.Channel,
        direction: rk.Direction,
        occurred_at: pendulum.DateTime | None,
        subject: str | None,
    ) -> None:
        ref = self.pick_ref(data)
        self.both(
            "log_interaction",
            lambda kit: kit.interactions.log(
                ref,
                channel=channel,
                direction=direction,
                occurred_at=occurred_at,
                subject=subject,
            ),
        )

    @rule(minutes=st.integers(1, 60 * 24 * 40))
    def advance_clock(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)
