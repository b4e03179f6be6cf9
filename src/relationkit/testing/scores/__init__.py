"""Kept-score tests: what a store that keeps scores must do, on every backend.

A store whose unit of work implements
:class:`~relationkit.storage.ports.scores.KeptScores` is checked here: the
repository's rules (:mod:`~relationkit.testing.scores.repository`) and a
refresh through the kit (:mod:`~relationkit.testing.scores.refresh`). A
store that does not keep scores must say so: its refresh raises
``StorageError``.

Added in 0.3.0.
"""

from __future__ import annotations

from relationkit.testing.scores.refresh import RefreshScores
from relationkit.testing.scores.repository import ScoreRepositoryPort

__all__ = ["RefreshScores", "ScoreRepositoryPort", "ScoresSuite"]


class ScoresSuite(ScoreRepositoryPort, RefreshScores):
    """Every kept-score test: subclass it with a ``Test`` name to run this level alone."""
