"""Gamma-Gamma's one-time buyers and refunds; CLV over calendar horizons."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from typing import Any

import numpy as np
import pytest

from clv.cdnow import CALIBRATION_END, Summary
from relationkit import clv
from relationkit.clv._data import coerce_summary
from relationkit.errors import ValidationError


def test_one_time_buyers_get_the_flagged_population_mean(
    spend: clv.GammaGammaModel, weeks: Summary
) -> None:
    """Frequency 0: expected value p gamma / (q - 1), with population_mean=True."""
    p, q, gamma = spend.params["p"], spend.params["q"], spend.params["gamma"]
    predictions = {row.account_id: row for row in spend.predict(weeks)}
    one_time = [row for row in weeks if row.frequency == 0]
    assert 1411 == len(one_time)
    for row in one_time[:5]:
        assert predictions[row.account_id].population_mean
        assert p * gamma / (q - 1) == pytest.approx(predictions[row.account_id].expected_value)
    repeat = next(row for row in weeks if row.frequency > 0)
    assert not predictions[repeat.account_id].population_mean


def test_expected_value_shrinks_towards_the_population_mean(spend: clv.GammaGammaModel) -> None:
    """More transactions pull the estimate closer to the customer's own mean."""
    values = spend.expected_average_value([1, 5, 50], [100.0, 100.0, 100.0])
    assert spend.population_mean < values[0] < values[1] < values[2] < 100.0


def _with_refunds(weeks: Summary) -> clv.SummaryData:
    data = coerce_summary(weeks)
    money = data.monetary_value.copy()
    repeat = np.flatnonzero(data.frequency > 0)
    money[repeat[:3]] = [0.0, -12.5, 0.0]  # everything refunded, or more
    return clv.SummaryData.from_arrays(
        data.frequency, data.recency, data.T, money, ids=data.ids, unit="weeks"
    )


def test_non_positive_net_values_are_excluded_and_counted(weeks: Summary) -> None:
    """Refunds: repeat buyers with a net mean <= 0 are left out, counted, and pooled."""
    data = _with_refunds(weeks)
    model = clv.GammaGammaModel.fit(data)
    assert (3, 943) == (model.excluded, model.diagnostics.n_customers)
    refunded = [p for p in model.predict(data) if p.population_mean]
    assert 1411 + 3 == len(refunded)


def test_non_positive_net_values_can_be_refused(weeks: Summary) -> None:
    """non_positive="raise" turns the same data into a ValidationError."""
    with pytest.raises(ValidationError) as caught:
        clv.GammaGammaModel.fit(_with_refunds(weeks), non_positive="raise")
    assert "monetary_value" == caught.value.field


def test_gamma_gamma_refuses_identical_values() -> None:
    """All repeat buyers spending the same: InsufficientDataError, no degenerate fit."""
    with pytest.raises(clv.InsufficientDataError):
        clv.GammaGammaModel.fit_arrays(np.arange(1, 21), np.full(20, 10.0))


@pytest.mark.parametrize(
    ("start", "horizon", "days"),
    [
        (dt.date(1997, 9, 30), clv.Horizon(months=3), 91),
        (dt.date(1997, 1, 31), clv.Horizon(months=1), 28),
        (dt.date(1996, 1, 31), clv.Horizon(months=1), 29),
        (dt.date(1997, 9, 30), clv.Horizon(months=12), 365),
        (dt.date(1997, 9, 30), clv.Horizon(weeks=2), 14),
    ],
)
def test_calendar_horizons_count_real_days(start: dt.date, horizon: clv.Horizon, days: int) -> None:
    """A calendar month is 28 to 31 days from its start date, never 30 by decree."""
    assert days == horizon.length(start, "days")
    assert days / 7 == horizon.length(start, "weeks")


def test_horizon_needs_one_positive_count() -> None:
    """Horizon(months=1, days=3) and Horizon() are ValidationErrors."""
    with pytest.raises(ValidationError):
        clv.Horizon(months=1, days=3)
    with pytest.raises(ValidationError):
        clv.Horizon()


@pytest.mark.parametrize(
    ("counts", "field"),
    [
        ({"days": 1.5}, "days"),
        ({"days": "3"}, "days"),
        ({"months": True}, "months"),
        ({"weeks": False, "days": 2}, "weeks"),
        ({"days": -1, "months": 2}, "days"),
        ({"weeks": -4}, "weeks"),
    ],
)
def test_horizon_counts_are_whole_numbers(counts: dict[str, Any], field: str) -> None:
    """A float, a string, a bool or a negative count is a ValidationError naming its field."""
    with pytest.raises(ValidationError) as caught:
        clv.Horizon(**counts)
    assert field == caught.value.field


def test_horizon_takes_numpy_integers() -> None:
    """A NumPy integer (any integer with ``__index__``) counts like the int it holds."""
    counts: dict[str, Any] = {"days": np.int64(3)}
    assert clv.Horizon(days=3).boundaries(CALIBRATION_END) == clv.Horizon(**counts).boundaries(
        CALIBRATION_END
    )


