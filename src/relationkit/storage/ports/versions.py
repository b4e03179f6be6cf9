"""An optional protocol for writing only an account's version.

Every write transaction numbers the events it emits per account and stores
the account's new version (its last event sequence) before commit. Mostly
nothing else of the account changed: a backend that implements
:class:`AccountVersions` stores the number alone (``UPDATE ... SET version``)
instead of the whole row, which on SQLite also spares rewriting the entries
of every index on the account's other columns. Without it, the services
write the whole account (``accounts.update_many``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

__all__ = ["AccountVersions"]


@runtime_checkable
class AccountVersions(Protocol):
    """Store new account versions, nothing else of the accounts."""

    def set_versions(self, versions: Mapping[str, int]) -> None:
        """Store ``account_id -> version`` (one executemany); other fields are kept.

        Raises:
            NotFound: ``("account", id)`` for an account that is not stored.
        """
        ...
