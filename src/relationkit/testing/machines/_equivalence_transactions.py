"""The equivalence machine's rules for transaction blocks (not public)."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

import relationkit as rk
from relationkit.testing.machines._equivalence_draws import EMAIL, NAMES, mostly
from relationkit.testing.machines._equivalence_lockstep import (
    LockstepMachine,
    Outcome,
    Rollback,
    attempt,
)

__all__ = ["TransactionRules"]


class TransactionRules(LockstepMachine):
    """Several writes in ``kit.transaction()``: rolled back whole, or nested and undone alone."""

    @precondition(lambda self: bool(self.customer_ids))
    @rule(data=st.data(), name=NAMES, email=mostly(st.none(), EMAIL))
    def rolled_back_transaction(self, data: st.DataObject, name: str, email: str | None) -> None:
        """Several writes in kit.transaction(), then an exception: nothing happened."""
        customer_id = self.pick_ref(data, customers_only=True)
        fields = self.draw_purchase(data)
        stage = self.draw_stage(data, customer_id)

        def run(kit: rk.RelationKit) -> None:
            with kit.transaction():
                kit.customers.create(name=name, email=email)
                kit.interactions.log(customer_id, channel="email", direction="outbound")
                kit.purchases.record(**fields)
                kit.lifecycle.move(customer_id, stage)
                raise Rollback

        self.both("rolled_back_transaction", run)

    @precondition(lambda self: bool(self.customer_ids))
    @rule(data=st.data(), fail_inner=st.booleans())
    def nested_transaction(self, data: st.DataObject, fail_inner: bool) -> None:
        """An outer block commits; its inner block may fail and is undone alone."""
        customer_id = self.pick_ref(data, customers_only=True)
        fields = self.draw_purchase(data)
        stage = self.draw_stage(data, customer_id)

        def run(kit: rk.RelationKit) -> tuple[Outcome, Outcome, rk.Interaction]:
            with kit.transaction():
                note = kit.interactions.log(customer_id, channel="chat", direction="inbound")

                def inner() -> rk.Purchase:
                    with kit.transaction():
                        purchase = kit.purchases.record(**fields)
                        if fail_inner:
                            raise Rollback
                        return purchase

                purchased = attempt(inner, strict=False)
                moved = attempt(lambda: kit.lifecycle.move(customer_id, stage), strict=False)
            return purchased, moved, note

        self.both("nested_transaction", run)
