"""Optional query protocols: what a database does better than a loop.

Each protocol is ``runtime_checkable`` and is looked for on the
:class:`~relationkit.storage.ports.core.UnitOfWork`. A backend that implements
one answers it itself (one SQL query, an index); for a backend that does not,
:mod:`relationkit.storage.fallback` answers it from the core port alone. The
answers must be equal; ``relationkit.testing``'s query tests compare both on
every backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

import attrs
import pendulum

from relationkit.domain.customers import Account, AccountKind, Customer
from relationkit.domain.ledger import LedgerEntry
from relationkit.money import Money

__all__ = [
    "AccountQuery",
    "BalanceRanking",
    "CustomerQuery",
    "Directory",
    "LedgerScans",
    "PurchaseCounts",
    "RecordCounts",
    "Savepoints",
    "SpendRanking",
    "SpendRow",
    "StageCounts",
    "TierMeasures",
]


@attrs.frozen(kw_only=True)
class SpendRow:
    """An account's purchase totals in one currency, net of refunds.

    Attributes:
        account_id: the account.
        currency: the ISO 4217 code the totals are in.
        net_minor: what the account spent, net of refunds, in minor units
            (cents); :attr:`net` gives it as Money.
        orders: how many purchases in that currency.
    """

    account_id: str
    currency: str
    net_minor: int
    orders: int

    @property
    def net(self) -> Money:
        """The net spend as Money."""
        return Money.from_minor(self.net_minor, self.currency)


@runtime_checkable
class Savepoints(Protocol):
    """Nested transactions.

    Without it, a failure inside a nested ``kit.transaction()`` (or inside
    one operation of a block) cannot be undone on its own: the kit marks the
    whole outer transaction to roll back and raises
    :class:`~relationkit.errors.StorageError` at its end.
    """

    def savepoint(self) -> AbstractContextManager[None]:
        """Return a context in which an exception undoes only what it wrote."""
        ...


@runtime_checkable
class StageCounts(Protocol):
    """How many accounts sit in each stage."""

    def count_by_stage(self) -> dict[str, int]:
        """Return the number of accounts per stage (stages with none left out)."""
        ...


@runtime_checkable
class RecordCounts(Protocol):
    """Store-wide counts."""

    def count_customers(self) -> int:
        """Return the number of customers."""
        ...

    def count_purchases(self) -> int:
        """Return the number of purchases."""
        ...


@runtime_checkable
class PurchaseCounts(Protocol):
    """Purchases per account."""

    def purchase_counts(
        self, account_ids: Sequence[str], *, at_most: int | None = None
    ) -> dict[str, int]:
        """Return how many purchases each of these accounts has (0 included).

        With ``at_most``, each count is capped there (``min(count, at_most)``):
        enough to tell a first purchase, without counting a long history.
        """
        ...


@runtime_checkable
class SpendRanking(Protocol):
    """Accounts ranked by net spend."""

    def top_spend(self, *, currency: str, limit: int) -> list[SpendRow]:
        """Return the accounts with the highest net spend in ``currency``.

        Net spend is purchase totals minus refunds, in minor units. Ordered by
        net spend descending, then account id; accounts with no purchase in
        ``currency`` are left out; at most ``limit`` rows.
        """
        ...


@runtime_checkable
class LedgerScans(Protocol):
    """Whole-store scans of the loyalty ledger."""

    def ledger_account_ids(self, *, after: str | None = None, limit: int = 1000) -> list[str]:
        """Return ids of accounts that have ledger entries, in id order, after ``after``."""
        ...

    def ledgers(self, account_ids: Sequence[str]) -> dict[str, list[LedgerEntry]]:
        """Return the entries of several accounts (each list in ``seq`` order; [] if none)."""
        ...

    def due_accounts(
        self, as_of: pendulum.DateTime, *, after: str | None = None, limit: int = 1000
    ) -> list[str]:
        """Return accounts that may have pending points to activate or lots to expire.

        Ids come in id order, after ``after``, at most ``limit``. An account is
        due when its stored state's ``next_due`` is at or before ``as_of``.
        A backend may over-report (the service re-checks each account) but
        never under-report.
        """
        ...


@runtime_checkable
class TierMeasures(Protocol):
    """What tiers qualify on, summed over a window of time."""

    def points_earned_between(
        self, account_id: str, since: pendulum.DateTime, until: pendulum.DateTime
    ) -> int:
        """Return the points an account earned with ``since < at <= until``.

        Earn and activate entries count, and negative reverse entries (a
        refund taking earned points back) count against them.
        """
        ...

    def net_spend_between(
        self,
        account_id: str,
        currency: str,
        since: pendulum.DateTime,
        until: pendulum.DateTime,
    ) -> int:
        """Return an account's purchase totals minus refunds, in minor units.

        Purchases in ``currency`` with ``since < occurred_at <= until`` count,
        each net of all its refunds.
        """
        ...


@runtime_checkable
class BalanceRanking(Protocol):
    """Accounts ranked by their stored loyalty balance."""

    def top_balances(
        self, *, limit: int, after: tuple[int, str] | None = None
    ) -> list[tuple[str, int]]:
        """Return ``(account_id, balance)`` by balance descending, then account id.

        ``after`` is the ``(balance, account_id)`` of the last row of the
        previous page. Accounts without a state row are left out.
        """
        ...


@attrs.frozen(kw_only=True)
class CustomerQuery:
    """What a customer search matches; every field given must match (None: any).

    Attributes:
        email_prefix: the lower-cased email starts with this (already lower-cased).
        name_prefix: the lower-cased name starts with this (already lower-cased).
        external_id: the external id equals this.
        stage: the customer's account is in this stage.
        tier: the customer's account holds this tier.
        attributes: each key's top-level attribute equals its value (a str,
            an int, or a bool that matches only a JSON boolean).
        created_after: ``created_at`` is at or after this.
        created_before: ``created_at`` is before this.
        updated_after: ``updated_at`` is at or after this.
        updated_before: ``updated_at`` is before this.
    """

    email_prefix: str | None = None
    name_prefix: str | None = None
    external_id: str | None = None
    stage: str | None = None
    tier: str | None = None
    attributes: dict[str, str | int | bool] | None = None
    created_after: pendulum.DateTime | None = None
    created_before: pendulum.DateTime | None = None
    updated_after: pendulum.DateTime | None = None
    updated_before: pendulum.DateTime | None = None


@attrs.frozen(kw_only=True)
class AccountQuery:
    """What an account search matches; every field given must match (None: any).

    Attributes:
        name_prefix: the lower-cased name starts with this (already lower-cased).
        kind: B2C or B2B.
        stage: the account's stage.
        tier: the account's tier.
        external_id: the account's external id equals this.
        attributes: as in :class:`CustomerQuery`, on the account's attributes.
        created_after: ``created_at`` is at or after this.
        created_before: ``created_at`` is before this.
    """

    name_prefix: str | None = None
    kind: AccountKind | None = None
    stage: str | None = None
    tier: str | None = None
    external_id: str | None = None
    attributes: dict[str, str | int | bool] | None = None
    created_after: pendulum.DateTime | None = None
    created_before: pendulum.DateTime | None = None


def customer_matches(query: CustomerQuery, customer: Customer, account: Account) -> bool:
    """Return whether ``customer`` (of ``account``) matches ``query``: the reference rule."""
    email = (customer.email or "").strip().lower()
    name = (customer.name or "").lower()
    return (
        (
            query.email_prefix is None
            or (customer.email is not None and email.startswith(query.email_prefix))
        )
        and (
            query.name_prefix is None
            or (customer.name is not None and name.startswith(query.name_prefix))
        )
        and (query.external_id is None or customer.external_id == query.external_id)
        and (query.stage is None or account.stage == query.stage)
        and (query.tier is None or account.tier == query.tier)
        and attributes_match(query.attributes, customer.attributes)
        and _between(customer.created_at, query.created_after, query.created_before)
        and _between(customer.updated_at, query.updated_after, query.updated_before)
    )


def attributes_match(wanted: dict[str, str | int | bool] | None, held: dict[str, Any]) -> bool:
    """Return whether ``held`` has every key of ``wanted`` with an equal value.

    The reference rule: a bool matches only a bool; an int matches an equal
    int or float (JSON has one number type), never a bool; a str a str.
    """
    if not wanted:
        return True
    for key, value in wanted.items():
        if key not in held:
            return False
        found = held[key]
        if isinstance(value, bool) or isinstance(found, bool):
            if not (isinstance(value, bool) and isinstance(found, bool) and found is value):
                return False
        elif isinstance(value, int):
            if not isinstance(found, int | float) or found != value:
                return False
        elif not isinstance(found, str) or found != value:
            return False
    return True


def _between(
    at: pendulum.DateTime, after: pendulum.DateTime | None, before: pendulum.DateTime | None
) -> bool:
    return (after is None or at >= after) and (before is None or at < before)


def account_matches(query: AccountQuery, account: Account) -> bool:
    """Return whether ``account`` matches ``query``: the reference rule."""
    return (
        (query.name_prefix is None or account.name.lower().startswith(query.name_prefix))
        and (query.kind is None or account.kind is query.kind)
        and (query.stage is None or account.stage == query.stage)
        and (query.tier is None or account.tier == query.tier)
        and (query.external_id is None or account.external_id == query.external_id)
        and attributes_match(query.attributes, account.attributes)
        and _between(account.created_at, query.created_after, query.created_before)
    )


@runtime_checkable
class Directory(Protocol):
    """Customers and accounts listed and searched, a page at a time, in id order."""

    def search_customers(
        self, query: CustomerQuery, *, after: str | None = None, limit: int = 100
    ) -> list[Customer]:
        """Return the customers matching ``query`` with ids after ``after``, in id order."""
        ...

    def search_accounts(
        self, query: AccountQuery, *, after: str | None = None, limit: int = 100
    ) -> list[Account]:
        """Return the accounts matching ``query`` with ids after ``after``, in id order."""
        ...
