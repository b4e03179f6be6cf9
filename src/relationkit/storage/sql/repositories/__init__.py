"""The core port's repositories in SQL, one module per aggregate.

Each repository runs its statements through the transaction's
:class:`~relationkit.storage.sql.execution.Executor` and maps rows with the
shapes of :mod:`~relationkit.storage.sql.mapping`. Lookups by many keys go in
IN lists of at most :data:`CHUNK` keys, one query per chunk, never one per key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pendulum

from relationkit.storage.sql.execution import Executor
from relationkit.storage.sql.queries.statements import Statements
from relationkit.storage.sql.schema.tables import Tables

__all__ = ["CHUNK", "Repository", "page_params"]

CHUNK = 500
"""Keys per IN list: well under every dialect's bound-parameter limit."""


class Repository:
    """What every repository of a transaction holds: its executor and the store's statements.

    Args:
        executor: the transaction's executor.
        tables: the store's tables.
        statements: the store's prebuilt statements.
    """

    __slots__ = ("_s", "_t", "_x")

    def __init__(self, executor: Executor, tables: Tables, statements: Statements) -> None:
        self._x = executor
        self._t = tables
        self._s = statements


def page_params(
    key: Mapping[str, Any], after: tuple[pendulum.DateTime, str] | None, limit: int | None
) -> dict[str, Any]:
    """Return the parameters of a page statement (see :mod:`..queries.pages`)."""
    params = dict(key)
    if after is not None:
        params.update(after_at=after[0], after_id=after[1])
    if limit is not None:
        params["limit"] = max(limit, 0)
    return params
