"""The ledger machine's purchases and refunds (not public)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

import relationkit as rk
from relationkit.testing.machines._ledger_base import MEMBERS, Done, LedgerBase, eur_minor, project

__all__ = ["OrderRules"]


class OrderRules(LedgerBase):
    """Record orders (one by one or in bulk, back-dated or not) and refund them."""

    @rule(
        who=MEMBERS,
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
                "total": eur_minor(total),
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
            first["total"] = eur_minor(rows[0][1] + 1)
            self.done.append(
                Done(
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
            changed = {**payload, "total": eur_minor(rows[0][1] + 1)}
            self.done.append(
                Done(
                    label=f"record {rows[0][0]}",
                    same=lambda: purchases.record(**payload),
                    expected=project(stored),
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
            lambda: purchases.refund(order_id, refund_id=refund_id, amount=eur_minor(amount)),
        )
        if stored is not None:
            self.done.append(
                Done(
                    label=f"refund {refund_id}",
                    same=lambda: purchases.refund(
                        order_id, refund_id=refund_id, amount=eur_minor(amount)
                    ),
                    expected=stored,
                    other=lambda: purchases.refund(
                        order_id, refund_id=refund_id, amount=eur_minor(amount + 1)
                    ),
                )
            )
