"""Fitting mechanics: weights, gradients, units, heavy buyers, optimiser fallback, refusals."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clv.cdnow import Summary
from relationkit import clv
from relationkit.clv import _optimize
from relationkit.clv import bgnbd as bgnbd_module
from relationkit.clv import gamma_gamma as gg_module
from relationkit.clv import pareto as pareto_module
from relationkit.clv._data import Compressed, coerce_summary
from relationkit.errors import RelationKitError, ValidationError

MODELS = [clv.BetaGeoModel, clv.ParetoNBDModel]


def _columns(summary: Summary) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = coerce_summary(summary)
    return data.frequency, data.recency, data.T


def test_weights_give_the_same_likelihood_as_every_customer(weeks: Summary) -> None:
    """Folding identical customers into weights changes nothing in the log-likelihood."""
    x, tx, age = _columns(weeks)
    rows = Compressed.of(x, tx, age)
    params = np.array([0.3, 4.0, 0.8, 2.5])
    full = bgnbd_module.log_likelihood(params, x, tx, age)[0].sum()
    folded = rows.weights @ bgnbd_module.log_likelihood(params, *rows.columns)[0]
    assert len(rows.weights) < len(x)
    assert full == pytest.approx(folded, rel=1e-12)
    full_p = pareto_module.log_likelihood(np.array([0.5, 10.0, 0.6, 11.0]), x, tx, age).sum()
    folded_p = rows.weights @ pareto_module.log_likelihood(
        np.array([0.5, 10.0, 0.6, 11.0]), *rows.columns
    )
    assert full_p == pytest.approx(folded_p, rel=1e-12)


positive = st.floats(min_value=0.1, max_value=20.0)


@settings(max_examples=30, deadline=None)
@given(r=positive, alpha=positive, a=positive, b=positive)
def test_bgnbd_gradient_is_the_derivative(r: float, alpha: float, a: float, b: float) -> None:
    """The analytic BG/NBD gradient agrees with central differences of the likelihood."""
    x = np.array([0.0, 1.0, 3.0, 40.0])
    tx = np.array([0.0, 5.0, 20.0, 30.0])
    age = np.array([10.0, 30.0, 35.0, 31.0])
    params = np.array([r, alpha, a, b])
    grad = bgnbd_module.log_likelihood(params, x, tx, age)[1].sum(axis=1)
    numeric = []
    for i in range(4):
        step = np.zeros(4)
        step[i] = 1e-6 * params[i]
        up = bgnbd_module.log_likelihood(params + step, x, tx, age)[0].sum()
        down = bgnbd_module.log_likelihood(params - step, x, tx, age)[0].sum()
        numeric.append((up - down) / (2 * step[i]))
    assert np.allclose(numeric, grad, rtol=1e-5, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(p=positive, q=positive, gamma=positive)
def test_gamma_gamma_gradient_is_the_derivative(p: float, q: float, gamma: float) -> None:
    """The analytic Gamma-Gamma gradient agrees with central differences."""
    x = np.array([1.0, 2.0, 10.0])
    m = np.array([5.0, 30.0, 12.5])
    params = np.array([p, q, gamma])
    grad = gg_module.log_likelihood(params, x, m)[1].sum(axis=1)
    numeric = []
    for i in range(3):
        step = np.zeros(3)
        step[i] = 1e-6 * params[i]
        up = gg_module.log_likelihood(params + step, x, m)[0].sum()
        down = gg_module.log_likelihood(params - step, x, m)[0].sum()
        numeric.append((up - down) / (2 * step[i]))
    assert np.allclose(numeric, grad, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("model", MODELS)
def test_days_and_weeks_give_the_same_predictions(
    model: type[clv.TransactionModel], weeks: Summary, days: Summary
) -> None:
    """Time-unit confusion: a fit in days scales alpha (and beta) by 7, predictions agree."""
    in_weeks = model.fit(weeks)
    in_days = model.fit(days)
    assert "days" == in_days.unit
    assert in_days.params["alpha"] == pytest.approx(7 * in_weeks.params["alpha"], rel=1e-4)
    assert in_days.params["r"] == pytest.approx(in_weeks.params["r"], rel=1e-4)
    horizon = clv.Horizon(months=6)
    assert in_days.expected_purchases(horizon) == pytest.approx(
        in_weeks.expected_purchases(horizon), rel=1e-4
    )
    # Scoring a summary in the other unit converts it first.
    from_days = [p.expected_purchases for p in in_weeks.predict(days, horizon)]
    from_weeks = [p.expected_purchases for p in in_weeks.predict(weeks, horizon)]
    assert np.allclose(from_weeks, from_days, rtol=1e-12)


@pytest.mark.parametrize("fixture", ["bgnbd", "pareto"])
def test_heavy_buyers_do_not_overflow(fixture: str, request: pytest.FixtureRequest) -> None:
    """Customers with hundreds or thousands of purchases get finite, sensible numbers."""
    model = request.getfixturevalue(fixture)
    x = np.array([300.0, 3000.0, 30000.0])
    age = np.array([39.0, 39.0, 39.0])
    tx = age - age / (2 * x)  # silent for half their usual gap: still buying
    alive = model.probability_alive(x, tx, age)
    expected = model.conditional_expected_purchases(39, x, tx, age)
    assert np.all(np.isfinite(alive))
    assert np.all((alive > 0.5) & (alive <= 1.0))
    # Heavy buyers are in the scale-free limit: the expected share of their past
    # pace is the same at 300 as at 30,000 purchases (no digits lost), and less
    # than all of it (some drop out in the next 39 weeks).
    share = expected / x
    assert np.allclose(share, share[0], rtol=1e-2)
    assert 0.5 < share[0] < 1.0
    ll = (
        bgnbd_module.log_likelihood(np.array([0.24, 4.4, 0.79, 2.4]), x, tx, age)[0]
        if fixture == "bgnbd"
        else pareto_module.log_likelihood(np.array([0.55, 10.6, 0.61, 11.7]), x, tx, age)
    )
    assert np.all(np.isfinite(ll))


def test_heavy_buyers_in_the_data_still_fit(weeks: Summary) -> None:
    """Adding customers with 2,000 purchases keeps the fits finite and converged."""
    data = coerce_summary(weeks)
    heavy = clv.SummaryData.from_arrays(
        np.concatenate([data.frequency, [2000.0, 2500.0]]),
        np.concatenate([data.recency, [38.0, 38.7]]),
        np.concatenate([data.T, [38.8, 38.8]]),
    )
    for model in MODELS:
        fitted = model.fit(heavy)
        assert fitted.diagnostics.converged
        assert all(np.isfinite(v) for v in fitted.params.values())


@pytest.mark.parametrize("model", MODELS)
def test_fallback_optimiser_takes_over(
    model: type[clv.TransactionModel], weeks: Summary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the primary optimiser fails, Nelder-Mead gives the same estimate."""
    reference = model.fit(weeks)
    real: Any = getattr(_optimize, "optimize").minimize  # noqa: B009 - scipy.optimize inside

    def failing(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        if kwargs.get("method") == "L-BFGS-B":
            result.success = False
            result.message = "forced failure"
        return result

    monkeypatch.setattr(getattr(_optimize, "optimize"), "minimize", failing)  # noqa: B009
    fitted = model.fit(weeks)
    assert "Nelder-Mead" == fitted.diagnostics.method
    assert fitted.diagnostics.attempts[0].startswith("L-BFGS-B: stopped without converging")
    for name, value in reference.params.items():
        assert fitted.params[name] == pytest.approx(value, rel=1e-3)


@pytest.mark.parametrize("model", MODELS)
def test_convergence_failure_raises(model: type[clv.TransactionModel], weeks: Summary) -> None:
    """An optimiser out of budget is an error naming every attempt, not a model."""
    with pytest.raises(clv.ConvergenceError) as caught:
        model.fit(weeks, max_iterations=2)
    assert isinstance(caught.value, RelationKitError)
    assert ["L-BFGS-B", "Nelder-Mead"] == [
        str(a).split(":")[0] for a in cast(tuple[str, ...], caught.value.details["attempts"])
    ]


def test_unidentified_model_raises_instead_of_a_nonsense_fit() -> None:
    """Customers who all buy at the same steady pace give no drop-out signal to fit."""
    x = np.array([float(k % 5 + 1) for k in range(200)])
    age = np.full(200, 52.0)
    tx = age - 0.01
    with pytest.raises(clv.ModelFitError):
        clv.BetaGeoModel.fit_arrays(x * 10, tx, age)


@pytest.mark.parametrize("model", MODELS)
def test_too_few_repeat_buyers_raise(model: type[clv.TransactionModel]) -> None:
    """Three repeat buyers among fifty customers: InsufficientDataError (a ValueError)."""
    x = np.array([1.0, 2.0, 1.0] + [0.0] * 47)
    tx = np.array([3.0, 4.0, 2.0] + [0.0] * 47)
    age = np.full(50, 10.0)
    with pytest.raises(clv.InsufficientDataError) as caught:
        model.fit_arrays(x, tx, age)
    assert isinstance(caught.value, ValueError)
    assert {"customers": 50, "repeat_buyers": 3} == caught.value.details


def test_no_variance_raises() -> None:
    """Every customer with the same frequency: nothing to learn heterogeneity from."""
    x = np.full(30, 2.0)
    with pytest.raises(clv.InsufficientDataError, match="no variance"):
        clv.BetaGeoModel.fit_arrays(x, np.full(30, 5.0), np.full(30, 9.0))


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "field"),
    [
        ([-1.0], [0.0], [1.0], "frequency"),
        ([1.5], [1.0], [2.0], "frequency"),
        ([1.0], [3.0], [2.0], "recency"),
        ([0.0], [1.0], [2.0], "recency"),
        ([1.0], [float("nan")], [2.0], "recency"),
    ],
)
def test_bad_values_name_the_field(
    frequency: list[float],
    recency: list[float],
    T: list[float],
    field: str,
) -> None:
    """Impossible summaries raise ValidationError naming the offending column."""
    with pytest.raises(ValidationError) as caught:
        clv.BetaGeoModel.fit_arrays(frequency, recency, T)
    assert field == caught.value.field
