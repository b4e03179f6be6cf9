"""The marker of an update argument that was not given (None may be a value)."""

from __future__ import annotations

import enum

__all__ = ["UNSET", "Unset"]


class Unset(enum.Enum):
    """The type of :data:`UNSET`."""

    UNSET = "UNSET"


UNSET = Unset.UNSET
"""Marks an argument of an ``update`` method that was not given."""
