"""Maximum likelihood over log-parameters: a primary optimiser, a fallback, and checks.

Every model parameter is positive, so the optimisers work on their
logarithms (no constraint to violate, better-conditioned steps). The
objective is the negative *mean* log-likelihood over the customers, so its
scale, and the tolerances, do not depend on how many customers there are.

A fit is accepted only when an optimiser reports success, the gradient at
the estimate is (close to) zero, no parameter ran to the edge of the search
box (the maximum would then lie at zero or infinity: the data does not
identify the model), and the Hessian is positive definite. Standard errors
come from the inverse of the Hessian of the total negative log-likelihood,
carried from log-parameters to parameters by the delta method.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs
import numpy as np
import numpy.typing as npt
from scipy import optimize

from relationkit.clv._errors import ConvergenceError

__all__ = ["METHODS", "Estimate", "FitDiagnostics", "Objective", "maximize"]

FloatArray = npt.NDArray[np.float64]
Objective = Callable[[FloatArray], tuple[float, FloatArray | None]]
"""Log-parameters to (negative mean log-likelihood, its gradient or None)."""

METHODS = ("L-BFGS-B", "Nelder-Mead")
"""The optimisers tried, in order: the first that converges gives the estimate."""

LOG_BOUND = 18.0
"""Log-parameters are searched in ``[-LOG_BOUND, LOG_BOUND]`` (about 1.5e-8 to 6.6e7)."""

_GRADIENT_TOLERANCE = 1e-4
_EDGE = 1.0


@attrs.frozen(kw_only=True)
class FitDiagnostics:
    """How a fit went: which optimiser gave the estimate, and the checks it passed.

    Attributes:
        converged: always True on a returned model (failures raise).
        method: the optimiser that produced the estimate.
        attempts: each optimiser tried, with its outcome.
        iterations: the iterations of the optimiser that produced the estimate.
        log_likelihood: the total log-likelihood at the estimate.
        gradient_norm: the largest absolute gradient component of the mean
            log-likelihood, in log-parameters, at the estimate.
        hessian_condition: the condition number of the Hessian there.
        n_customers: the customers fitted.
        n_distinct: the distinct customer rows the likelihood was evaluated on.
    """

    converged: bool
    method: str
    attempts: tuple[str, ...]
    iterations: int
    log_likelihood: float
    gradient_norm: float
    hessian_condition: float
    n_customers: int
    n_distinct: int


@attrs.frozen(kw_only=True)
class Estimate:
    """Parameters, their standard errors, and the diagnostics of the fit."""

    params: dict[str, float]
    standard_errors: dict[str, float]
    diagnostics: FitDiagnostics


def maximize(
    model: str,
    names: Sequence[str],
    objective: Objective,
    start: FloatArray,
    *,
    total_weight: float,
    n_distinct: int,
    methods: Sequence[str] = METHODS,
    max_iterations: int = 2000,
) -> Estimate:
    """Maximise a log-likelihood over log-parameters, checking the result.

    Args:
        model: the model's name, for errors.
        names: the parameter names, in the order of ``start``.
        objective: log-parameters to (negative mean log-likelihood, gradient or None).
        start: the starting log-parameters.
        total_weight: the number of customers (the sum of the weights).
        n_distinct: the distinct rows the objective evaluates.
        methods: the optimisers to try in order (of :data:`METHODS`).
        max_iterations: the iteration budget of each optimiser.

    Returns:
        The estimate with standard errors and diagnostics.

    Raises:
        ConvergenceError: if no optimiser reaches a proper maximum.
    """
    attempts: list[str] = []
    last: dict[str, object] = {}
    x0 = np.clip(np.asarray(start, dtype=np.float64), -LOG_BOUND + 2, LOG_BOUND - 2)
    gradient = _gradient_function(objective, x0)
    for method in methods:
        result = _run(method, objective, x0, max_iterations)
        x = np.asarray(result.x, dtype=np.float64)
        value = float(result.fun)
        last = {"method": method, "message": str(result.message)}
        last.update({n: float(np.exp(v)) for n, v in zip(names, x, strict=True)})
        if not (result.success and np.isfinite(value) and np.all(np.isfinite(x))):
            attempts.append(f"{method}: stopped without converging ({result.message})")
            continue
        at_edge = [n for n, v in zip(names, x, strict=True) if abs(v) > LOG_BOUND - _EDGE]
        if at_edge:
            attempts.append(f"{method}: {', '.join(at_edge)} ran off to 0 or infinity")
            continue
        grad = gradient(x)
        grad_norm = float(np.max(np.abs(grad)))
        if not grad_norm < _GRADIENT_TOLERANCE:
            attempts.append(f"{method}: gradient {grad_norm:.2g} at the estimate, not 0")
            continue
        hessian = _hessian(gradient, x)
        eigen = np.linalg.eigvalsh(hessian) if np.all(np.isfinite(hessian)) else np.array([np.nan])
        if not np.all(eigen > 0):
            attempts.append(f"{method}: the Hessian is not positive definite (a saddle or ridge)")
            continue
        attempts.append(f"{method}: converged")
        covariance = np.linalg.inv(hessian * total_weight)
        params = {n: float(np.exp(v)) for n, v in zip(names, x, strict=True)}
        errors = {
            n: float(params[n] * np.sqrt(max(covariance[i, i], 0.0))) for i, n in enumerate(names)
        }
        return Estimate(
            params=params,
            standard_errors=errors,
            diagnostics=FitDiagnostics(
                converged=True,
                method=method,
                attempts=tuple(attempts),
                iterations=int(getattr(result, "nit", 0)),
                log_likelihood=-value * total_weight,
                gradient_norm=grad_norm,
                hessian_condition=float(eigen.max() / eigen.min()),
                n_customers=round(total_weight),
                n_distinct=n_distinct,
            ),
        )
    raise ConvergenceError(
        model,
        "no optimiser reached a proper maximum of the likelihood: " + "; ".join(attempts),
        {"attempts": tuple(attempts), "last": last},
    )


def _run(
    method: str, objective: Objective, x0: FloatArray, max_iterations: int
) -> optimize.OptimizeResult:
    bounds = [(-LOG_BOUND, LOG_BOUND)] * x0.shape[0]
    analytic = objective(x0)[1] is not None

    def value(x: FloatArray) -> float:
        return objective(x)[0]

    def value_and_gradient(x: FloatArray) -> tuple[float, FloatArray]:
        return _checked(objective(x))

    with np.errstate(all="ignore"):
        if method == "L-BFGS-B" and analytic:
            return optimize.minimize(
                value_and_gradient,
                x0,
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": max_iterations, "ftol": 1e-15, "gtol": 1e-10},
            )
        if method == "L-BFGS-B":
            # Central differences: forward ones stop the search a few units of
            # the third decimal short of the maximum.
            return optimize.minimize(
                value,
                x0,
                jac="3-point",
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": max_iterations, "ftol": 1e-15, "gtol": 1e-10},
            )
        if method == "Nelder-Mead":
            return optimize.minimize(
                value,
                x0,
                method="Nelder-Mead",
                bounds=bounds,
                options={
                    "maxiter": max_iterations * 5,
                    "maxfev": max_iterations * 5,
                    "xatol": 1e-10,
                    "fatol": 1e-14,
                    "adaptive": True,
                },
            )
    raise ValueError(f"unknown optimiser {method!r} (known: {', '.join(METHODS)})")


def _checked(pair: tuple[float, FloatArray | None]) -> tuple[float, FloatArray]:
    value, grad = pair
    assert grad is not None
    if not np.isfinite(value):
        return np.inf, np.zeros_like(grad)
    return value, grad


def _gradient_function(objective: Objective, x0: FloatArray) -> Callable[[FloatArray], FloatArray]:
    def analytic(x: FloatArray) -> FloatArray:
        grad = objective(x)[1]
        assert grad is not None
        return grad

    def numeric(x: FloatArray) -> FloatArray:
        grad = np.empty_like(x)
        for i in range(x.shape[0]):
            step = np.zeros_like(x)
            step[i] = 1e-6
            grad[i] = (objective(x + step)[0] - objective(x - step)[0]) / 2e-6
        return grad

    return analytic if objective(x0)[1] is not None else numeric


def _hessian(gradient: Callable[[FloatArray], FloatArray], x: FloatArray) -> FloatArray:
    n = x.shape[0]
    hessian = np.empty((n, n))
    for i in range(n):
        step = np.zeros(n)
        step[i] = 1e-5
        hessian[:, i] = (gradient(x + step) - gradient(x - step)) / 2e-5
    result: FloatArray = (hessian + hessian.T) / 2
    return result
