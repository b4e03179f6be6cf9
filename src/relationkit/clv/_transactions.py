"""What the two transaction models (BG/NBD, Pareto/NBD) share: fitting and scoring.

Both are fitted on ``(frequency, recency, T)``; identical customers are
folded into weighted rows first (a real customer base has many one-time
buyers with the same ``T``), so the likelihood is evaluated once per distinct
row. A subclass gives the per-row log-likelihood, the starting point, the
probability alive and the conditional expectation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Self

import attrs
import numpy as np
import numpy.typing as npt

from relationkit.clock import Clock
from relationkit.clv._base import FittedModel, Prediction, require_data, window_of
from relationkit.clv._data import Compressed, SummaryData, coerce_summary
from relationkit.clv._optimize import METHODS, Objective, maximize
from relationkit.clv._time import Horizon

__all__ = ["TransactionModel"]

FloatArray = npt.NDArray[np.float64]


@attrs.frozen(kw_only=True)
class TransactionModel(FittedModel):
    """A fitted model of repeat transactions and drop-out."""

    @classmethod
    def _objective(
        cls, x: FloatArray, tx: FloatArray, age: FloatArray, weights: FloatArray
    ) -> Objective:
        raise NotImplementedError

    @classmethod
    def _start(cls, x: FloatArray, age: FloatArray, weights: FloatArray) -> FloatArray:
        raise NotImplementedError

    @classmethod
    def fit(
        cls,
        summary: object,
        *,
        unit: str | None = None,
        as_of: dt.date | None = None,
        since: dt.date | None = None,
        clock: Clock | None = None,
        methods: Sequence[str] = METHODS,
        max_iterations: int = 2000,
        min_repeat_buyers: int = 10,
    ) -> Self:
        """Fit the model to a purchase summary by maximum likelihood.

        Args:
            summary: rows of ``kit.scores.purchase_summary``, a DataFrame with
                ``frequency``, ``recency`` and ``T`` columns, or
                :class:`~relationkit.clv.SummaryData`. Its ``unit``, ``as_of``
                and ``since`` are kept on the model.
            unit: the unit of ``recency`` and ``T``, required if the summary
                does not say (a plain DataFrame or list of rows), or to
                override it.
            as_of: the end of the data window, to override the summary's.
            since: the start of the data window, to override the summary's.
            clock: stamps the model's ``fitted_at`` (the system clock by default).
            methods: the optimisers to try, in order (``"L-BFGS-B"``,
                ``"Nelder-Mead"``).
            max_iterations: the iteration budget of each optimiser.
            min_repeat_buyers: refuse data with fewer customers or repeat buyers.

        Returns:
            The fitted model.

        Raises:
            ValidationError: if the summary has bad values.
            InsufficientDataError: if there are too few customers or repeat
                buyers, or no variance in frequency.
            ConvergenceError: if no optimiser reaches a proper maximum.
        """
        data = coerce_summary(summary, unit=unit, as_of=as_of, since=since)
        require_data(
            cls.MODEL,
            data.frequency,
            minimum_customers=min_repeat_buyers,
            minimum_repeat=min_repeat_buyers,
        )
        rows = Compressed.of(data.frequency, data.recency, data.T)
        x, tx, age = rows.columns
        estimate = maximize(
            cls.MODEL,
            cls.PARAMS,
            cls._objective(x, tx, age, rows.weights),
            cls._start(x, age, rows.weights),
            total_weight=float(rows.weights.sum()),
            n_distinct=int(x.shape[0]),
            methods=methods,
            max_iterations=max_iterations,
        )
        return cls._from_estimate(estimate, window_of(data, clock))

    @classmethod
    def fit_arrays(
        cls,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        *,
        unit: str = "weeks",
        as_of: dt.date | None = None,
        since: dt.date | None = None,
        clock: Clock | None = None,
        methods: Sequence[str] = METHODS,
        max_iterations: int = 2000,
        min_repeat_buyers: int = 10,
    ) -> Self:
        """Fit the model to plain columns; the arguments are those of :meth:`fit`."""
        data = SummaryData.from_arrays(frequency, recency, T, unit=unit, as_of=as_of, since=since)
        return cls.fit(
            data,
            clock=clock,
            methods=methods,
            max_iterations=max_iterations,
            min_repeat_buyers=min_repeat_buyers,
        )

    # -- predictions, in the model's unit ------------------------------------------

    def probability_alive(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
    ) -> FloatArray:
        """Return the probability that each customer is still alive at ``T``.

        Args:
            frequency: repeat transactions in the calibration window.
            recency: time from first to last purchase, in the model's unit.
            T: time from first purchase to the end of the window.
        """
        return self._alive(*_arrays(frequency, recency, T))

    def expected_purchases(self, t: float | Horizon, *, start: dt.date | None = None) -> float:
        """Return the expected repeat transactions of a new customer in ``(0, t]``.

        Args:
            t: a duration in the model's unit, or a calendar :class:`Horizon`.
            start: the date a horizon is counted from (the model's ``as_of``
                by default).
        """
        return float(self._unconditional(np.atleast_1d(self._duration(t, start)))[0])

    def expected_purchases_curve(self, t: npt.ArrayLike) -> FloatArray:
        """Return :meth:`expected_purchases` for many durations (model unit) at once."""
        span = np.atleast_1d(np.asarray(t, dtype=np.float64))
        return self._unconditional(np.maximum(span, 0.0))

    def conditional_expected_purchases(
        self,
        t: float | Horizon,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        *,
        start: dt.date | None = None,
    ) -> FloatArray:
        """Return each customer's expected repeat transactions in ``(T, T + t]``.

        Args:
            t: a duration in the model's unit, or a calendar :class:`Horizon`.
            frequency: repeat transactions in the calibration window.
            recency: time from first to last purchase, in the model's unit.
            T: time from first purchase to the end of the window.
            start: the date a horizon is counted from (the model's ``as_of``
                by default).
        """
        x, tx, age = _arrays(frequency, recency, T)
        return self._conditional(self._duration(t, start), x, tx, age)

    def predict(
        self, summary: object, horizon: float | Horizon, *, unit: str | None = None
    ) -> list[Prediction]:
        """Return each customer's probability alive and expected purchases over ``horizon``.

        The summary's ``recency`` and ``T`` are converted to the model's unit,
        so a model fitted in weeks scores a summary in days correctly. A
        calendar horizon is counted from the summary's ``as_of`` (else the
        model's).

        Args:
            summary: as for :meth:`fit`.
            horizon: a duration in the model's unit, or a calendar :class:`Horizon`.
            unit: the summary's unit if it does not say.
        """
        data = coerce_summary(summary, unit=unit)
        x, tx, age = self._columns(data)
        span = self._duration(horizon, data.as_of)
        alive = self._alive(x, tx, age)
        expected = self._conditional(span, x, tx, age)
        return [
            Prediction(account_id=i, probability_alive=float(p), expected_purchases=float(e))
            for i, p, e in zip(data.ids, alive, expected, strict=True)
        ]

    def _alive(self, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
        raise NotImplementedError

    def _unconditional(self, t: FloatArray) -> FloatArray:
        raise NotImplementedError

    def _conditional(self, t: float, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
        raise NotImplementedError


def _arrays(*columns: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    x, tx, age = (np.atleast_1d(np.asarray(c, dtype=np.float64)) for c in columns)
    return x, tx, age
