"""Predictive customer lifetime value: BG/NBD, Pareto/NBD and Gamma-Gamma.

Needs the ``clv`` extra (numpy and scipy)::

    pip install 'relationkit[clv]'

Fit the models on a purchase summary (``kit.scores.purchase_summary(...)``,
a DataFrame with ``frequency``, ``recency``, ``T`` and ``monetary_value``, or
:class:`SummaryData`), then score customers::

    from relationkit import clv

    bgnbd = clv.BetaGeoModel.fit(summary)
    bgnbd.params["r"], bgnbd.standard_errors["r"], bgnbd.diagnostics.method
    spend = clv.GammaGammaModel.fit(summary)
    values = clv.customer_lifetime_value(
        bgnbd, spend, summary, horizon=clv.Horizon(months=12), discount_rate=0.01
    )

Everything public is listed in ``__all__``.
"""

from __future__ import annotations

try:
    import numpy  # noqa: F401
    import scipy.special  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "relationkit.clv needs numpy and scipy: install the extra with "
        "pip install 'relationkit[clv]'"
    ) from exc

from relationkit.clv._base import FittedModel, Prediction
from relationkit.clv._data import SummaryData, SummaryRow, TimeUnit
from relationkit.clv._errors import ConvergenceError, InsufficientDataError, ModelFitError
from relationkit.clv._optimize import METHODS, FitDiagnostics
from relationkit.clv._time import CalendarUnit, DataWindow, Horizon
from relationkit.clv._transactions import TransactionModel
from relationkit.clv.bgnbd import BetaGeoModel
from relationkit.clv.checks import (
    CustomerDates,
    HoldoutCheck,
    HoldoutRow,
    TrackingCheck,
    TrackingRow,
    customer_dates,
    holdout_comparison,
    tracking,
)
from relationkit.clv.gamma_gamma import GammaGammaModel, SpendPrediction
from relationkit.clv.pareto import ParetoNBDModel
from relationkit.clv.persist import load_model, model_from_json
from relationkit.clv.value import ValueEstimate, customer_lifetime_value

__all__ = [
    "METHODS",
    "BetaGeoModel",
    "CalendarUnit",
    "ConvergenceError",
    "CustomerDates",
    "DataWindow",
    "FitDiagnostics",
    "FittedModel",
    "GammaGammaModel",
    "HoldoutCheck",
    "HoldoutRow",
    "Horizon",
    "InsufficientDataError",
    "ModelFitError",
    "ParetoNBDModel",
    "Prediction",
    "SpendPrediction",
    "SummaryData",
    "SummaryRow",
    "TimeUnit",
    "TrackingCheck",
    "TrackingRow",
    "TransactionModel",
    "ValueEstimate",
    "customer_dates",
    "customer_lifetime_value",
    "holdout_comparison",
    "load_model",
    "model_from_json",
    "tracking",
]
