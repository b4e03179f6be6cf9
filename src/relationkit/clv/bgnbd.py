"""The BG/NBD model of repeat buying.

Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way".

While alive, a customer buys as a Poisson process of rate ``lambda``, with
``lambda ~ Gamma(r, alpha)`` over customers; after each purchase they drop
out with probability ``p``, with ``p ~ Beta(a, b)``. ``alpha`` is a time
scale, in the model's unit; ``r``, ``a`` and ``b`` have none.
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt
from scipy import special

from relationkit.clv._optimize import Objective
from relationkit.clv._transactions import TransactionModel

__all__ = ["BetaGeoModel"]

FloatArray = npt.NDArray[np.float64]
_MODEL = "BG/NBD"


def log_likelihood(
    params: FloatArray,
    x: FloatArray,
    tx: FloatArray,
    T: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Return each customer's log-likelihood and its gradient (rows: r, alpha, a, b).

    The likelihood's bracket ``1 + [x > 0] a / (b + x - 1) ((alpha + T) /
    (alpha + t_x))^(r + x)`` is taken as a log-sum-exp of its two terms, so
    heavy buyers (large ``x``) never overflow.
    """
    r, alpha, a, b = params
    repeat = x > 0
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = (
        special.gammaln(a + b)
        + special.gammaln(b + x)
        - special.gammaln(b)
        - special.gammaln(a + b + x)
    )
    log_t = np.log(alpha + T)
    log_tx = np.log(alpha + tx)
    a3 = -(r + x) * log_t
    b_x = np.where(repeat, b + x - 1.0, 1.0)
    a4 = np.where(repeat, np.log(a) - np.log(b_x) - (r + x) * log_tx, -np.inf)
    bracket = np.logaddexp(a3, a4)
    w3 = np.exp(a3 - bracket)
    w4 = np.exp(a4 - bracket)
    psi_ab = special.digamma(a + b)
    psi_abx = special.digamma(a + b + x)
    grad = np.stack(
        [
            special.digamma(r + x) - special.digamma(r) + np.log(alpha) - w3 * log_t - w4 * log_tx,
            r / alpha - w3 * (r + x) / (alpha + T) - w4 * (r + x) / (alpha + tx),
            psi_ab - psi_abx + w4 / a,
            psi_ab + special.digamma(b + x) - special.digamma(b) - psi_abx - w4 / b_x,
        ]
    )
    return a1 + a2 + bracket, grad


@attrs.frozen(kw_only=True)
class BetaGeoModel(TransactionModel):
    """A fitted BG/NBD model: ``params`` holds ``r``, ``alpha``, ``a`` and ``b``.

    Make one with :meth:`fit` (a purchase summary) or :meth:`fit_arrays`
    (plain columns). ``alpha`` is in the model's time unit
    (``window.unit``); the other parameters have none.
    """

    MODEL = _MODEL
    PARAMS = ("r", "alpha", "a", "b")

    @classmethod
    def _objective(
        cls, x: FloatArray, tx: FloatArray, age: FloatArray, weights: FloatArray
    ) -> Objective:
        total = float(weights.sum())

        def objective(theta: FloatArray) -> tuple[float, FloatArray | None]:
            params = np.exp(theta)
            ll, grad = log_likelihood(params, x, tx, age)
            gradient: FloatArray = -(grad @ weights) * params / total
            return -float(weights @ ll) / total, gradient

        return objective

    @classmethod
    def _start(cls, x: FloatArray, age: FloatArray, weights: FloatArray) -> FloatArray:
        # r = 1 and alpha matching the mean purchase rate; a = b = 1 (a flat Beta).
        rate = max(float(weights @ x) / max(float(weights @ age), 1e-12), 1e-6)
        start: FloatArray = np.log(np.array([1.0, 1.0 / rate, 1.0, 1.0]))
        return start

    def _alive(self, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
        # A drop-out happens only after a purchase: one-time buyers are alive.
        r, alpha, a, b = self._param_values()
        repeat = x > 0
        b_x = np.where(repeat, b + x - 1.0, 1.0)
        log_odds = np.log(a) - np.log(b_x) + (r + x) * (np.log(alpha + age) - np.log(alpha + tx))
        result: FloatArray = np.where(repeat, special.expit(-log_odds), 1.0)
        return result

    def _unconditional(self, t: FloatArray) -> FloatArray:
        zeros = np.zeros_like(t)
        return self._bracket(t, zeros, zeros)

    def _conditional(self, t: float, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
        result: FloatArray = self._bracket(np.full_like(x, t), x, age) * self._alive(x, tx, age)
        return result

    def _bracket(self, t: FloatArray, x: FloatArray, age: FloatArray) -> FloatArray:
        # Euler's transformation of 2F1(r + x, b + x; a + b + x - 1; z) leaves
        # (1 - z)^(a - 1) 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z): only the
        # last parameter grows with x, so heavy buyers neither overflow nor
        # lose their digits.
        r, alpha, a, b = self._param_values()
        z = t / (alpha + age + t)
        c = a + b + x - 1.0
        tail = special.hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
        result: FloatArray = c / (a - 1.0) * (1.0 - np.exp((a - 1.0) * np.log1p(-z)) * tail)
        return result
