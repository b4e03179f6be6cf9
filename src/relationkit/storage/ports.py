"""The storage port: narrow repositories, a unit of work, capabilities.

A backend is any object meeting :class:`Storage`. The services only call what
is declared here; everything a backend may do better (row locks, aggregate
queries in the database) is declared in :class:`Capabilities`.

Rules every backend follows (the contract suite in :mod:`relationkit.testing`
checks them):

- ``Storage.transaction(write=...)`` yields a :class:`UnitOfWork`; leaving the
  block normally commits, an exception rolls everything back.
- Write transactions of one store are serialisable with respect to each other
  for the same account: ``accounts.get(id, for_update=True)`` blocks other
  writers of that account until commit (a lock, or a whole-store write lock).
- Inserting a row that breaks a uniqueness rule (order id, refund id, email,
  external id, idempotency key) raises :class:`DuplicateKey`; a lock time-out,
  deadlock or serialisation failure raises :class:`TransientStorageError`.
  Both leave the transaction to be rolled back; the kit retries it.
- Any other driver error is raised as :class:`~relationkit.errors.StorageError`
  with the driver error as ``__cause__``.
- Lists come back in a stable order: by creation (id) unless stated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

import attrs
import pendulum

from relationkit.domain.customers import Account, Customer
from relationkit.domain.interactions import Interaction
from relationkit.domain.ledger import LedgerEntry
from relationkit.domain.lifecycle import StageChange
from relationkit.domain.purchases import Purchase, Refund
from relationkit.errors import StorageError
from relationkit.money import Money

__all__ = [
    "AccountRepository",
    "Capabilities",
    "CustomerRepository",
    "DuplicateKey",
    "IdempotencyRecord",
    "IdempotencyRepository",
    "InteractionRepository",
    "LedgerRepository",
    "PurchaseRepository",
    "SpendRow",
    "StageRepository",
    "Storage",
    "TransientStorageError",
    "UnitOfWork",
]


class DuplicateKey(StorageError):
    """A uniqueness rule was broken; ``constraint`` names which one.

    ``constraint`` is one of ``"order_id"``, ``"refund_id"``, ``"email"``,
    ``"external_id"``, ``"idempotency_key"``, or another name for a rule a
    backend adds.
    """

    def __init__(self, constraint: str) -> None:
        self.constraint = constraint
        super().__init__(f"duplicate {constraint}")


class TransientStorageError(StorageError):
    """A failure that a retry of the whole transaction may cure (busy, deadlock)."""


@attrs.frozen(kw_only=True)
class Capabilities:
    """What a backend can do beyond the minimum.

    Attributes:
        row_locks: ``for_update`` locks single rows (else the whole store
            is locked for writing, as on SQLite and memory).
        multi_process: several processes may open the same store at once.
        aggregate_pushdown: aggregate queries run in the database.
        savepoints: :meth:`UnitOfWork.savepoint` is supported (required).
    """

    row_locks: bool = False
    multi_process: bool = False
    aggregate_pushdown: bool = False
    savepoints: bool = True


@attrs.frozen(kw_only=True)
class IdempotencyRecord:
    """A stored idempotent request: its key, a hash of its payload, its result."""

    scope: str
    key: str
    payload_hash: str
    result: str
    created_at: pendulum.DateTime


@attrs.frozen(kw_only=True)
class SpendRow:
    """An account's purchase totals in one currency, net of refunds."""

    account_id: str
    currency: str
    net_minor: int
    orders: int

    @property
    def net(self) -> Money:
        """The net spend as Money."""
        return Money.from_minor(self.net_minor, self.currency)


class AccountRepository(Protocol):
    """Accounts."""

    def add_many(self, accounts: Sequence[Account]) -> None:
        """Insert new accounts."""
        ...

    def get(self, account_id: str, *, for_update: bool = False) -> Account | None:
        """Return one account; with ``for_update``, lock it until commit."""
        ...

    def get_many(
        self, account_ids: Sequence[str], *, for_update: bool = False
    ) -> dict[str, Account]:
        """Return the accounts that exist among ``account_ids``, by id."""
        ...

    def update_many(self, accounts: Sequence[Account]) -> None:
        """Store new values of ``name``, ``stage``, ``stage_since``, ``version``, ``tier``."""
        ...

    def ids(self, *, after: str | None = None, limit: int = 1000) -> list[str]:
        """Return account ids in id order, after ``after``, at most ``limit``."""
        ...

    def count_by_stage(self) -> dict[str, int]:
        """Return how many accounts are in each stage (stages with none left out)."""
        ...


class CustomerRepository(Protocol):
    """Customers (people)."""

    def add_many(self, customers: Sequence[Customer]) -> None:
        """Insert new customers; duplicate email or external id raise DuplicateKey."""
        ...

    def get(self, customer_id: str) -> Customer | None:
        """Return one customer."""
        ...

    def get_many(self, customer_ids: Sequence[str]) -> dict[str, Customer]:
        """Return the customers that exist among ``customer_ids``, by id."""
        ...

    def by_email(self, email_key: str) -> Customer | None:
        """Return the customer whose lower-cased email is ``email_key``."""
        ...

    def by_external_ids(self, external_ids: Sequence[str]) -> dict[str, Customer]:
        """Return the customers with these external ids, by external id."""
        ...

    def update(self, customer: Customer) -> None:
        """Store a customer's new field values."""
        ...

    def for_account(self, account_id: str) -> list[Customer]:
        """Return the customers of an account."""
        ...

    def count(self) -> int:
        """Return the number of customers."""
        ...


