"""Customer lifetime value: expected purchases times expected value, discounted.

Over a horizon of ``N`` calendar periods counted from the summary's
``as_of`` (days, weeks or calendar months), a customer's value is

    CLV = margin * E[value] * sum_i (E[Y(t_i)] - E[Y(t_(i-1))]) / (1 + d)^i

where ``t_i`` is the length, in the transaction model's unit, from ``as_of``
to the end of period ``i`` (real calendar arithmetic: a calendar month is
28 to 31 days), ``E[Y(t)]`` the customer's conditional expected repeat
transactions, ``E[value]`` the Gamma-Gamma expected transaction value and
``d`` the discount rate per period. Values are estimates in the summary's
currency units (floats, not :class:`relationkit.Money`: an expectation has
no minor unit).
"""

from __future__ import annotations

import datetime as dt
import math

import attrs
import numpy as np

from relationkit.clv._data import FloatArray, coerce_summary
from relationkit.clv._time import Horizon, span_length
from relationkit.clv._transactions import TransactionModel
from relationkit.clv.gamma_gamma import GammaGammaModel
from relationkit.errors import ValidationError

__all__ = ["ValueEstimate", "customer_lifetime_value"]


@attrs.frozen(kw_only=True)
class ValueEstimate:
    """One customer's lifetime value over a horizon, with its factors.

    Attributes:
        account_id: the customer's account.
        value: the discounted value (margin applied), in currency units.
        expected_purchases: the expected repeat transactions over the
            horizon, undiscounted.
        expected_value: the expected value per transaction (Gamma-Gamma).
        probability_alive: the probability the customer is alive at ``as_of``.
        population_mean: True when ``expected_value`` is the population mean
            (one-time buyers, non-positive net values).
    """

    account_id: str
    value: float
    expected_purchases: float
    expected_value: float
    probability_alive: float
    population_mean: bool


def customer_lifetime_value(
    transactions: TransactionModel,
    spend: GammaGammaModel,
    summary: object,
    *,
    horizon: Horizon,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    unit: str | None = None,
    as_of: dt.date | None = None,
) -> list[ValueEstimate]:
    """Return each customer's lifetime value over ``horizon``.

    Args:
        transactions: a fitted :class:`BetaGeoModel` or :class:`ParetoNBDModel`.
        spend: a fitted :class:`GammaGammaModel`.
        summary: the customers (as for ``fit``), usually the calibration
            summary the models were fitted on.
        horizon: the calendar horizon, e.g. ``Horizon(months=12)``; the
            discount applies once per period of its unit.
        discount_rate: the discount rate per period (0.01 a month, say).
        margin: the share of revenue that is profit, in ``(0, 1]``.
        unit: the summary's unit if it does not say.
        as_of: the date the horizon starts (the summary's ``as_of``, else the
            transaction model's, by default).

    Returns:
        One estimate per customer, in the summary's order.

    Raises:
        ValidationError: on a negative or non-finite discount rate, a margin
            outside ``(0, 1]``, or no known start date.
    """
    if not (math.isfinite(discount_rate) and discount_rate >= 0):
        raise ValidationError("discount_rate", "must be a finite rate >= 0 per period")
    if not (math.isfinite(margin) and 0 < margin <= 1):
        raise ValidationError("margin", "must be a share of revenue in (0, 1]")
    data = coerce_summary(summary, unit=unit)
    start = as_of or data.as_of or transactions.window.as_of
    if start is None:
        raise ValidationError("as_of", "the horizon needs a start date; the summary has none")
    x, tx, age = transactions._columns(data)
    ends = [span_length(start, end, transactions.unit) for end in horizon.boundaries(start)]
    discounted, total = _discounted_purchases(transactions, x, tx, age, ends, discount_rate)
    values = spend.expected_average_value(data.frequency, data.monetary_value)
    pooled = ~((data.frequency > 0) & (data.monetary_value > 0))
    alive = transactions._alive(x, tx, age)
    return [
        ValueEstimate(
            account_id=account,
            value=float(margin * v * d),
            expected_purchases=float(total),
            expected_value=float(v),
            probability_alive=float(p),
            population_mean=bool(f),
        )
        for account, v, d, total, p, f in zip(
            data.ids, values, discounted, total, alive, pooled, strict=True
        )
    ]


def _discounted_purchases(
    transactions: TransactionModel,
    x: FloatArray,
    tx: FloatArray,
    age: FloatArray,
    ends: list[float],
    discount_rate: float,
) -> tuple[FloatArray, FloatArray]:
    """Return each customer's discounted and undiscounted expected purchases.

    One period at a time, keeping only the running discounted sum and the
    previous cumulative expectation: memory grows with the customers, not
    with customers times periods (a daily horizon of ten years is 3650).
    """
    discounts = (1.0 + discount_rate) ** -np.arange(1, len(ends) + 1, dtype=np.float64)
    discounted = np.zeros_like(x)
    previous = np.zeros_like(x)
    for factor, t in zip(discounts, ends, strict=True):
        current = transactions._conditional(t, x, tx, age)
        discounted += factor * (current - previous)
        previous = current
    return discounted, previous
