"""Callbacks that wait for the COMMIT of a transaction the host owns.

When a store joins a host's ``Connection`` inside the host's transaction,
the host's COMMIT is what makes the work durable. SQLAlchemy Core has no
event after a COMMIT: its ``commit`` event fires before it, and a COMMIT
can still fail (a deferred constraint). So :class:`HostCommits` follows the
host's transaction with public connection events and runs nothing inside
them:

- a callback waits in the frame of the innermost host SAVEPOINT (or of the
  transaction); ``release_savepoint`` hands it to the enclosing frame,
  ``rollback_savepoint`` and ``rollback`` drop it;
- ``commit`` moves every frame's callbacks to *committing*; if the COMMIT
  fails, SQLAlchemy's ``handle_error`` event fires during it and they are
  dropped;
- once the commit call has returned (the next ``begin``, or any later call
  into the store), committing callbacks are *ready*, and :meth:`deliver`
  runs them, in order, outside SQLAlchemy's events, so a raising handler
  cannot abort the host's COMMIT or its next BEGIN.

The store delivers at the start of its next transaction and in
:meth:`~relationkit.storage.sql.store.SqlStorage.deliver_committed`, which
a host calls after its own commit to have the hooks run at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, event

__all__ = ["HostCommits"]

_log = logging.getLogger("relationkit.storage.sql")

Callback = Callable[[], None]


class HostCommits:
    """Follow one host connection's transaction; hold callbacks until its COMMIT succeeded.

    Args:
        connection: the host's connection (not necessarily in a transaction yet).
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        # The transaction's frame first, then one per open savepoint, innermost last.
        self._frames: list[list[Callback]] = [[]]
        self._committing: list[Callback] = []
        self._ready: list[Callback] = []
        self._listeners: list[tuple[Any, str, Callable[..., None]]] = [
            (connection, "savepoint", self._savepoint),
            (connection, "release_savepoint", self._released),
            (connection, "rollback_savepoint", self._rolled_back_to),
            (connection, "rollback", self._rolled_back),
            (connection, "commit", self._committed),
            (connection, "begin", self._began),
            (connection.engine, "handle_error", self._failed),
        ]
        for target, name, fn in self._listeners:
            event.listen(target, name, fn)

    def add(self, callback: Callback) -> None:
        """Hold ``callback`` until the host's transaction commits."""
        self._frames[-1].append(callback)

    def deliver(self, *, raise_errors: bool = False) -> None:
        """Run the callbacks whose COMMIT has succeeded, in order.

        Call only outside the host's ``commit()`` (any call into the store
        is). Errors are logged, or with ``raise_errors`` re-raised once all
        callbacks ran (one error as is, several as an ``ExceptionGroup``).
        """
        self._ready += self._committing
        self._committing = []
        errors: list[Exception] = []
        while self._ready:
            callback = self._ready.pop(0)
            try:
                callback()
            except Exception as e:
                if not raise_errors:
                    _log.exception("an after-commit callback failed")
                errors.append(e)
        if raise_errors and len(errors) == 1:
            raise errors[0]
        if raise_errors and errors:
            raise ExceptionGroup("after-commit callbacks failed", errors)

    @property
    def waiting(self) -> int:
        """How many callbacks are held (not yet delivered or dropped)."""
        held = sum(len(callbacks) for callbacks in self._frames)
        return held + len(self._committing) + len(self._ready)

    def close(self) -> None:
        """Stop following the connection (held callbacks are dropped)."""
        for target, name, fn in self._listeners:
            if event.contains(target, name, fn):
                event.remove(target, name, fn)
        self._frames = [[]]
        self._committing = []

    # -- events ---------------------------------------------------------------

    def _savepoint(self, _conn: Connection, _name: str | None) -> None:
        self._frames.append([])

    def _pop(self) -> list[Callback] | None:
        """Pop the innermost savepoint's frame; None if none is open.

        SQLAlchemy's savepoints nest strictly (a ``NestedTransaction`` ends
        before its parent), so the one ending is the innermost open one.
        """
        if len(self._frames) == 1:
            return None
        return self._frames.pop()

    def _released(self, _conn: Connection, _name: str | None, _context: Any) -> None:
        popped = self._pop()
        if popped is not None:
            self._frames[-1].extend(popped)

    def _rolled_back_to(self, _conn: Connection, _name: str | None, _context: Any) -> None:
        if self._pop() is None:
            # A savepoint opened before we followed the connection: whatever
            # we hold may have been written inside it.
            self._frames = [[]]

    def _rolled_back(self, _conn: Connection) -> None:
        self._frames = [[]]

    def _committed(self, _conn: Connection) -> None:
        self._committing += [c for callbacks in self._frames for c in callbacks]
        self._frames = [[]]

    def _began(self, _conn: Connection) -> None:
        # A new transaction: the previous COMMIT returned without an error.
        self._ready += self._committing
        self._committing = []

    def _failed(self, context: Any) -> None:
        if context.connection is self._connection and context.statement is None:
            # A failure outside a statement while a COMMIT is pending: the
            # COMMIT itself failed, and nothing it held is durable.
            self._committing = []
