"""The memory backend's undo log: every change to a table is logged before it happens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

__all__ = ["Undo", "UndoLog", "append_item", "set_item"]

Undo = Callable[[], None]


class UndoLog(Protocol):
    """What a table helper needs of a unit of work: somewhere to log undos."""

    def _log(self, undo: Undo) -> None: ...


K = TypeVar("K")
V = TypeVar("V")


def set_item(d: dict[K, V], key: K, uow: UndoLog) -> None:
    """Log the undo of an assignment to ``d[key]`` (before it happens)."""
    if key in d:
        old = d[key]
        uow._log(lambda: d.__setitem__(key, old))
    else:
        uow._log(lambda: d.__delitem__(key))


def append_item(lst: list[V], uow: UndoLog) -> None:
    """Log the undo of an append to ``lst`` (before it happens)."""
    size = len(lst)
    uow._log(lambda: lst.__delitem__(slice(size, None)))
