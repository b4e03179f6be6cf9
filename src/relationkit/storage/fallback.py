"""Reference answers to the optional queries, built on the core port alone.

The services never call a query protocol directly: they call
:func:`queries`, which hands each question to the unit of work when it
implements the protocol (one SQL query on the SQL backend) and otherwise
answers it here, page by page over the core repositories. A third-party
adapter therefore works with the core port only, and gets faster by adding
protocols one at a time; the contract suite proves both answers equal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

import pendulum

from relationkit.domain.customers import Account, Customer
from relationkit.domain.ledger import EntryKind, LedgerEntry
from relationkit.storage.ports.analytics import PurchaseAnalytics
from relationkit.storage.ports.core import UnitOfWork
from relationkit.storage.ports.moves import RecordMoves
from relationkit.storage.ports.owners import OwnerLookups
from relationkit.storage.ports.purchase_reads import PurchaseReads
from relationkit.storage.ports.queries import (
    AccountQuery,
    BalanceRanking,
    CustomerQuery,
    Directory,
    LedgerScans,
    PurchaseCounts,
    RecordCounts,
    SpendRanking,
    SpendRow,
    StageCounts,
    TierMeasures,
    account_matches,
    customer_matches,
)
from relationkit.storage.ports.versions import AccountVersions
from relationkit.storage.reference.analytics import ReferenceAnalytics
from relationkit.storage.reference.owners import ReferenceOwners
from relationkit.storage.reference.purchase_reads import ReferencePurchaseReads

__all__ = ["Queries", "queries"]

_PAGE = 500


def _account_ids(uow: UnitOfWork) -> Iterator[str]:
    """Every account id in id order, fetched in bounded pages."""
    after: str | None = None
    while True:
        page = uow.accounts.ids(after=after, limit=_PAGE)
        yield from page
        if len(page) < _PAGE:
            return
        after = page[-1]


def _pages(uow: UnitOfWork) -> Iterator[list[str]]:
    page: list[str] = []
    for account_id in _account_ids(uow):
        page.append(account_id)
        if len(page) == _PAGE:
            yield page
            page = []
    if page:
        yield page


def count_by_stage(uow: UnitOfWork) -> dict[str, int]:
    """Reference :meth:`StageCounts.count_by_stage`."""
    counts: Counter[str] = Counter()
    for page in _pages(uow):
        counts.update(a.stage for a in uow.accounts.get_many(page).values())
    return dict(counts)


def count_customers(uow: UnitOfWork) -> int:
    """Reference :meth:`RecordCounts.count_customers`."""
    return sum(len(uow.customers.for_account(a)) for a in _account_ids(uow))


def count_purchases(uow: UnitOfWork) -> int:
    """Reference :meth:`RecordCounts.count_purchases`."""
    return sum(len(uow.purchases.for_account(a)) for a in _account_ids(uow))


def purchase_counts(
    uow: UnitOfWork, account_ids: Sequence[str], *, at_most: int | None = None
) -> dict[str, int]:
    """Reference :meth:`PurchaseCounts.purchase_counts`."""
    return {a: len(uow.purchases.for_account(a, limit=at_most)) for a in account_ids}


def top_spend(uow: UnitOfWork, *, currency: str, limit: int) -> list[SpendRow]:
    """Reference :meth:`SpendRanking.top_spend`."""
    rows: list[SpendRow] = []
    for account_id in _account_ids(uow):
        net = orders = 0
        for purchase in uow.purchases.for_account(account_id):
            if purchase.total.currency != currency:
                continue
            orders += 1
            net += purchase.total.minor - sum(r.amount.minor for r in purchase.refunds)
        if orders:
            rows.append(
                SpendRow(account_id=account_id, currency=currency, net_minor=net, orders=orders)
            )
    rows.sort(key=lambda row: (-row.net_minor, row.account_id))
    return rows[:limit]


def ledger_account_ids(
    uow: UnitOfWork, *, after: str | None = None, limit: int = 1000
) -> list[str]:
    """Reference :meth:`LedgerScans.ledger_account_ids`."""
    found: list[str] = []
    for account_id in _account_ids(uow):
        if after is not None and account_id <= after:
            continue
        if uow.ledger.for_account(account_id):
            found.append(account_id)
            if len(found) == limit:
                break
    return found


def ledgers(uow: UnitOfWork, account_ids: Sequence[str]) -> dict[str, list[LedgerEntry]]:
    """Reference :meth:`LedgerScans.ledgers`."""
    return {account_id: uow.ledger.for_account(account_id) for account_id in account_ids}


def due_accounts(
    uow: UnitOfWork, as_of: pendulum.DateTime, *, after: str | None = None, limit: int = 1000
) -> list[str]:
    """Reference :meth:`LedgerScans.due_accounts`: the stored states' ``next_due``."""
    found: list[str] = []
    for page in _pages(uow):
        states = uow.points.get_many(page)
        for account_id in page:
            if after is not None and account_id <= after:
                continue
            state = states.get(account_id)
            if state is not None and state.next_due is not None and state.next_due <= as_of:
                found.append(account_id)
                if len(found) == limit:
                    return found
    return found


