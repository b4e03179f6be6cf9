"""One SQL transaction's view of the store: the core repositories and every query protocol."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import cached_property

import pendulum

from relationkit.domain.customers import Account, Customer
from relationkit.domain.ledger import LedgerEntry
from relationkit.domain.lifecycle import StageChange
from relationkit.domain.purchases import Purchase
from relationkit.storage.ports.analytics import RfmCuts, SummaryPage, SummaryWindow
from relationkit.storage.ports.moves import MovedRecords
from relationkit.storage.ports.queries import AccountQuery, CustomerQuery, SpendRow
from relationkit.storage.ports.timeline import TimedRefund
from relationkit.storage.sql.execution import Executor
from relationkit.storage.sql.queries.aggregates import Aggregates
from relationkit.storage.sql.queries.analytics import SqlAnalytics
from relationkit.storage.sql.queries.directory import Search
from relationkit.storage.sql.queries.person_records import PersonRecords
from relationkit.storage.sql.queries.rfm import SqlRfm
from relationkit.storage.sql.queries.statements import Statements
from relationkit.storage.sql.repositories.checkout import SqlCheckout
from relationkit.storage.sql.repositories.ledger import SqlLedger
from relationkit.storage.sql.repositories.people import SqlAccounts, SqlCustomers
from relationkit.storage.sql.repositories.points import SqlPoints
from relationkit.storage.sql.repositories.prefetch import PointsPrefetch, PrefetchFlag
from relationkit.storage.sql.repositories.purchases import SqlPurchases
from relationkit.storage.sql.repositories.records import SqlIdempotency, SqlInteractions, SqlStages
from relationkit.storage.sql.repositories.scores import SqlScores
from relationkit.storage.sql.schema.tables import Tables

__all__ = ["SqlUnitOfWork"]


class SqlUnitOfWork:
    """A :class:`~relationkit.storage.ports.UnitOfWork` in SQL.

    Besides the core repositories it implements every protocol of
    :mod:`relationkit.storage.ports.queries` in SQL: ``Savepoints``,
    ``StageCounts``, ``RecordCounts``, ``PurchaseCounts``, ``SpendRanking``
    ``LedgerScans``, ``TierMeasures``, ``BalanceRanking`` and ``Directory``, and
    :class:`~relationkit.storage.ports.timeline.TimelineReads`,
    :class:`~relationkit.storage.ports.moves.RecordMoves`,
    :class:`~relationkit.storage.ports.purchase_reads.PurchaseReads`,
    :class:`~relationkit.storage.ports.owners.OwnerLookups` and
    :class:`~relationkit.storage.ports.versions.AccountVersions`.
    """

    def __init__(
        self,
        executor: Executor,
        tables: Tables,
        statements: Statements,
        aggregates: Aggregates,
        *,
        serial_writes: bool = False,
        prefetch_flag: PrefetchFlag | None = None,
    ) -> None:
        self._x = executor
        self._s = statements
        self._a = aggregates
        # What a read saw stays true for the whole transaction when no other
        # writer commits into it: lookups may then answer for later ones.
        absent: set[str] | None = set() if serial_writes else None
        self._parked_absent = absent
        flag = prefetch_flag if prefetch_flag is not None else PrefetchFlag()
        self._prefetch = PointsPrefetch(flag) if serial_writes else None
        self.accounts = SqlAccounts(executor, tables, statements, prefetch=self._prefetch)
        self.customers = SqlCustomers(executor, tables, statements)
        self.stages = SqlStages(executor, tables, statements)
        self.interactions = SqlInteractions(executor, tables, statements)
        self.purchases = SqlPurchases(executor, tables, statements, parked_absent=absent)
        self.ledger = SqlLedger(executor, tables, statements)
        self.idempotency = SqlIdempotency(executor, tables, statements)
        self.points = SqlPoints(executor, tables, statements, prefetch=self._prefetch)
        self.scores = SqlScores(executor, tables, statements)
        self.checkout = SqlCheckout(executor, tables, parked_absent=absent)
        self._directory = Search(tables)
        self._tables = tables
        self.serial_writes = serial_writes
        """True when no other writer commits into this transaction (see OwnerLookups)."""

    def savepoint(self) -> AbstractContextManager[None]:
        """Return a context in which an exception undoes only what it wrote.

        A SAVEPOINT: rolling back to it also makes a PostgreSQL transaction
        usable again after a failed statement (a DuplicateKey, say).
        """
        return self._savepoint()

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        with self._x.savepoint():
            try:
                yield
            except BaseException:
                # What was read in it may have reverted with it: rows read
                # with account locks, and parked refunds it applied (removed).
                if self._prefetch is not None:
                    self._prefetch.forget()
                if self._parked_absent is not None:
                    self._parked_absent.clear()
                raise

    def set_versions(self, versions: Mapping[str, int]) -> None:
        """Store new account versions alone (one UPDATE of ``version`` per account).

        Raises:
            NotFound: ``("account", id)`` for an account that is not stored.
        """
        self.accounts.set_versions(versions)

    def count_by_stage(self) -> dict[str, int]:
        """Return the number of accounts per stage (one GROUP BY)."""
        return self._a.count_by_stage(self._x)

    def count_customers(self) -> int:
        """Return the number of customers."""
        return int(self._x.scalar(self._s.count_rows["customers"]))

    def count_purchases(self) -> int:
        """Return the number of purchases."""
        return int(self._x.scalar(self._s.count_rows["purchases"]))

    def purchase_counts(
        self, account_ids: Sequence[str], *, at_most: int | None = None
    ) -> dict[str, int]:
        """Return how many purchases each of these accounts has (0 included)."""
        return self._a.purchase_counts(self._x, account_ids, at_most=at_most)

    def top_spend(self, *, currency: str, limit: int) -> list[SpendRow]:
        """Return the accounts of highest net spend in ``currency`` (one query)."""
        return self._a.top_spend(self._x, currency=currency, limit=limit)

    def ledger_account_ids(self, *, after: str | None = None, limit: int = 1000) -> list[str]:
        """Return ids of accounts that have ledger entries, in id order, after ``after``."""
        return self._a.ledger_account_ids(self._x, after=after, limit=limit)

    def ledgers(self, account_ids: Sequence[str]) -> dict[str, list[LedgerEntry]]:
        """Return the entries of several accounts (each in ``seq`` order; [] if none)."""
        return self.ledger.for_accounts(account_ids)

    def due_accounts(
        self, as_of: pendulum.DateTime, *, after: str | None = None, limit: int = 1000
    ) -> list[str]:
        """Return accounts whose stored ``next_due`` is at or before ``as_of`` (one query)."""
        return self._a.due_accounts(self._x, as_of, after=after, limit=limit)

    def points_earned_between(
        self, account_id: str, since: pendulum.DateTime, until: pendulum.DateTime
    ) -> int:
        """Return the points an account earned with ``since < at <= until`` (one SUM)."""
        return self._a.points_earned_between(self._x, account_id, since, until)

    def net_spend_between(
        self,
        account_id: str,
        currency: str,
        since: pendulum.DateTime,
        until: pendulum.DateTime,
    ) -> int:
        """Return an account's net spend in ``currency`` within the window (one SUM)."""
        return self._a.net_spend_between(self._x, account_id, currency, since, until)

    def top_balances(
        self, *, limit: int, after: tuple[int, str] | None = None
    ) -> list[tuple[str, int]]:
        """Return ``(account_id, balance)`` by balance descending, then id (one query)."""
        return self._a.top_balances(self._x, limit=limit, after=after)

    def accounts_of_orders(self, order_ids: Sequence[str]) -> dict[str, str]:
        """Return ``order_id -> account_id`` for the stored orders (one narrow query)."""
        return self._s.owners.accounts_of_orders(self._x, order_ids)

    def accounts_of_customers(self, customer_ids: Sequence[str]) -> dict[str, str]:
        """Return ``customer_id -> account_id`` for the stored customers (one narrow query)."""
        return self._s.owners.accounts_of_customers(self._x, customer_ids)

    def stage_changes_since(
        self, account_id: str, *, since: pendulum.DateTime | None, limit: int
    ) -> list[StageChange]:
        """Return a page of an account's stage changes by ``(at, seq)`` (one query)."""
        return self._s.timeline.stage_changes(self._x, account_id, since, limit)

    def ledger_entries_since(
        self, account_id: str, *, since: pendulum.DateTime | None, limit: int
    ) -> list[LedgerEntry]:
        """Return a page of an account's ledger entries by ``(at, seq)`` (two queries)."""
        return self._s.timeline.ledger_entries(self._x, self.ledger, account_id, since, limit)

    def refunds_since(
        self, account_id: str, *, since: pendulum.DateTime | None, limit: int
    ) -> list[TimedRefund]:
        """Return a page of the refunds of an account's orders by time (one query)."""
        return self._s.timeline.refunds(self._x, account_id, since, limit)

    def search_customers(
        self, query: CustomerQuery, *, after: str | None = None, limit: int = 100
    ) -> list[Customer]:
        """Return a page of the customers matching ``query`` (one query)."""
        return self._directory.customers(self._x, query, after=after, limit=limit)

    def search_accounts(
        self, query: AccountQuery, *, after: str | None = None, limit: int = 100
    ) -> list[Account]:
        """Return a page of the accounts matching ``query`` (one query)."""
        return self._directory.accounts(self._x, query, after=after, limit=limit)

    @cached_property
    def _person(self) -> PersonRecords:
        return PersonRecords(self._tables)

    def move_records(
        self, customer_id: str, from_account_id: str, to_account_id: str
    ) -> MovedRecords:
        """Give a customer's purchases and interactions to another account (two UPDATEs)."""
        return self._person.move(self._x, customer_id, from_account_id, to_account_id)

    def customer_purchases(
        self,
        customer_id: str,
        account_id: str,
        *,
        after: tuple[pendulum.DateTime, str] | None = None,
        limit: int | None = None,
    ) -> list[Purchase]:
        """Return a page of a customer's purchases (one query, then lines and refunds)."""
        order_ids = self._person.customer_order_ids(
            self._x, customer_id, account_id, after=after, limit=limit
        )
        found = self.purchases.get_many(order_ids)
        return [found[o] for o in order_ids]

    def account_spend(
        self,
        account_id: str,
        *,
        start: pendulum.DateTime | None = None,
        end: pendulum.DateTime | None = None,
    ) -> list[SpendRow]:
        """Return an account's net spend per currency (one GROUP BY)."""
        return self._person.account_spend(self._x, account_id, start=start, end=end)

    @cached_property
    def _analytics(self) -> SqlAnalytics:
        return SqlAnalytics(self._tables)

    def purchase_currencies(self, window: SummaryWindow) -> list[str]:
        """Return the currencies of the purchases in the window (one DISTINCT)."""
        return self._analytics.purchase_currencies(self._x, window)

    def summary_page(
        self, window: SummaryWindow, *, after: str | None = None, limit: int = 1000
    ) -> SummaryPage:
        """Return a page of accounts' counted purchase days (one query with a window)."""
        return self._analytics.summary_page(self._x, window, after=after, limit=limit)

    def rfm_cuts(self, window: SummaryWindow) -> RfmCuts:
        """Return the RFM quintile cuts (one query with window functions)."""
        return SqlRfm(self._analytics).rfm_cuts(self._x, window)
