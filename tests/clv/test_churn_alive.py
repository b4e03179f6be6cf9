"""Churn risk with a fitted relationkit.clv model: the ``alive`` factor end to end."""

from __future__ import annotations

import pendulum
import pytest

import relationkit as rk
from relationkit import clv

T0 = pendulum.datetime(1997, 1, 1, 12, tz="UTC")


def test_churn_reads_probability_alive_from_a_fitted_bgnbd(bgnbd: clv.BetaGeoModel) -> None:
    """kit.scores.churn(alive=model) takes 1 - P(alive) of the account's own history.

    The model answers with an array; the factor is its one value, computed in
    the model's unit (weeks) from the account's purchase days.
    """
    clock = rk.FrozenClock(T0.add(weeks=39))
    with rk.open("memory://", clock=clock) as kit:
        ann = kit.customers.create(email="ann@example.com")
        for week in (0, 4, 10):
            kit.purchases.record(
                order_id=f"a-{week}",
                customer_id=ann.id,
                occurred_at=T0.add(weeks=week),
                total=rk.Money("20.00", "USD"),
            )

        risk = kit.scores.churn(ann.id, alive=bgnbd)

    alive = float(bgnbd.probability_alive(2.0, 10.0, 39.0)[0])
    factor = {r.factor: r for r in risk.reasons}["alive"]
    assert factor.risk == pytest.approx(1 - alive, abs=1e-4)
    assert 0 <= risk.score <= 100