_EARNED = (EntryKind.EARN, EntryKind.ACTIVATE)


def points_earned_between(
    uow: UnitOfWork, account_id: str, since: pendulum.DateTime, until: pendulum.DateTime
) -> int:
    """Reference :meth:`TierMeasures.points_earned_between` (reads the whole ledger)."""
    total = 0
    for e in uow.ledger.for_account(account_id):
        if since < e.at <= until and (
            e.kind in _EARNED or (e.kind is EntryKind.REVERSE and e.points < 0)
        ):
            total += e.points
    return total


def net_spend_between(
    uow: UnitOfWork,
    account_id: str,
    currency: str,
    since: pendulum.DateTime,
    until: pendulum.DateTime,
) -> int:
    """Reference :meth:`TierMeasures.net_spend_between` (reads every purchase)."""
    return sum(
        p.total.minor - p.refunded.minor
        for p in uow.purchases.for_account(account_id)
        if p.total.currency == currency and since < p.occurred_at <= until
    )


def top_balances(
    uow: UnitOfWork, *, limit: int, after: tuple[int, str] | None = None
) -> list[tuple[str, int]]:
    """Reference :meth:`BalanceRanking.top_balances` (reads every state)."""
    rows: list[tuple[str, int]] = []
    for page in _pages(uow):
        rows += [(a, s.balance) for a, s in uow.points.get_many(page).items()]
    rows.sort(key=lambda row: (-row[1], row[0]))
    if after is not None:
        balance, account_id = after
        rows = [r for r in rows if (-r[1], r[0]) > (-balance, account_id)]
    return rows[:limit]


def search_customers(
    uow: UnitOfWork, query: CustomerQuery, *, after: str | None = None, limit: int = 100
) -> list[Customer]:
    """Reference :meth:`Directory.search_customers` (reads every customer)."""
    found: list[Customer] = []
    for page in _pages(uow):
        accounts = uow.accounts.get_many(page)
        for account_id in page:
            for customer in uow.customers.for_account(account_id):
                if (after is None or customer.id > after) and customer_matches(
                    query, customer, accounts[account_id]
                ):
                    found.append(customer)
    found.sort(key=lambda c: c.id)
    return found[:limit]


def search_accounts(
    uow: UnitOfWork, query: AccountQuery, *, after: str | None = None, limit: int = 100
) -> list[Account]:
    """Reference :meth:`Directory.search_accounts` (reads accounts in id order)."""
    found: list[Account] = []
    for page in _pages(uow):
        accounts = uow.accounts.get_many(page)
        for account_id in page:
            if after is not None and account_id <= after:
                continue
            if account_matches(query, accounts[account_id]):
                found.append(accounts[account_id])
                if len(found) == limit:
                    return found
    return found


