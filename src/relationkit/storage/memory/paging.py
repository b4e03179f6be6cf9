"""Keyset pages over the memory backend's sorted rows."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import TypeVar

import pendulum

__all__ = ["page"]


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
