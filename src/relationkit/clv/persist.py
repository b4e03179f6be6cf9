"""Saved models: read any model :meth:`~FittedModel.save` wrote, whatever its kind.

A saved model is a JSON document with ``format`` (``"relationkit.clv/1"``),
``model`` (``"BG/NBD"``, ``"Pareto/NBD"``, ``"Gamma-Gamma"``), ``params``,
``standard_errors``, ``window`` (``unit``, ``as_of``, ``since``,
``fitted_at``) and ``diagnostics``: enough to recompute every score later
without the data.
"""

from __future__ import annotations

import json
from pathlib import Path

from relationkit.clv._base import FittedModel
from relationkit.clv.bgnbd import BetaGeoModel
from relationkit.clv.gamma_gamma import GammaGammaModel
from relationkit.clv.pareto import ParetoNBDModel
from relationkit.errors import ValidationError

__all__ = ["load_model", "model_from_json"]

_KINDS: dict[str, type[FittedModel]] = {
    kind.MODEL: kind for kind in (BetaGeoModel, ParetoNBDModel, GammaGammaModel)
}


def model_from_json(text: str) -> FittedModel:
    """Restore a model of any kind from its JSON document.

    Raises:
        ValidationError: if the text is not a saved model.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError("model", f"not JSON: {exc}") from exc
    kind = _KINDS.get(str(data.get("model"))) if isinstance(data, dict) else None
    if kind is None:
        raise ValidationError("model", "not a saved BG/NBD, Pareto/NBD or Gamma-Gamma model")
    return kind.from_dict(data)


def load_model(path: str | Path) -> FittedModel:
    """Read a model of any kind from a file written by ``save``.

    Raises:
        ValidationError: if the file is not a saved model.
    """
    return model_from_json(Path(path).read_text(encoding="utf-8"))
