"""The Pareto/NBD model of repeat buying (Schmittlein, Morrison & Colombo 1987).

While alive, a customer buys as a Poisson process of rate ``lambda ~
Gamma(r, alpha)``; their lifetime is exponential with rate ``mu ~ Gamma(s,
beta)``, independent of ``lambda``. ``alpha`` and ``beta`` are time scales in
the model's unit; ``r`` and ``s`` have none.

The likelihood follows Fader & Hardie's note "A Note on Deriving the
Pareto/NBD Model and Related Expressions" (2005): with ``rho = r + s + x``,

    L = Gamma(r + x) alpha^r beta^s / Gamma(r)
        * [ (alpha + T)^-(r + x) (beta + T)^-s + s / rho * A0 ]

where ``A0`` is a difference of two Gauss hypergeometric terms, written on
the larger of ``alpha`` and ``beta`` so that the argument lies in ``[0, 1)``.
Each term is evaluated in log space through Euler's transformation (see
``_special``), the difference by ``logsubexp`` and the bracket by
log-sum-exp, so customers with hundreds of purchases neither overflow nor
underflow. The gradient has no closed form (it would need derivatives of
``2F1`` in its parameters), so the optimiser uses finite differences.
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt
from scipy import special

from relationkit.clv._optimize import Objective
from relationkit.clv._special import log_hyp2f1_a_plus_one, logsubexp
from relationkit.clv._transactions import TransactionModel

__all__ = ["ParetoNBDModel"]

FloatArray = npt.NDArray[np.float64]
_MODEL = "Pareto/NBD"


def log_a0(
    params: FloatArray,
    x: FloatArray,
    tx: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """Return ``log A0`` of the likelihood (``-inf`` where ``recency == T``)."""
    r, alpha, s, beta = params
    rho = r + s + x
    if alpha >= beta:
        base, top, gap = alpha, s + 1.0, alpha - beta
    else:
        base, top, gap = beta, r + x, beta - alpha
    early = log_hyp2f1_a_plus_one(rho, top, gap / (base + tx)) - rho * np.log(base + tx)
    late = log_hyp2f1_a_plus_one(rho, top, gap / (base + T)) - rho * np.log(base + T)
    return logsubexp(early, late)


def log_likelihood(
    params: FloatArray,
    x: FloatArray,
    tx: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """Return each customer's log-likelihood under ``params`` (r, alpha, s, beta)."""
    r, alpha, s, beta = params
    head = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive_to_t = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    died = np.log(s) - np.log(r + s + x) + log_a0(params, x, tx, T)
    result: FloatArray = head + np.logaddexp(alive_to_t, died)
    return result


@attrs.frozen(kw_only=True)
class ParetoNBDModel(TransactionModel):
    """A fitted Pareto/NBD model: ``params`` holds ``r``, ``alpha``, ``s`` and ``beta``.

    Make one with :meth:`fit` (a purchase summary) or :meth:`fit_arrays`
    (plain columns). ``alpha`` and ``beta`` are in the model's time unit.
    """

    MODEL = _MODEL
    PARAMS = ("r", "alpha", "s", "beta")

    @classmethod
    def _objective(
        cls, x: FloatArray, tx: FloatArray, age: FloatArray, weights: FloatArray
    ) -> Objective:
        total = float(weights.sum())

        def objective(theta: FloatArray) -> tuple[float, FloatArray | None]:
            ll = log_likelihood(np.exp(theta), x, tx, age)
            return -float(weights @ ll) / total, None

        return objective

    @classmethod
    def _start(cls, x: FloatArray, age: FloatArray, weights: FloatArray) -> FloatArray:
        # r = s = 1, alpha matching the mean purchase rate, beta the mean age.
        rate = max(float(weights @ x) / max(float(weights @ age), 1e-12), 1e-6)
        mean_age = float(weights @ age) / float(weights.sum())
        start: FloatArray = np.log(np.array([1.0, 1.0 / rate, 1.0, max(mean_age, 1e-6)]))
        return start

    def _alive(self, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
        r, alpha, s, beta = self._param_values()
        params = np.array([r, alpha, s, beta])
        log_odds = (
            np.log(s)
            - np.log(r + s + x)
            + (r + x) * np.log(alpha + age)
            + s * np.log(beta + age)
            + log_a0(params, x, tx, age)
        )
        result: FloatArray = special.expit(-log_odds)
        return result

    def _unconditional(self, t: FloatArray) -> FloatArray:
        r, alpha, s, beta = self._param_values()
        result: FloatArray = r * beta / alpha * _decay(s, beta, t)
        return result

    def _conditional(self, t: float, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
        r, alpha, s, beta = self._param_values()
        rate = (r + x) / (alpha + age) * (beta + age)
        result: FloatArray = (
            rate * _decay(s, beta + age, np.full_like(x, t)) * self._alive(x, tx, age)
        )
        return result


def _decay(s: float, scale: FloatArray | float, t: FloatArray) -> FloatArray:
    """Return ``(1 - (scale / (scale + t))^(s - 1)) / (s - 1)``, its limit at ``s = 1``."""
    log_ratio = -np.log1p(t / scale)
    if abs(s - 1.0) < 1e-9:
        limit: FloatArray = -log_ratio
        return limit
    result: FloatArray = -np.expm1((s - 1.0) * log_ratio) / (s - 1.0)
    return result
