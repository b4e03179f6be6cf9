"""What every fitted model shares: parameters, errors, diagnostics, window, JSON.

A model is a frozen value. It is made by its class's ``fit`` (or restored by
``from_json``), never half-built: a fit that the data cannot support raises
instead of returning a model.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import attrs
import numpy as np
import numpy.typing as npt
import pendulum

from relationkit.clock import Clock, SystemClock
from relationkit.clv._data import SummaryData, TimeUnit
from relationkit.clv._optimize import Estimate, FitDiagnostics
from relationkit.clv._time import DataWindow, Horizon, convert
from relationkit.errors import ValidationError

__all__ = ["FORMAT", "FittedModel", "Prediction", "require_data", "window_of"]

FloatArray = npt.NDArray[np.float64]
FORMAT = "relationkit.clv/1"
"""The ``format`` tag of saved models."""


@attrs.frozen(kw_only=True)
class Prediction:
    """What a transaction model expects of one customer over a horizon.

    Attributes:
        account_id: the customer's account.
        probability_alive: the probability that the customer has not churned
            by the end of the summary's window.
        expected_purchases: the expected repeat transactions over the horizon.
    """

    account_id: str
    probability_alive: float
    expected_purchases: float


def window_of(data: SummaryData, clock: Clock | None) -> DataWindow:
    """Return the window of a fit on ``data``, stamped with the clock's time."""
    return DataWindow(
        unit=data.unit,
        as_of=data.as_of,
        since=data.since,
        fitted_at=(clock or SystemClock()).now(),
    )


@attrs.frozen(kw_only=True)
class FittedModel:
    """A fitted model: its estimates, their standard errors, and how it was fitted.

    Attributes:
        params: the maximum-likelihood estimates, by name.
        standard_errors: their standard errors (from the inverse Hessian).
        diagnostics: which optimiser converged, the log-likelihood, the checks.
        window: the time unit and data window of the fit.
    """

    MODEL: ClassVar[str] = ""
    PARAMS: ClassVar[tuple[str, ...]] = ()

    params: Mapping[str, float]
    standard_errors: Mapping[str, float]
    diagnostics: FitDiagnostics
    window: DataWindow

    @classmethod
    def _from_estimate(cls, estimate: Estimate, window: DataWindow) -> Self:
        return cls(
            params=estimate.params,
            standard_errors=estimate.standard_errors,
            diagnostics=estimate.diagnostics,
            window=window,
        )

    @property
    def unit(self) -> TimeUnit:
        """The time unit of the model (of its time-scale parameters)."""
        return self.window.unit

    def _duration(self, t: float | Horizon, start: dt.date | None = None) -> float:
        """Return ``t`` in the model's unit: a number as is, a horizon from ``start``."""
        if not isinstance(t, Horizon):
            if not (np.isfinite(t) and t >= 0):
                raise ValidationError("t", "must be a finite, non-negative duration")
            return float(t)
        origin = start or self.window.as_of
        if origin is None:
            raise ValidationError(
                "as_of", "a calendar horizon needs a start date: the model has no as_of"
            )
        return t.length(origin, self.unit)

    def _columns(self, data: SummaryData) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Return a summary's frequency, recency and T, converted to the model's unit."""
        recency = data.recency * convert(1.0, data.unit, self.unit)
        age = data.T * convert(1.0, data.unit, self.unit)
        return data.frequency, recency, age

    # -- persistence ------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return the model as JSON-ready data (``format``, ``model``, estimates, window)."""
        window = self.window
        return {
            "format": FORMAT,
            "model": self.MODEL,
            "params": dict(self.params),
            "standard_errors": dict(self.standard_errors),
            "window": {
                "unit": window.unit,
                "as_of": None if window.as_of is None else window.as_of.isoformat(),
                "since": None if window.since is None else window.since.isoformat(),
                "fitted_at": None if window.fitted_at is None else window.fitted_at.isoformat(),
            },
            "diagnostics": attrs.asdict(self.diagnostics),
        }

    def to_json(self) -> str:
        """Return the model as a JSON document (see :meth:`from_json`)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Restore a model from :meth:`to_dict`'s data.

        Raises:
            ValidationError: if the data is not a saved model of this class.
        """
        if data.get("format") != FORMAT:
            raise ValidationError("format", f"not a saved relationkit.clv model ({FORMAT})")
        if data.get("model") != cls.MODEL:
            raise ValidationError(
                "model", f"holds a {data.get('model')!r} model, not {cls.MODEL!r}"
            )
        try:
            params = {name: float(data["params"][name]) for name in cls.PARAMS}
            errors = {name: float(data["standard_errors"][name]) for name in cls.PARAMS}
            window = data["window"]
            diagnostics = dict(data["diagnostics"])
            diagnostics["attempts"] = tuple(diagnostics["attempts"])
            fitted_at = window.get("fitted_at")
            restored_at = None if fitted_at is None else pendulum.parse(fitted_at)
            return cls(
                params=params,
                standard_errors=errors,
                diagnostics=FitDiagnostics(**diagnostics),
                window=DataWindow(
                    unit=window["unit"],
                    as_of=_date(window.get("as_of")),
                    since=_date(window.get("since")),
                    fitted_at=restored_at if isinstance(restored_at, pendulum.DateTime) else None,
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError("model", f"saved {cls.MODEL} model is incomplete: {exc}") from exc

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Restore a model from :meth:`to_json`'s document.

        Raises:
            ValidationError: if the text is not a saved model of this class.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError("model", f"not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ValidationError("model", "not a saved model")
        return cls.from_dict(data)

    def save(self, path: str | Path) -> None:
        """Write the model to ``path`` as JSON."""
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a model that :meth:`save` wrote.

        Raises:
            ValidationError: if the file is not a saved model of this class.
        """
        return cls.from_json(Path(path).read_text(encoding="utf-8"))

    def _param_values(self) -> Sequence[float]:
        return [self.params[name] for name in self.PARAMS]


def _date(text: object) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(str(text))


def require_data(
    model: str, frequency: FloatArray, *, minimum_customers: int, minimum_repeat: int
) -> None:
    """Refuse data that cannot identify a customer-base model.

    Raises:
        InsufficientDataError: with fewer customers or repeat buyers than the
            minimums, or when every customer has the same frequency (no
            variance to learn heterogeneity from).
    """
    from relationkit.clv._errors import InsufficientDataError

    n = int(frequency.shape[0])
    repeat = int(np.count_nonzero(frequency > 0))
    counts = {"customers": n, "repeat_buyers": repeat}
    if n < minimum_customers:
        raise InsufficientDataError(
            model, f"{n} customers; at least {minimum_customers} are needed", counts
        )
    if repeat < minimum_repeat:
        raise InsufficientDataError(
            model,
            f"{repeat} repeat buyers among {n} customers; at least {minimum_repeat} are needed",
            counts,
        )
    if np.all(frequency == frequency[0]):
        raise InsufficientDataError(
            model,
            f"every customer made {int(frequency[0])} repeat purchases: no variance to fit",
            counts,
        )
