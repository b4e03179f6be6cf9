"""The core storage port: records per aggregate and the unit of work.

A backend is any object meeting :class:`Storage`. This module is all it must
implement; :mod:`relationkit.storage.ports.queries` lists what it may add.

Rules every backend follows (``relationkit.testing``'s port tests check them):

- ``Storage.transaction(write=...)`` yields a :class:`UnitOfWork`; leaving the
  block normally commits, an exception rolls everything back. A read
  transaction sees committed data only.
- Write transactions of one store are serialisable with respect to each other
  for the same account: ``accounts.get_many(ids, for_update=True)`` blocks
  other writers of those accounts until commit (a row lock, or a whole-store
  write lock).
- Inserting a row that breaks a uniqueness rule raises
  :class:`~relationkit.errors.DuplicateKey` naming the rule; inserting a row
  whose parent is missing raises
  :class:`~relationkit.errors.DanglingReference` naming the reference;
  updating a record that does not exist raises
  :class:`~relationkit.errors.NotFound`. A lock time-out, deadlock,
  serialisation failure or dropped connection raises
  :class:`~relationkit.errors.TransientStorageError`. Each leaves the
  transaction to be rolled back.
- Any other failure is a :class:`~relationkit.errors.StorageError` (driver
  errors as its ``__cause__``, with SQL parameters hidden).
- Values come back equal to what was stored (datetimes aware, in UTC, to the
  microsecond); the caller's objects are never shared with the store.
- Lists come back in the stated order: by id (creation) unless stated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

import attrs
import pendulum

from relationkit.domain.customers import Account, Customer
from relationkit.domain.interactions import Interaction
from relationkit.domain.lifecycle import StageChange
from relationkit.domain.purchases import Purchase, Refund
from relationkit.storage.ports.loyalty import LedgerRepository, PointsRepository

__all__ = [
    "AccountRepository",
    "CustomerRepository",
    "IdempotencyRecord",
    "IdempotencyRepository",
    "InteractionRepository",
    "LedgerRepository",
    "PointsRepository",
    "PurchaseRepository",
    "StageRepository",
    "Storage",
    "UnitOfWork",
    "chunked",
]


@attrs.frozen(kw_only=True)
class IdempotencyRecord:
    """A stored idempotent request: its key, a hash of its payload, its result.

    Attributes:
        scope: the kind of request (``"loyalty"``, ``"referral"``, ...); keys
            are unique per scope.
        key: the host's idempotency key (or the id the scope keys on).
        payload_hash: a hash of the request's payload; a retry with the same
            key and another payload is a conflict.
        result: what the first request produced, serialized by the service.
        created_at: when it was stored, from the kit's clock.
    """

    scope: str
    key: str
    payload_hash: str
    result: str
    created_at: pendulum.DateTime


class AccountRepository(Protocol):
    """Accounts."""

    def add_many(self, accounts: Sequence[Account]) -> None:
        """Insert new accounts.

        Raises:
            DuplicateKey: ``"account_id"`` for an id already stored, then
                ``"account_external_id"`` for an external id another account has.
        """
        ...

    def get_many(
        self, account_ids: Sequence[str], *, for_update: bool = False
    ) -> dict[str, Account]:
        """Return the accounts that exist among ``account_ids``, by id.

        With ``for_update``, lock them until commit (see the module rules).
        Unknown ids are left out.
        """
        ...

    def update_many(self, accounts: Sequence[Account]) -> None:
        """Store new values of every field but ``id``, ``kind`` and ``created_at``.

        Raises:
            NotFound: ``("account", id)`` for an account that is not stored.
            DuplicateKey: ``"account_external_id"`` taken by another account.
        """
        ...

    def by_external_ids(self, external_ids: Sequence[str]) -> dict[str, Account]:
        """Return the accounts with these external ids, by external id."""
        ...

    def ids(self, *, after: str | None = None, limit: int = 1000) -> list[str]:
        """Return account ids in id order, strictly after ``after``, at most ``limit``."""
        ...


class CustomerRepository(Protocol):
    """Customers (people)."""

    def add_many(self, customers: Sequence[Customer]) -> None:
        """Insert new customers.

        Raises:
            DuplicateKey: ``"customer_id"``, ``"email"`` (compared lower-cased)
                or ``"external_id"``.
            DanglingReference: ``"account_id"`` for an account not stored.
        """
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
        """Store a customer's new field values (all but ``id`` and ``created_at``).

        Raises:
            NotFound: ``("customer", id)`` for a customer that is not stored.
            DuplicateKey: ``"email"`` or ``"external_id"`` taken by another.
            DanglingReference: ``"account_id"`` for an account not stored.
        """
        ...

    def for_account(self, account_id: str) -> list[Customer]:
        """Return the customers of an account, in id order."""
        ...


class StageRepository(Protocol):
    """Lifecycle history (append-only)."""

    def add_many(self, changes: Sequence[StageChange]) -> None:
        """Append stage changes.

        Raises:
            DanglingReference: ``"account_id"``.
        """
        ...

    def for_account(self, account_id: str) -> list[StageChange]:
        """Return an account's stage changes in ``at`` then id order."""
        ...


