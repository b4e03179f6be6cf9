"""The errors of :mod:`relationkit.clv`, under relationkit's one root::

    RelationKitError
    └── ModelFitError                     the data cannot support this model
        ├── InsufficientDataError (ValueError)   too few customers or repeat buyers, no variance
        └── ConvergenceError                     the optimiser found no proper maximum

Bad input (a negative frequency, recency after ``T``) raises the kit's own
:class:`relationkit.errors.ValidationError`, naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping

from relationkit.errors import RelationKitError

__all__ = ["ConvergenceError", "InsufficientDataError", "ModelFitError"]


class ModelFitError(RelationKitError):
    """The data cannot support a fit of this model; no model is returned.

    Attributes:
        model: the model's name (``"BG/NBD"``, ``"Pareto/NBD"``, ``"Gamma-Gamma"``).
        reason: what is wrong, in words.
        details: figures that back the reason (counts, the last estimates,
            the optimiser's message), for logs.
    """

    def __init__(
        self, model: str, reason: str, details: Mapping[str, object] | None = None
    ) -> None:
        self.model = model
        self.reason = reason
        self.details = dict(details or {})
        super().__init__(f"{model}: {reason}")


class InsufficientDataError(ModelFitError, ValueError):
    """Too few customers, too few repeat buyers, or no variance to learn from."""


class ConvergenceError(ModelFitError):
    """No optimiser reached a proper maximum of the likelihood.

    Raised when every optimiser tried stopped without converging, when the
    estimates run off to a bound (the maximum is at infinity or zero: the data
    does not identify the model) or when the Hessian at the estimate is not
    negative definite.
    """
