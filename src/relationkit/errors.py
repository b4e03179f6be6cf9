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
        └── SchemaMismatch                stored schema version is not ours

Messages name objects by id and fields by name; they never carry personal
data such as emails or names.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "Conflict",
    "HookError",
    "IdempotencyConflict",
    "InsufficientPoints",
    "InvalidTransition",
    "NotFound",
    "RelationKitError",
    "SchemaMismatch",
    "StorageError",
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
    """One or more event handlers failed; the data they reacted to is committed."""

    def __new__(cls, message: str, errors: Sequence[Exception]) -> HookError:
        return super().__new__(cls, message, errors)

    def derive(self, excs: Sequence[Exception]) -> HookError:  # type: ignore[override]
        return HookError(self.message, excs)


class StorageError(RelationKitError):
    """The storage backend failed; the operation did not take effect."""


class SchemaMismatch(StorageError):
    """The database holds a relationkit schema of another version."""

    def __init__(self, found: str, expected: str) -> None:
        self.found = found
        self.expected = expected
        super().__init__(
            f"database schema version {found} does not match this relationkit ({expected}); "
            "migrate the database or open it with a matching relationkit version"
        )
