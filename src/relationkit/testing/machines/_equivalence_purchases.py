"""The equivalence machine's rules for purchases, refunds and imports (not public)."""

from __future__ import annotations

from typing import Any

import pendulum
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

import relationkit as rk
from relationkit.errors import RelationKitError
from relationkit.testing import strategies as rks
from relationkit.testing.machines._equivalence_draws import (
    EMAIL,
    EXTERNAL_IDS,
    NAMES,
    ORDER_IDS,
    REFUND_AMOUNTS,
    REFUND_IDS,
    WHEN,
    mostly,
)
from relationkit.testing.machines._equivalence_lockstep import LockstepMachine

__all__ = ["PurchaseRules"]


class PurchaseRules(LockstepMachine):
    """Record and replay purchases, refund them, import them in batches."""

    @precondition(lambda self: bool(self.customer_ids))
    @rule(data=st.data())
    def record_purchase(self, data: st.DataObject) -> None:
        fields = self.draw_purchase(data)
        self.both("record_purchase", lambda kit: kit.purchases.record(**fields))

    @precondition(lambda self: bool(self.customer_ids))
    @rule(data=st.data())
    def replay_purchase(self, data: st.DataObject) -> None:
        """Record an order twice in a row: the second call is a pure replay."""
        fields = self.draw_purchase(data)
        self.both("replay_purchase (first)", lambda kit: kit.purchases.record(**fields))
        self.both("replay_purchase (again)", lambda kit: kit.purchases.record(**fields))

    @precondition(lambda self: bool(self.order_ids))
    @rule(
        data=st.data(),
        refund_id=st.sampled_from(REFUND_IDS),
        occurred_at=st.none() | WHEN,
    )
    def refund(
        self,
        data: st.DataObject,
        refund_id: str,
        occurred_at: pendulum.DateTime | None,
    ) -> None:
        """Refund part of what is left on a recorded order, mostly; else anything.

        Over-refunds, refunds in another currency, of unknown orders, and
        replays of a refund id (same or other amount) come now and then.
        """
        order_id = data.draw(
            mostly(st.sampled_from(self.order_ids), st.sampled_from(ORDER_IDS)),
            label="order_id",
        )
        try:
            left = self.kits[0].purchases.get(order_id).refundable
        except RelationKitError:
            left = rk.Money.zero("EUR")
        fitting = (
            rks.money(left.currency, min_minor=1, max_minor=left.minor)
            if left.minor > 0
            else REFUND_AMOUNTS
        )
        amount = data.draw(mostly(fitting, REFUND_AMOUNTS), label="amount")
        self.both(
            "refund",
            lambda kit: kit.purchases.refund(
                order_id, refund_id=refund_id, amount=amount, occurred_at=occurred_at
            ),
        )

    @rule(data=st.data(), batch_size=st.sampled_from((1, 2, 3, 50)))
    def record_many(self, data: st.DataObject, batch_size: int) -> None:
        count = data.draw(st.integers(0, 5), label="rows")
        # One bad row now and then; it spoils its whole batch, not the others.
        bad = data.draw(mostly(st.just(-1), st.integers(0, 4)), label="bad row")
        rows: list[dict[str, Any]] = []
        for n in range(count):
            row = self.draw_purchase(data, valid=n != bad)
            if not self.customer_ids or data.draw(st.booleans(), label="by external id"):
                del row["customer_id"]
                row["customer_external_id"] = data.draw(
                    st.sampled_from(EXTERNAL_IDS), label="customer_external_id"
                )
                row["email"] = data.draw(EMAIL, label="email")
                row["name"] = data.draw(st.none() | NAMES, label="name")
            rows.append(row)
        batches: list[rk.BulkResult] = []

        def run(kit: rk.RelationKit) -> tuple[rk.BulkResult, list[rk.BulkResult]]:
            batches.clear()
            # A generator: the kit must take rows lazily, as a backfill would give them.
            result = kit.purchases.record_many(
                (dict(row) for row in rows), batch_size=batch_size, on_batch=batches.append
            )
            return result, list(batches)

        self.both("record_many", run)
