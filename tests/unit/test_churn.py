"""Churn risk: the account's own purchase rhythm, falling spend, tickets, probability alive."""

from __future__ import annotations

import math

import pendulum
import pytest

import relationkit as rk
from relationkit.domain.scoring import ChurnModel, ChurnRisk, PurchaseDay, churn_risk
from relationkit.errors import ValidationError
from relationkit.testing.base import T0

TODAY = T0.date()


def _days(*spec: tuple[int, int]) -> list[PurchaseDay]:
    """Purchase days from (days before TODAY, net minor units)."""
    return sorted(
        (PurchaseDay(day=TODAY.subtract(days=ago), net_minor=net) for ago, net in spec),
        key=lambda d: d.day,
    )


def _risk(
    days: list[PurchaseDay],
    *,
    model: ChurnModel | None = None,
    p_alive: float | None = None,
    open_tickets: int | None = None,
) -> ChurnRisk:
    return churn_risk(
        model or ChurnModel(),
        account_id="acc_1",
        as_of=T0,
        today=TODAY,
        days=days,
        p_alive=p_alive,
        open_tickets=open_tickets,
    )


def test_recency_is_measured_against_the_accounts_own_gap() -> None:
    """Two gaps late is risk 0.5 for a 10-day buyer and 0 for a 60-day buyer at the same silence."""
    weekly = _risk(_days((60, 100), (50, 100), (40, 100), (30, 100), (20, 100)))
    slow = _risk(_days((260, 100), (200, 100), (140, 100), (80, 100), (20, 100)))
    assert (10.0, 0.5) == (weekly.usual_gap_days, weekly.reasons[0].risk)
    assert (60.0, 0.0) == (slow.usual_gap_days, slow.reasons[0].risk)
    assert ("recency", 50) == (weekly.reasons[0].factor, weekly.score)


def test_a_one_time_buyer_is_measured_against_the_default_gap() -> None:
    """With one purchase day the model's default gap stands in, and the reason says so."""
    risk = _risk(_days((120, 100)), model=ChurnModel(default_gap_days=60))
    recency = next(r for r in risk.reasons if r.factor == "recency")
    # Two gaps late (0.5 at weight 0.5), and nothing spent since (1.0 at 0.25).
    assert (None, 0.5, 67) == (risk.usual_gap_days, recency.risk, risk.score)
    assert "one-time buyer" in recency.detail


def test_falling_spend_adds_risk() -> None:
    """Spend down 75% between the two windows is a spend risk of 0.75, weighed in the mean."""
    risk = _risk(_days((150, 4000), (120, 4000), (30, 1000), (5, 1000)))
    by_factor = {r.factor: r.risk for r in risk.reasons}
    assert {"recency": 0.0, "spend": 0.75} == by_factor
    assert round(100 * 0.25 * 0.75 / 0.75) == risk.score


def test_tickets_join_only_when_there_is_ticket_data() -> None:
    """No ticket count: the factor is left out, not counted as zero; a count adds it."""
    days = _days((40, 100), (30, 100), (20, 100), (10, 100))
    without = _risk(days)
    with_tickets = _risk(days, open_tickets=3)
    assert ["recency"] == [r.factor for r in without.reasons]
    assert ({"tickets": 1.0, "recency": 0.0}, 23) == (
        {r.factor: r.risk for r in with_tickets.reasons},
        round(100 * 0.15 / 0.65),
    )


def test_probability_alive_joins_when_given() -> None:
    """P(alive) 0.2 is an alive risk of 0.8 at its weight."""
    risk = _risk(_days((40, 100), (30, 100), (20, 100), (10, 100)), p_alive=0.2)
    assert ({"alive": 0.8, "recency": 0.0}, 40) == (
        {r.factor: r.risk for r in risk.reasons},
        risk.score,
    )


def test_no_purchase_means_no_churn_risk() -> None:
    """An account that never bought scores 0 with the single reason no_purchases."""
    risk = _risk([])
    assert (0, ["no_purchases"], None) == (
        risk.score,
        [r.factor for r in risk.reasons],
        risk.last_purchase,
    )


def test_bad_models_are_refused() -> None:
    """Weights out of 0..100, a threshold above 100 and an unknown unit raise ValidationError."""
    for kw in ({"recency_weight": -1}, {"at_risk_at": 101}, {"alive_unit": "months"}):
        with pytest.raises(ValidationError):
            ChurnModel(**kw)


def _buyer(kit: rk.RelationKit, *ago: int) -> rk.Customer:
    person = kit.customers.create(email="c@example.com")
    for n, days in enumerate(ago):
        kit.purchases.record(
            order_id=f"o-{n}",
            customer_id=person.id,
            occurred_at=T0.subtract(days=days),
            total=rk.Money("10", "EUR"),
        )
    return person


def test_the_service_reads_days_net_of_refunds(kit: rk.RelationKit) -> None:
    """A fully refunded last order is no purchase day: recency counts from the one before."""
    person = _buyer(kit, 40, 30, 20)
    kit.purchases.refund("o-2", refund_id="r-1", amount=rk.Money("10", "EUR"))
    risk = kit.scores.churn(person.id)
    assert (T0.date().subtract(days=30), 10.0) == (risk.last_purchase, risk.usual_gap_days)


def test_the_at_risk_threshold_is_the_hosts_choice(kit: rk.RelationKit) -> None:
    """Without at_risk_at nothing moves; with it, move=True takes a customer to at_risk."""
    person = _buyer(kit, 100, 90, 80)
    assert "customer" == kit.lifecycle.stage(person.id)
    kit.scores.churn(person.id, move=True)
    assert "customer" == kit.lifecycle.stage(person.id)
    risk = kit.scores.churn(person.id, ChurnModel(at_risk_at=70), move=True)
    # Recency 8 gaps late (risk 1, weight 0.5); spend halved (0.5, weight 0.25).
    assert (True, 83, "at_risk") == (
        risk.moves_to_at_risk,
        risk.score,
        kit.lifecycle.stage(person.id),
    )
    assert "churn risk 83" == kit.lifecycle.history(person.id)[-1].reason


class _ExponentialLife:
    """A customer-base model in days: alive with probability exp(-(T - recency) / 30)."""

    unit = "days"

    def __init__(self) -> None:
        self.seen: list[tuple[float, float, float]] = []

    def probability_alive(self, frequency: float, recency: float, T: float) -> float:
        self.seen.append((frequency, recency, T))
        return math.exp(-(T - recency) / 30.0)


def test_a_fitted_model_gets_the_literatures_summary_in_its_unit(kit: rk.RelationKit) -> None:
    """frequency = days - 1, recency = first to last, T = first to as_of, in the model's unit."""
    person = _buyer(kit, 40, 30, 30, 10)
    model = _ExponentialLife()
    risk = kit.scores.churn(person.id, alive=model)
    assert [(2.0, 30.0, 40.0)] == model.seen
    assert round(1 - math.exp(-10 / 30), 4) == {r.factor: r.risk for r in risk.reasons}["alive"]


def test_as_of_reads_the_past(kit: rk.RelationKit) -> None:
    """A churn risk at a past date ignores later purchases; a naive as_of is refused."""
    person = _buyer(kit, 40, 30, 5)
    past = kit.scores.churn(person.id, as_of=T0.subtract(days=20))
    assert T0.date().subtract(days=30) == past.last_purchase
    with pytest.raises(ValidationError):
        kit.scores.churn(person.id, as_of=pendulum.naive(2026, 1, 1))