class StageRepository(Protocol):
    """Lifecycle history."""

    def add_many(self, changes: Sequence[StageChange]) -> None:
        """Append stage changes."""
        ...

    def for_account(self, account_id: str) -> list[StageChange]:
        """Return an account's stage changes, oldest first."""
        ...


class InteractionRepository(Protocol):
    """Interactions."""

    def add(self, interaction: Interaction) -> None:
        """Insert one interaction."""
        ...

    def for_account(self, account_id: str) -> list[Interaction]:
        """Return an account's interactions, in ``occurred_at`` then id order."""
        ...


class PurchaseRepository(Protocol):
    """Purchases, their lines and refunds."""

    def add_many(self, purchases: Sequence[Purchase]) -> None:
        """Insert new purchases with their lines (a duplicate order id: DuplicateKey)."""
        ...

    def get_many(self, order_ids: Sequence[str]) -> dict[str, Purchase]:
        """Return the purchases with these order ids, with lines and refunds."""
        ...

    def add_refund(self, refund: Refund) -> None:
        """Insert a refund (a duplicate refund id: DuplicateKey)."""
        ...

    def get_refund(self, refund_id: str) -> Refund | None:
        """Return a refund by its id."""
        ...

    def for_account(self, account_id: str) -> list[Purchase]:
        """Return an account's purchases, in ``occurred_at`` then id order."""
        ...

    def counts(self, account_ids: Sequence[str]) -> dict[str, int]:
        """Return how many purchases each of these accounts has (0 included)."""
        ...

    def spend(self, *, currency: str, limit: int) -> list[SpendRow]:
        """Return the accounts with the highest net spend in ``currency``.

        Ordered by net spend descending, then account id.
        """
        ...

    def count(self) -> int:
        """Return the number of purchases."""
        ...


class LedgerRepository(Protocol):
    """The append-only loyalty ledger."""

    def add_many(self, entries: Sequence[LedgerEntry]) -> None:
        """Append entries (with their allocations). Entries are never changed."""
        ...

    def for_account(self, account_id: str) -> list[LedgerEntry]:
        """Return an account's entries in id order."""
        ...

    def for_accounts(self, account_ids: Sequence[str]) -> dict[str, list[LedgerEntry]]:
        """Return the entries of several accounts (each list in id order; [] if none)."""
        ...

    def due_accounts(
        self, as_of: pendulum.DateTime, *, after: str | None = None, limit: int = 1000
    ) -> list[str]:
        """Return accounts that may have pending points to activate or lots to expire.

        Ids come in id order, after ``after``. An account is due when it has
        a ``pending`` entry with ``available_at`` <= ``as_of``, or a credit
        with ``expires_at`` <= ``as_of``, that no later entry has settled.
        A backend may over-report (the service re-checks each account) but
        never under-report.
        """
        ...

    def account_ids(self, *, after: str | None = None, limit: int = 1000) -> list[str]:
        """Return ids of accounts that have ledger entries, in id order."""
        ...


class IdempotencyRepository(Protocol):
    """Stored results of idempotent requests."""

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        """Return the record for ``(scope, key)``."""
        ...

    def add(self, record: IdempotencyRecord) -> None:
        """Insert a record (an existing ``(scope, key)``: DuplicateKey)."""
        ...


class UnitOfWork(Protocol):
    """One transaction's view of the store."""

    @property
    def accounts(self) -> AccountRepository:
        """The accounts repository of this transaction."""
        ...

    @property
    def customers(self) -> CustomerRepository:
        """The customers repository of this transaction."""
        ...

    @property
    def stages(self) -> StageRepository:
        """The stages repository of this transaction."""
        ...

    @property
    def interactions(self) -> InteractionRepository:
        """The interactions repository of this transaction."""
        ...

    @property
    def purchases(self) -> PurchaseRepository:
        """The purchases repository of this transaction."""
        ...

    @property
    def ledger(self) -> LedgerRepository:
        """The ledger repository of this transaction."""
        ...

    @property
    def idempotency(self) -> IdempotencyRepository:
        """The idempotency repository of this transaction."""
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """Return a context in which an exception undoes only what it wrote."""
        ...


@runtime_checkable
class Storage(Protocol):
    """A storage backend: what ``rk.open(storage=...)`` accepts."""

    capabilities: Capabilities

    def transaction(self, *, write: bool) -> AbstractContextManager[UnitOfWork]:
        """Open a transaction; commit on normal exit, roll back on exception."""
        ...

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the transaction that just ended is durable.

        A store that commits its own transactions calls it at once. A store
        joined to a transaction its host owns (a host ``Connection`` already
        in a transaction) calls it when the host commits, and never if the
        host rolls back: the kit dispatches events through this, so hooks
        never see work that did not commit.
        """
        ...

    def close(self) -> None:
        """Release connections and files. Idempotent."""
        ...


def chunked(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """Yield slices of ``items`` of at most ``size`` (for bounded IN lists)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