class InteractionRepository(Protocol):
    """Interactions (append-only)."""

    def add(self, interaction: Interaction) -> None:
        """Insert one interaction.

        Raises:
            DuplicateKey: ``"interaction_id"``.
            DanglingReference: ``"account_id"``.
        """
        ...

    def for_account(
        self,
        account_id: str,
        *,
        after: tuple[pendulum.DateTime, str] | None = None,
        limit: int | None = None,
    ) -> list[Interaction]:
        """Return an account's interactions, in ``occurred_at`` then id order.

        ``after`` is the ``(occurred_at, id)`` of the last row of the previous
        page; ``limit`` caps the page (None: all that follow).
        """
        ...


class PurchaseRepository(Protocol):
    """Purchases, their lines and refunds."""

    def add_many(self, purchases: Sequence[Purchase]) -> None:
        """Insert new purchases with their lines (their ``refunds`` must be empty).

        Raises:
            DuplicateKey: ``"order_id"``.
            DanglingReference: ``"account_id"``.
        """
        ...

    def get_many(self, order_ids: Sequence[str]) -> dict[str, Purchase]:
        """Return the purchases with these order ids, with lines and refunds.

        Refunds come in ``occurred_at`` then refund id order.
        """
        ...

    def add_refund(self, refund: Refund) -> None:
        """Insert a refund.

        Raises:
            DuplicateKey: ``"refund_id"`` (refund ids are unique store-wide).
            DanglingReference: ``"order_id"`` for an order not stored.
        """
        ...

    def get_refund(self, refund_id: str) -> Refund | None:
        """Return a refund by its id."""
        ...

    def for_account(
        self,
        account_id: str,
        *,
        after: tuple[pendulum.DateTime, str] | None = None,
        limit: int | None = None,
    ) -> list[Purchase]:
        """Return an account's purchases (with refunds), in ``occurred_at`` then id order.

        ``after`` is the ``(occurred_at, id)`` of the last purchase of the
        previous page; ``limit`` caps the page (None: all that follow).
        """
        ...


class IdempotencyRepository(Protocol):
    """Stored results of idempotent requests."""

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        """Return the record for ``(scope, key)``."""
        ...

    def add(self, record: IdempotencyRecord) -> None:
        """Insert a record.

        Raises:
            DuplicateKey: ``"idempotency_key"`` for an existing ``(scope, key)``.
        """
        ...


class UnitOfWork(Protocol):
    """One transaction's view of the store.

    A unit of work may also implement any protocol of
    :mod:`relationkit.storage.ports.queries` (savepoints included); the
    services check with ``isinstance`` and fall back otherwise.
    """

    @property
    def accounts(self) -> AccountRepository:
        """The accounts of this transaction."""
        ...

    @property
    def customers(self) -> CustomerRepository:
        """The customers of this transaction."""
        ...

    @property
    def stages(self) -> StageRepository:
        """The stage history of this transaction."""
        ...

    @property
    def interactions(self) -> InteractionRepository:
        """The interactions of this transaction."""
        ...

    @property
    def purchases(self) -> PurchaseRepository:
        """The purchases of this transaction."""
        ...

    @property
    def ledger(self) -> LedgerRepository:
        """The loyalty ledger of this transaction."""
        ...

    @property
    def idempotency(self) -> IdempotencyRepository:
        """The idempotency records of this transaction."""
        ...

    @property
    def points(self) -> PointsRepository:
        """The loyalty state rows of this transaction."""
        ...


@runtime_checkable
class Storage(Protocol):
    """A storage backend: what ``rk.open(storage=...)`` accepts."""

    def transaction(self, *, write: bool) -> AbstractContextManager[UnitOfWork]:
        """Open a transaction; commit on normal exit, roll back on exception.

        Raises:
            StorageError: the store is closed or cannot be reached.
            TransientStorageError: the store is busy (the kit retries).
        """
        ...

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the transaction that just ended is durable.

        A store that commits its own transactions calls it at once. A store
        joined to a transaction its host owns calls it after the host's
        COMMIT succeeded, and never if the host rolls back (or rolls back a
        savepoint that held the work): the kit dispatches events through
        this, so hooks never see work that did not commit.
        """
        ...

    def close(self) -> None:
        """Release connections and files. Idempotent; later transactions fail."""
        ...


def chunked(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """Yield slices of ``items`` of at most ``size`` (for bounded IN lists)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
