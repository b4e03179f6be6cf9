"""The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV").

A customer's transaction values are Gamma(p, nu) around their own mean
``p / nu``, with ``nu ~ Gamma(q, gamma)`` over customers; spend is assumed
independent of the purchase process. It is fitted on repeat buyers only,
with their number of repeat transactions ``x`` and mean repeat-transaction
value ``m``: a customer with ``x = 0`` says nothing about the spread of
their values.

What it does with the customers it cannot learn from:

- **One-time buyers** (``frequency == 0``): excluded from the fit; their
  expected value is the population mean ``p gamma / (q - 1)``, and the
  prediction says so (``population_mean=True``).
- **Refunds**: monetary values are expected *net of refunds* (as the kit's
  purchase summary computes them). A repeat buyer whose net mean value is 0
  or negative (everything refunded) cannot come from a Gamma distribution:
  by default the fit excludes them and counts them in ``excluded``; with
  ``non_positive="raise"`` it raises ``ValidationError`` instead. Their
  prediction is the population mean, flagged, like a one-time buyer's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self

import attrs
import numpy as np
import numpy.typing as npt
from scipy import special

from relationkit.clock import Clock
from relationkit.clv._base import FittedModel, require_data, window_of
from relationkit.clv._data import Compressed, SummaryData, coerce_summary
from relationkit.clv._errors import ModelFitError
from relationkit.clv._optimize import METHODS, maximize
from relationkit.errors import ValidationError

__all__ = ["GammaGammaModel", "SpendPrediction"]

FloatArray = npt.NDArray[np.float64]
_MODEL = "Gamma-Gamma"
# Spend has no time scale: a summary that does not say its unit is labelled weeks.
_SPEND_UNIT = "weeks"


def log_likelihood(
    params: FloatArray, x: FloatArray, m: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Return each repeat buyer's log-likelihood and its gradient (rows: p, q, gamma)."""
    p, q, gamma = params
    px = p * x
    log_scale = np.log(gamma + m * x)
    ll = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * log_scale
    )
    psi = special.digamma(px + q)
    grad = np.stack(
        [
            x * (psi - special.digamma(px) + np.log(m) + np.log(x) - log_scale),
            psi - special.digamma(q) + np.log(gamma) - log_scale,
            q / gamma - (px + q) / (gamma + m * x),
        ]
    )
    return ll, grad


@attrs.frozen(kw_only=True)
class SpendPrediction:
    """The expected value of one customer's future transactions.

    Attributes:
        account_id: the customer's account.
        expected_value: the expected mean transaction value, in the
            summary's currency units.
        population_mean: True when the customer had no repeat transaction
            (or a non-positive net value) and the population mean was used.
    """

    account_id: str
    expected_value: float
    population_mean: bool