class Queries:
    """Every optional query, answered by the unit of work where it can."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    @property
    def analytics(self) -> PurchaseAnalytics:
        """See :mod:`~relationkit.storage.ports.analytics` (its reference without one)."""
        uow = self._uow
        return uow if isinstance(uow, PurchaseAnalytics) else ReferenceAnalytics(uow)

    @property
    def purchase_reads(self) -> PurchaseReads:
        """See :mod:`~relationkit.storage.ports.purchase_reads` (its reference without one)."""
        uow = self._uow
        return uow if isinstance(uow, PurchaseReads) else ReferencePurchaseReads(uow)

    @property
    def owners(self) -> OwnerLookups:
        """See :mod:`~relationkit.storage.ports.owners` (its reference without one)."""
        uow = self._uow
        return uow if isinstance(uow, OwnerLookups) else ReferenceOwners(uow)

    @property
    def versions(self) -> AccountVersions | None:
        """See :mod:`~relationkit.storage.ports.versions`; None: write whole accounts."""
        uow = self._uow
        return uow if isinstance(uow, AccountVersions) else None

    @property
    def moves(self) -> RecordMoves | None:
        """See :mod:`~relationkit.storage.ports.moves`; None when the store cannot move records."""
        uow = self._uow
        return uow if isinstance(uow, RecordMoves) else None

    def count_by_stage(self) -> dict[str, int]:
        """See :class:`~relationkit.storage.ports.queries.StageCounts`."""
        uow = self._uow
        if isinstance(uow, StageCounts):
            return uow.count_by_stage()
        return count_by_stage(uow)

    def count_customers(self) -> int:
        """See :class:`~relationkit.storage.ports.queries.RecordCounts`."""
        uow = self._uow
        if isinstance(uow, RecordCounts):
            return uow.count_customers()
        return count_customers(uow)

    def count_purchases(self) -> int:
        """See :class:`~relationkit.storage.ports.queries.RecordCounts`."""
        uow = self._uow
        if isinstance(uow, RecordCounts):
            return uow.count_purchases()
        return count_purchases(uow)

    def purchase_counts(
        self, account_ids: Sequence[str], *, at_most: int | None = None
    ) -> dict[str, int]:
        """See :class:`~relationkit.storage.ports.queries.PurchaseCounts`."""
        uow = self._uow
        if isinstance(uow, PurchaseCounts):
            return uow.purchase_counts(account_ids, at_most=at_most)
        return purchase_counts(uow, account_ids, at_most=at_most)

    def top_spend(self, *, currency: str, limit: int) -> list[SpendRow]:
        """See :class:`~relationkit.storage.ports.queries.SpendRanking`."""
        uow = self._uow
        if isinstance(uow, SpendRanking):
            return uow.top_spend(currency=currency, limit=limit)
        return top_spend(uow, currency=currency, limit=limit)

    def ledger_account_ids(self, *, after: str | None = None, limit: int = 1000) -> list[str]:
        """See :class:`~relationkit.storage.ports.queries.LedgerScans`."""
        uow = self._uow
        if isinstance(uow, LedgerScans):
            return uow.ledger_account_ids(after=after, limit=limit)
        return ledger_account_ids(uow, after=after, limit=limit)

    def ledgers(self, account_ids: Sequence[str]) -> dict[str, list[LedgerEntry]]:
        """See :class:`~relationkit.storage.ports.queries.LedgerScans`."""
        uow = self._uow
        if isinstance(uow, LedgerScans):
            return uow.ledgers(account_ids)
        return ledgers(uow, account_ids)

    def due_accounts(
        self, as_of: pendulum.DateTime, *, after: str | None = None, limit: int = 1000
    ) -> list[str]:
        """See :class:`~relationkit.storage.ports.queries.LedgerScans`."""
        uow = self._uow
        if isinstance(uow, LedgerScans):
            return uow.due_accounts(as_of, after=after, limit=limit)
        return due_accounts(uow, as_of, after=after, limit=limit)

    def points_earned_between(
        self, account_id: str, since: pendulum.DateTime, until: pendulum.DateTime
    ) -> int:
        """See :class:`~relationkit.storage.ports.queries.TierMeasures`."""
        uow = self._uow
        if isinstance(uow, TierMeasures):
            return uow.points_earned_between(account_id, since, until)
        return points_earned_between(uow, account_id, since, until)

    def net_spend_between(
        self,
        account_id: str,
        currency: str,
        since: pendulum.DateTime,
        until: pendulum.DateTime,
    ) -> int:
        """See :class:`~relationkit.storage.ports.queries.TierMeasures`."""
        uow = self._uow
        if isinstance(uow, TierMeasures):
            return uow.net_spend_between(account_id, currency, since, until)
        return net_spend_between(uow, account_id, currency, since, until)

    def top_balances(
        self, *, limit: int, after: tuple[int, str] | None = None
    ) -> list[tuple[str, int]]:
        """See :class:`~relationkit.storage.ports.queries.BalanceRanking`."""
        uow = self._uow
        if isinstance(uow, BalanceRanking):
            return uow.top_balances(limit=limit, after=after)
        return top_balances(uow, limit=limit, after=after)

    def search_customers(
        self, query: CustomerQuery, *, after: str | None = None, limit: int = 100
    ) -> list[Customer]:
        """See :class:`~relationkit.storage.ports.queries.Directory`."""
        uow = self._uow
        if isinstance(uow, Directory):
            return uow.search_customers(query, after=after, limit=limit)
        return search_customers(uow, query, after=after, limit=limit)

    def search_accounts(
        self, query: AccountQuery, *, after: str | None = None, limit: int = 100
    ) -> list[Account]:
        """See :class:`~relationkit.storage.ports.queries.Directory`."""
        uow = self._uow
        if isinstance(uow, Directory):
            return uow.search_accounts(query, after=after, limit=limit)
        return search_accounts(uow, query, after=after, limit=limit)


def queries(uow: UnitOfWork) -> Queries:
    """Return the optional queries for ``uow``: its own where it has them."""
    return Queries(uow)