def test_clv_without_discount_is_the_product_of_its_factors(
    bgnbd: clv.BetaGeoModel, spend: clv.GammaGammaModel, weeks: Summary
) -> None:
    """Discount 0: value = margin x expected value x expected purchases over the horizon."""
    values = clv.customer_lifetime_value(
        bgnbd, spend, weeks, horizon=clv.Horizon(months=12), margin=0.3
    )
    length = clv.Horizon(months=12).length(CALIBRATION_END, "weeks")
    data = coerce_summary(weeks)
    expected = bgnbd.conditional_expected_purchases(length, data.frequency, data.recency, data.T)
    assert np.allclose([v.expected_purchases for v in values], expected)
    for v in values[:50]:
        assert 0.3 * v.expected_value * v.expected_purchases == pytest.approx(v.value)


def test_discounting_lowers_value_and_months_follow_the_calendar(
    pareto: clv.ParetoNBDModel, spend: clv.GammaGammaModel, weeks: Summary
) -> None:
    """A 1 % monthly rate lowers every value; 12 monthly periods cover the same year as 365 days."""
    plain = clv.customer_lifetime_value(pareto, spend, weeks, horizon=clv.Horizon(months=12))
    discounted = clv.customer_lifetime_value(
        pareto, spend, weeks, horizon=clv.Horizon(months=12), discount_rate=0.01
    )
    by_day = clv.customer_lifetime_value(pareto, spend, weeks, horizon=clv.Horizon(days=365))
    assert all(d.value < p.value for d, p in zip(discounted, plain, strict=True))
    assert np.allclose([p.value for p in plain], [d.value for d in by_day], rtol=1e-9)


def test_clv_rejects_bad_rates(bgnbd: clv.BetaGeoModel, spend: clv.GammaGammaModel) -> None:
    """A negative discount rate or a margin above 1 is a ValidationError naming it."""
    rows = clv.SummaryData.from_arrays([1.0], [2.0], [5.0], [10.0], as_of=CALIBRATION_END)
    for rate, margin, field in ((-0.1, 1.0, "discount_rate"), (0.0, 1.5, "margin")):
        with pytest.raises(ValidationError) as caught:
            clv.customer_lifetime_value(
                bgnbd, spend, rows, horizon=clv.Horizon(months=1), discount_rate=rate, margin=margin
            )
        assert field == caught.value.field


def _stacked_clv(
    model: clv.BetaGeoModel,
    spend: clv.GammaGammaModel,
    data: clv.SummaryData,
    horizon: clv.Horizon,
    rate: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The formula of the module docstring, with every period's expectation kept at once."""
    assert data.as_of is not None
    assert ("weeks", "weeks") == (model.unit, data.unit)
    x, tx, age = data.frequency, data.recency, data.T
    ends = [(end - data.as_of).days / 7 for end in horizon.boundaries(data.as_of)]
    cumulative = np.stack(
        [np.zeros_like(x)] + [model.conditional_expected_purchases(t, x, tx, age) for t in ends]
    )
    discounts = (1.0 + rate) ** -np.arange(1, len(ends) + 1, dtype=np.float64)
    value = spend.expected_average_value(data.frequency, data.monetary_value)
    return value * (discounts @ np.diff(cumulative, axis=0)), cumulative[-1]


def test_clv_equals_the_formula_with_every_period_kept(
    bgnbd: clv.BetaGeoModel, spend: clv.GammaGammaModel, weeks: Summary
) -> None:
    """The period-by-period sum gives the values of the whole customers x periods matrix."""
    data = coerce_summary(weeks)
    horizon = clv.Horizon(months=7)
    values = clv.customer_lifetime_value(bgnbd, spend, weeks, horizon=horizon, discount_rate=0.02)
    value, purchases = _stacked_clv(bgnbd, spend, data, horizon, 0.02)
    assert value.tolist() == pytest.approx([v.value for v in values], rel=1e-12, abs=0)
    assert purchases.tolist() == [v.expected_purchases for v in values]


def test_clv_memory_does_not_grow_with_the_periods(
    bgnbd: clv.BetaGeoModel, spend: clv.GammaGammaModel, weeks: Summary
) -> None:
    """2000 daily periods for 500 customers peak under 1 MB (the full matrix alone is 8 MB)."""
    data = coerce_summary(weeks)
    n = 500
    few = clv.SummaryData.from_arrays(
        data.frequency[:n],
        data.recency[:n],
        data.T[:n],
        data.monetary_value[:n],
        unit="weeks",
        as_of=data.as_of,
    )
    tracemalloc.start()
    try:
        values = clv.customer_lifetime_value(bgnbd, spend, few, horizon=clv.Horizon(days=2000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert n == len(values)
    assert peak < 1_000_000
