"""Walking a paged read to its end, one read transaction per page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

__all__ = ["walk"]

T = TypeVar("T")


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