@attrs.frozen(kw_only=True)
class GammaGammaModel(FittedModel):
    """A fitted Gamma-Gamma spend model: ``params`` holds ``p``, ``q`` and ``gamma``.

    ``gamma`` is in currency units; ``p`` and ``q`` have none.

    Attributes:
        excluded: repeat buyers left out of the fit for a non-positive net value.
    """

    MODEL = _MODEL
    PARAMS = ("p", "q", "gamma")

    excluded: int = 0

    @classmethod
    def fit(
        cls,
        summary: object,
        *,
        unit: str | None = None,
        as_of: dt.date | None = None,
        since: dt.date | None = None,
        clock: Clock | None = None,
        non_positive: Literal["exclude", "raise"] = "exclude",
        methods: Sequence[str] = METHODS,
        max_iterations: int = 2000,
        min_repeat_buyers: int = 10,
    ) -> Self:
        """Fit the model to the repeat buyers of a purchase summary.

        Args:
            summary: as for :meth:`BetaGeoModel.fit`; ``monetary_value`` is
                each customer's mean repeat-transaction value, net of refunds.
            unit: recorded on the model (spend has no time scale, so a
                summary that does not say is recorded as ``"weeks"``).
            as_of: the end of the data window, to override the summary's.
            since: the start of the data window, to override the summary's.
            clock: stamps the model's ``fitted_at``.
            non_positive: ``"exclude"`` repeat buyers whose net mean value is
                not positive (counted in :attr:`excluded`), or ``"raise"``.
            methods: the optimisers to try, in order.
            max_iterations: the iteration budget of each optimiser.
            min_repeat_buyers: refuse data with fewer usable repeat buyers.

        Returns:
            The fitted model.

        Raises:
            ValidationError: on bad values, or a non-positive value with
                ``non_positive="raise"``.
            InsufficientDataError: with too few repeat buyers, or when they
                all have the same mean value (no variance).
            ConvergenceError: if no optimiser reaches a proper maximum.
            ModelFitError: if the estimate has no finite population mean (q <= 1).
        """
        if non_positive not in ("exclude", "raise"):
            raise ValidationError("non_positive", "must be 'exclude' or 'raise'")
        data = coerce_summary(
            summary, unit=unit, as_of=as_of, since=since, default_unit=_SPEND_UNIT
        )
        repeat = data.frequency > 0
        bad = repeat & (data.monetary_value <= 0)
        if non_positive == "raise" and np.any(bad):
            raise ValidationError(
                "monetary_value",
                f"{int(bad.sum())} repeat buyer(s) have a net mean value <= 0 (refunds)",
            )
        usable = repeat & ~bad
        x_all, m_all = data.frequency[usable], data.monetary_value[usable]
        require_data(
            _MODEL, x_all, minimum_customers=min_repeat_buyers, minimum_repeat=min_repeat_buyers
        )
        if np.all(m_all == m_all[0]):
            raise _no_variance()
        rows = Compressed.of(x_all, m_all)
        x, m = rows.columns
        weights = rows.weights
        total = float(weights.sum())

        def objective(theta: FloatArray) -> tuple[float, FloatArray | None]:
            params = np.exp(theta)
            ll, grad = log_likelihood(params, x, m)
            gradient: FloatArray = -(grad @ weights) * params / total
            return -float(weights @ ll) / total, gradient

        # p = 1, q = 2: the population mean p gamma / (q - 1) is then gamma,
        # started at the observed mean value.
        start = np.log(np.array([1.0, 2.0, float(weights @ m) / total]))
        estimate = maximize(
            _MODEL,
            cls.PARAMS,
            objective,
            start,
            total_weight=total,
            n_distinct=int(x.shape[0]),
            methods=methods,
            max_iterations=max_iterations,
        )
        if estimate.params["q"] <= 1.0:
            raise ModelFitError(
                _MODEL,
                f"q = {estimate.params['q']:.3g} <= 1: the spend distribution has no finite mean "
                "(a few very large values dominate; cap or inspect them)",
                estimate.params,
            )
        model = cls._from_estimate(estimate, window_of(data, clock))
        return attrs.evolve(model, excluded=int(bad.sum()))

    @classmethod
    def fit_arrays(
        cls,
        frequency: npt.ArrayLike,
        monetary_value: npt.ArrayLike,
        *,
        clock: Clock | None = None,
        non_positive: Literal["exclude", "raise"] = "exclude",
        methods: Sequence[str] = METHODS,
        max_iterations: int = 2000,
        min_repeat_buyers: int = 10,
    ) -> Self:
        """Fit the model to plain columns of frequency and mean repeat value."""
        freq = np.asarray(frequency, dtype=np.float64)
        data = SummaryData.from_arrays(
            freq, np.zeros_like(freq), np.ones_like(freq), monetary_value
        )
        return cls.fit(
            data,
            clock=clock,
            non_positive=non_positive,
            methods=methods,
            max_iterations=max_iterations,
            min_repeat_buyers=min_repeat_buyers,
        )

    @property
    def population_mean(self) -> float:
        """The mean transaction value over customers, ``p gamma / (q - 1)``."""
        return self.params["p"] * self.params["gamma"] / (self.params["q"] - 1.0)

    def expected_average_value(
        self, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
    ) -> FloatArray:
        """Return each customer's expected mean transaction value.

        A weighted mean of the population mean and the customer's own mean,
        the latter weighing more the more transactions back it. Customers with
        no repeat transaction or a non-positive value get the population mean.
        """
        p, q, _ = (self.params[n] for n in self.PARAMS)
        x = np.atleast_1d(np.asarray(frequency, dtype=np.float64))
        m = np.atleast_1d(np.asarray(monetary_value, dtype=np.float64))
        own = (x > 0) & (m > 0)
        weight = np.where(own, p * x / (p * x + q - 1.0), 0.0)
        result: FloatArray = (1.0 - weight) * self.population_mean + weight * np.where(own, m, 0.0)
        return result

    def predict(self, summary: object) -> list[SpendPrediction]:
        """Return each customer's expected mean transaction value, flagged where pooled."""
        data = coerce_summary(summary, default_unit=_SPEND_UNIT)
        values = self.expected_average_value(data.frequency, data.monetary_value)
        pooled = ~((data.frequency > 0) & (data.monetary_value > 0))
        return [
            SpendPrediction(account_id=i, expected_value=float(v), population_mean=bool(f))
            for i, v, f in zip(data.ids, values, pooled, strict=True)
        ]

    def to_dict(self) -> dict[str, Any]:
        """Return the model as JSON-ready data, with :attr:`excluded`."""
        data = super().to_dict()
        data["excluded"] = self.excluded
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Restore a model from :meth:`to_dict`'s data.

        Raises:
            ValidationError: if the data is not a saved Gamma-Gamma model.
        """
        model = super().from_dict(data)
        return attrs.evolve(model, excluded=int(data.get("excluded", 0)))


def _no_variance() -> ModelFitError:
    from relationkit.clv._errors import InsufficientDataError

    return InsufficientDataError(
        _MODEL, "every repeat buyer has the same mean value: no variance to fit"
    )
