"""Walking a paged read to its end, one read transaction per page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

import pendulum

from relationkit import _validate as v

__all__ = ["TimeKey", "time_page", "walk"]

T = TypeVar("T")

TimeKey = tuple[pendulum.DateTime, str]


class _Timed(Protocol):
    @property
    def occurred_at(self) -> pendulum.DateTime: ...

    @property
    def id(self) -> str: ...


def time_page(limit: int | None, after: _Timed | None) -> tuple[int | None, TimeKey | None]:
    """Validate a page size and turn the previous page's last row into its keyset cursor.

    For reads ordered by ``(occurred_at, id)``: purchases and interactions.
    """
    size = v.positive_int(limit, "limit") if limit is not None else None
    return size, (after.occurred_at, after.id) if after is not None else None


def walk(fetch: Callable[[T | None], list[T]], size: int) -> Iterator[T]:
    """Yield every row of a keyset-paged read.

    Args:
        fetch: returns the page after the given row (None: the first page).
        size: the page size ``fetch`` uses; a shorter page is the last.
    """
    last: T | None = None
    while True:
        page = fetch(last)
        yield from page
        if len(page) < size:
            return
        last = page[-1]
