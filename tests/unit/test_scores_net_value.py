"""One rule for what an order is worth: lead, churn and health count as the purchase summary.

An order counts at its total less the refunds made by ``as_of``; an order
refunded in full is not a transaction, an order of 0.00 without refunds is.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

import relationkit as rk
from relationkit.domain.scoring import EngagementRule, LeadModel
from relationkit.testing.analytics._support import load
from relationkit.testing.base import T0
from relationkit.testing.strategies import purchase_histories
from relationkit.testing.strategies._histories import PurchaseHistory

UNDECAYED = {"half_life_days": None}


def _order(kit: rk.RelationKit, who: rk.Customer, order_id: str, days: int, total: str) -> None:
    kit.purchases.record(
        order_id=order_id,
        customer_id=who.id,
        occurred_at=T0.subtract(days=days),
        total=rk.Money(total, "EUR"),
    )


def test_a_fully_refunded_order_gives_no_lead_points(kit: rk.RelationKit) -> None:
    """A purchase rule skips an order refunded in full; a partly refunded one still counts."""
    person = kit.customers.create(email="r@example.com")
    _order(kit, person, "full", 3, "30.00")
    _order(kit, person, "part", 2, "30.00")
    kit.purchases.refund("full", refund_id="r1", amount=rk.Money("30.00", "EUR"))
    kit.purchases.refund("part", refund_id="r2", amount=rk.Money("10.00", "EUR"))
    model = LeadModel(rules=[EngagementRule.purchase("buy", 10)], **UNDECAYED)  # type: ignore[arg-type]
    score = kit.scores.lead(person.id, model)
    assert (["part"], 10) == ([line.ref for line in score.lines], score.score)


def test_min_total_compares_the_net_value(kit: rk.RelationKit) -> None:
    """An order of 100.00 refunded down to 40.00 no longer reaches a min_total of 50.00."""
    person = kit.customers.create(email="n@example.com")
    _order(kit, person, "big", 2, "100.00")
    rule = EngagementRule.purchase("big", 10, min_total=rk.Money("50.00", "EUR"))
    model = LeadModel(rules=[rule], **UNDECAYED)  # type: ignore[arg-type]
    before = kit.scores.lead(person.id, model).score
    kit.purchases.refund("big", refund_id="r", amount=rk.Money("60.00", "EUR"))
    assert (10, 0) == (before, kit.scores.lead(person.id, model).score)
    assert 10 == kit.scores.lead(person.id, model, as_of=T0.subtract(days=1)).score


def test_a_free_order_is_a_purchase_day_for_churn_and_health(kit: rk.RelationKit) -> None:
    """A 0.00 order without refunds is a purchase day, as in the summary; a refunded one is not."""
    person = kit.customers.create(email="z@example.com")
    _order(kit, person, "a", 90, "40.00")
    _order(kit, person, "b", 60, "40.00")
    _order(kit, person, "free", 30, "0.00")
    _order(kit, person, "gone", 10, "25.00")
    kit.purchases.refund("gone", refund_id="r", amount=rk.Money("25.00", "EUR"))
    risk = kit.scores.churn(person.id)
    [row] = kit.scores.purchase_summary(unit="days")
    assert (T0.date().subtract(days=30), 30.0) == (risk.last_purchase, risk.usual_gap_days)
    assert (3, row.last_day) == (row.transactions, risk.last_purchase)
    acme = kit.accounts.create(name="ACME", kind=rk.AccountKind.B2B)
    buyer = kit.customers.create(email="b@acme.example", account_id=acme.id, role="buyer")
    _order(kit, buyer, "acme-free", 5, "0.00")
    recency = {f.factor: f.detail for f in kit.scores.health(acme.id).factors}["purchase_recency"]
    assert "5 days since the last purchase; usual gap 90 days" == recency


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(purchase_histories(max_accounts=3, max_orders=8))
def test_churn_sees_the_last_day_the_summary_counts(history: PurchaseHistory) -> None:
    """For every drawn history, churn's last purchase day is the summary's last day."""
    kit = rk.open(clock=rk.FrozenClock(T0), timezone=history.zone)
    ids = load(kit, history)
    summary = {
        r.account_id: r.last_day
        for r in kit.scores.purchase_summary(as_of=history.as_of, currency="EUR")
    }
    assert [summary.get(a) for a in ids] == [
        kit.scores.churn(a, as_of=history.as_of).last_purchase for a in ids
    ]
