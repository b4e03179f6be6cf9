"""PostgreSQL specifics: the open lock, and the SQLSTATEs the translation knows."""

from __future__ import annotations

import zlib

from sqlalchemy import Connection, text

__all__ = ["DISCONNECT_SQLSTATES", "TRANSIENT_SQLSTATES", "lock_schema"]

TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03"})
"""Deadlock, serialization failure, lock not available: a retry may succeed."""

DISCONNECT_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
"""Admin shutdown, crash shutdown, cannot connect now; class 08 is added by prefix."""


def lock_schema(connection: Connection, name: str) -> None:
    """Take a transaction-scoped advisory lock for opening the tables ``name``.

    Two processes opening a new database at once would both find it empty;
    the second CREATE would fail. The lock queues them instead.
    """
    key = zlib.crc32(f"relationkit:{name}".encode())
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
