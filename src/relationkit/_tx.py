"""The transaction context the services share: unit of work, account cache, events.

A :class:`Tx` lives for one attempt of one outermost transaction. Services load
accounts through it (locked for update), emit events through it (numbered per
account), and it writes the touched accounts back before the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs
import pendulum

from relationkit.domain.customers import Account
from relationkit.errors import NotFound
from relationkit.events import Event
from relationkit.ids import IdGenerator
from relationkit.storage.fallback import queries
from relationkit.storage.ports import UnitOfWork

__all__ = ["Tx"]

E = TypeVar("E", bound=Event)


@attrs.frozen
class _Mark:
    events: int
    accounts: dict[str, Account]
    dirty: set[str]
    locked: set[str]
    versions: dict[str, int]


class Tx:
    """One attempt of a transaction, as the services see it."""

    def __init__(
        self,
        uow: UnitOfWork,
        *,
        now: pendulum.DateTime,
        ids: IdGenerator,
        wants: Callable[[type[Event]], bool],
    ) -> None:
        self.uow = uow
        self.now = now
        self.ids = ids
        self._wants = wants
        self.events: list[Event] = []
        # Set when a nested block failed on a store without savepoints.
        self.doomed = False
        self._accounts: dict[str, Account] = {}
        self._dirty: set[str] = set()
        self._locked: set[str] = set()
        # Event sequence numbers handed out, by account; written back at flush.
        self._versions: dict[str, int] = {}

    # -- accounts -----------------------------------------------------------

    def account(self, account_id: str, *, lock: bool = True) -> Account:
        """Return the account as this transaction sees it; lock it for update.

        Raises:
            NotFound: if there is no such account.
        """
        cached = self._accounts.get(account_id)
        if cached is not None and (account_id in self._locked or not lock):
            return cached
        found = self.uow.accounts.get_many([account_id], for_update=lock).get(account_id)
        if found is None:
            raise NotFound("account", account_id)
        if cached is None or account_id not in self._dirty:
            # A copy read earlier without the lock may be stale: another writer
            # could have committed in between. Act on the row just locked.
            self._accounts[account_id] = found
        if lock:
            self._locked.add(account_id)
        return self._accounts[account_id]

    def accounts(self, account_ids: Sequence[str]) -> dict[str, Account]:
        """Return and lock several accounts (in id order, to avoid deadlocks)."""
        wanted = sorted(set(account_ids) - self._locked)
        if wanted:
            found = self.uow.accounts.get_many(wanted, for_update=True)
            missing = [a for a in wanted if a not in found]
            if missing:
                raise NotFound("account", missing[0])
            for account_id, account in found.items():
                if account_id not in self._dirty:
                    self._accounts[account_id] = account
                self._locked.add(account_id)
        return {a: self._accounts[a] for a in account_ids}

    def current(self, account_id: str) -> Account:
        """Return the account as it will be stored at commit (its version included)."""
        account = self.account(account_id)
        version = self._versions.get(account_id, account.version)
        return account if version == account.version else attrs.evolve(account, version=version)

    def adopt(self, account: Account) -> None:
        """Cache an account this transaction has just inserted (it is ours alone)."""
        self._accounts[account.id] = account
        self._locked.add(account.id)

    def put(self, account: Account) -> None:
        """Replace the cached account; it is written back before commit."""
        self._accounts[account.id] = account
        self._dirty.add(account.id)

    def flush(self) -> None:
        """Write back every account this transaction changed.

        An account whose version alone changed is written as its version
        where the store can (:class:`~relationkit.storage.ports.versions.AccountVersions`).
        """
        bumped: dict[str, int] = {}
        for account_id, version in self._versions.items():
            account = self._accounts[account_id]
            if account.version != version:
                self._accounts[account_id] = attrs.evolve(account, version=version)
                bumped[account_id] = version
        self._versions.clear()
        if bumped:
            only = {a: n for a, n in bumped.items() if a not in self._dirty}
            versions = queries(self.uow).versions if only else None
            if versions is not None:
                versions.set_versions({a: only[a] for a in sorted(only)})
                bumped = {a: n for a, n in bumped.items() if a not in only}
            self._dirty.update(bumped)
        if self._dirty:
            self.uow.accounts.update_many([self._accounts[a] for a in sorted(self._dirty)])
            self._dirty.clear()

    # -- events -------------------------------------------------------------

    def emit(self, account_id: str, event_type: type[E], **fields: Any) -> None:
        """Number an event for ``account_id`` and keep it for after the commit.

        The sequence advances even when no handler listens, so numbers stay
        gap-free whoever subscribes later; the event object itself is only
        built when someone wants it.
        """
        sequence = self._versions.get(account_id)
        if sequence is None:
            sequence = self.account(account_id).version
        sequence += 1
        self._versions[account_id] = sequence
        if self._wants(event_type):
            self.events.append(
                event_type(
                    event_id=self.ids.new("evt"),
                    occurred_at=self.now,
                    aggregate_id=account_id,
                    sequence=sequence,
                    **fields,
                )
            )

    # -- savepoints ---------------------------------------------------------

    def mark(self) -> _Mark:
        """Return what :meth:`restore` needs to undo work done after this point."""
        return _Mark(
            events=len(self.events),
            accounts=dict(self._accounts),
            dirty=set(self._dirty),
            locked=set(self._locked),
            versions=dict(self._versions),
        )

    def restore(self, mark: _Mark) -> None:
        """Forget events and account changes made after ``mark``."""
        del self.events[mark.events :]
        self._versions = mark.versions
        accounts, dirty, locked = mark.accounts, mark.dirty, mark.locked
        # PostgreSQL releases row locks taken inside a rolled-back savepoint,
        # so accounts loaded after the mark must be loaded (and locked) again.
        self._accounts, self._dirty, self._locked = accounts, dirty, locked
