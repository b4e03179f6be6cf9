"""Keyset pages over the memory backend's sorted rows, sorted once per change."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pendulum

if TYPE_CHECKING:
    from relationkit.storage.memory.tables import Tables

__all__ = ["page", "sorted_once"]


R = TypeVar("R")


def page(
    rows: list[R],
    key: Callable[[R], tuple[pendulum.DateTime, str]],
    after: tuple[pendulum.DateTime, str] | None,
    limit: int | None,
) -> list[R]:
    """Return the rows (sorted by ``key``) after ``after``, at most ``limit``."""
    start = bisect.bisect_right(rows, after, key=key) if after is not None else 0
    return rows[start : None if limit is None else start + limit]


def sorted_once(
    tables: Tables, key: tuple[str, str], stamp: tuple[Any, ...], build: Callable[[], list[R]]
) -> list[R]:
    """Return ``build()``, kept in ``tables.timeline_cache`` until ``stamp`` changes.

    ``stamp`` says what the sorted list was built from (how many rows, which
    list object); a write that changes what ``build`` would return changes it.
    The list returned is shared: callers slice it, never change it.
    """
    cache = tables.timeline_cache
    found = cache.get(key)
    if found is not None and found[0] == stamp:
        return found[1]  # type: ignore[return-value]
    ordered = build()
    cache[key] = (stamp, ordered)  # type: ignore[assignment]
    return ordered
