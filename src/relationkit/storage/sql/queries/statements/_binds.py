"""The bind parameters the statements share: an expanding IN list, a page's limit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, bindparam
from sqlalchemy.sql.elements import BindParameter

__all__ = ["limit", "many"]


def many(name: str) -> BindParameter[Any]:
    """Return an expanding bind parameter (an IN list)."""
    return bindparam(name, expanding=True)


def limit() -> BindParameter[int]:
    """Return the ``limit`` bind parameter."""
    return bindparam("limit", type_=Integer())
