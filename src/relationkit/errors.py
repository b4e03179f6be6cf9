"""The relationkit error tree.

Every error raised on purpose by relationkit derives from one root, and the
ones that resemble a builtin also subclass it, so ``except ValueError`` and
``except LookupError`` keep working in host code::

    RelationKitError
    ├── ValidationError (ValueError)      bad input; names the field
    ├── NotFound (LookupError)            unknown id, email, order id, ...
    ├── Conflict                          the change clashes with stored state
    │   ├── IdempotencyConflict           same key, different payload
    │   └── InvalidTransition             lifecycle move the graph forbids
    ├── InsufficientPoints                a debit larger than the balance allows
    ├── HookError (ExceptionGroup)        handlers failed after a commit
    └── StorageError                      the backend failed; data unchanged
        ├── SchemaMismatch                stored schema is not the one this version needs
        ├── DuplicateKey                  port: a uniqueness rule was broken
        ├── DanglingReference             port: a record names a parent that does not exist
        └── TransientStorageError         port: busy, deadlock, lost connection; retry may cure

The three errors marked *port* are raised by storage backends to the services
(see :mod:`relationkit.storage.ports`): the kit retries on
``TransientStorageError`` and on ``DuplicateKey`` from a concurrent writer, and
reports what is left as a ``StorageError``. A host only sees them when it
drives a backend directly.

Messages name objects by id and fields by name; they never carry personal
data such as emails or names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "Conflict",
    "DanglingReference",
    "DuplicateKey",
    "HookError",
    "IdempotencyConflict",
    "InsufficientPoints",
    "InvalidTransition",
    "NotFound",
    "RelationKitError",
    "SchemaMismatch",
    "StorageError",
    "TransientStorageError",
    "ValidationError",
]


class RelationKitError(Exception):
    """Root of every error relationkit raises on purpose."""


class ValidationError(RelationKitError, ValueError):
    """Input was rejected before anything was written.

    Attributes:
        field: the name of the offending field, dotted for nested values
            (``"lines[0].quantity"``).
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class NotFound(RelationKitError, LookupError):
    """The referenced object does not exist.

    Attributes:
        kind: what was looked up (``"customer"``, ``"purchase"``, ...).
        ref: the id or key used, never an email address in clear.
    """

    def __init__(self, kind: str, ref: str) -> None:
        self.kind = kind
        self.ref = ref
        super().__init__(f"{kind} not found: {ref}")


class Conflict(RelationKitError):
    """The requested change clashes with what is stored."""


class IdempotencyConflict(Conflict):
    """A key was reused with a different payload.

    Attributes:
        key: the idempotency key or order/refund id.
        fields: the names of the fields whose values differ.
    """

    def __init__(self, key: str, fields: Sequence[str], what: str = "request") -> None:
        self.key = key
        self.fields = tuple(fields)
        listed = ", ".join(self.fields) or "payload"
        super().__init__(f"{what} {key!r} was already recorded with a different {listed}")


class InvalidTransition(Conflict):
    """A lifecycle move that the stage graph does not allow."""

    def __init__(self, ref: str, from_stage: str, to_stage: str) -> None:
        self.ref = ref
        self.from_stage = from_stage
        self.to_stage = to_stage
        super().__init__(f"{ref}: cannot move from stage {from_stage!r} to {to_stage!r}")


class InsufficientPoints(RelationKitError):
    """A redemption asked for more points than are available."""

    def __init__(self, account_id: str, requested: int, available: int) -> None:
        self.account_id = account_id
        self.requested = requested
        self.available = available
        super().__init__(
            f"account {account_id}: {requested} points requested, {available} available"
        )


class HookError(RelationKitError, ExceptionGroup[Exception]):
    """One or more event handlers failed; the data they reacted to is committed.

    Attributes:
        failures: one :class:`~relationkit.hooks.HookFailure` per failed
            call, with the event and the handler, so the host can deliver
            them again (``kit.hooks.redeliver(err.failures)``).
        result: what the write that committed returned (a ``Purchase``, a
            ``BulkResult``, ...), or None when raised outside a write.
    """

    failures: tuple[Any, ...]
    result: Any

    def __new__(
        cls, message: str, errors: Sequence[Exception], failures: Sequence[Any] = ()
    ) -> HookError:
        self = super().__new__(cls, message, errors)
        self.failures = tuple(failures)
        self.result = None
        return self

    def __init__(
        self, message: str, errors: Sequence[Exception], failures: Sequence[Any] = ()
    ) -> None:
        super().__init__(message, errors)

    def derive(self, excs: Sequence[Exception]) -> HookError:  # type: ignore[override]
        """Return a group of ``excs`` keeping their failures (``ExceptionGroup.split`` calls it)."""
        kept = [f for f in self.failures if f.error in excs]
        derived = HookError(self.message, excs, kept)
        derived.result = self.result
        return derived


class StorageError(RelationKitError):
    """The storage backend failed; the operation did not take effect."""


class SchemaMismatch(StorageError):
    """The database does not hold the schema this relationkit needs.

    Either another schema version is recorded, or the tables are partial or
    altered (a missing table, column, index or constraint). Nothing is
    created or repaired when this is raised.

    Attributes:
        found: the recorded schema version (``"none"`` when unrecorded).
        expected: the version this relationkit needs.
        problems: what is missing or different, one line each (table,
            column, index or constraint names; never data).
        upgrade: the command that upgrades the store, when one can.
    """

    def __init__(
        self,
        found: str,
        expected: str,
        *,
        problems: Sequence[str] = (),
        upgrade: str | None = None,
    ) -> None:
        self.found = found
        self.expected = expected
        self.problems = tuple(problems)
        self.upgrade = upgrade
        if self.problems:
            message = (
                f"the database's relationkit schema (version {found}) is damaged or altered: "
                + "; ".join(self.problems)
            )
        else:
            message = (
                f"database schema version {found} does not match this relationkit ({expected})"
            )
        if upgrade:
            message += f"; upgrade it with: {upgrade}"
        elif not self.problems:
            message += "; migrate the database or open it with a matching relationkit version"
        super().__init__(message)


class DuplicateKey(StorageError):
    """A uniqueness rule was broken; ``constraint`` names which one.

    Raised by storage backends. ``constraint`` is one of ``"account_id"``,
    ``"customer_id"``, ``"order_id"``, ``"refund_id"``, ``"email"``,
    ``"external_id"``, ``"idempotency_key"``, ``"ledger_seq"``, ``"entry_id"``,
    ``"interaction_id"``, or another name for a rule a
    backend adds. The transaction must be rolled back.
    """

    def __init__(self, constraint: str) -> None:
        self.constraint = constraint
        super().__init__(f"duplicate {constraint}")


class DanglingReference(StorageError):
    """A record names a parent that does not exist; ``field`` names the reference.

    Raised by storage backends when a row is inserted whose ``account_id``
    (or ``order_id`` for a refund) matches no stored parent. The services
    check parents first, so a host sees it only when it drives a backend
    directly. The transaction must be rolled back.
    """

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(f"{field} refers to a record that does not exist")


class TransientStorageError(StorageError):
    """A failure that a retry of the whole transaction may cure.

    Busy database, lock time-out, deadlock, serialisation failure, a dropped
    connection. The transaction must be rolled back; the kit retries it.
    """
