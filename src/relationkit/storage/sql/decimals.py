"""A column type for exact decimals kept as text (a ledger entry's ``rate``).

SQLite has no exact decimal type (``NUMERIC`` there is a float), so a rate
is stored as the text of its ``Decimal`` on every dialect and read back as
the same ``Decimal``: ``Decimal("0.92")`` stays ``0.92``, never
``0.9200000000000000177``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Dialect, String
from sqlalchemy.types import TypeDecorator

__all__ = ["RATE_LENGTH", "DecimalText"]

RATE_LENGTH = 40
"""The width of a rate's text: 13 digits, a point and 12 decimals fit with room."""


class DecimalText(TypeDecorator[Decimal]):
    """A ``Decimal`` stored as its text, exact on every dialect."""

    impl = String(RATE_LENGTH)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value)
