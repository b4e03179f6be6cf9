"""Port tests: the optional query protocols agree with the reference answers.

For each protocol of :mod:`relationkit.storage.ports.queries` two tests run
over the same data: one checks the reference answer of
:mod:`relationkit.storage.fallback` (computed from the core port alone)
against numbers worked out by hand; the other checks that
``fallback.queries(uow)``, which hands the question to the unit of work
when it implements the protocol, gives that same answer. A backend that
implements no protocol passes the second kind trivially; one that adds a
protocol gets it checked at once.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest

from relationkit.domain.customers import AccountKind
from relationkit.domain.ledger import EntryKind, LedgerState
from relationkit.domain.points import derive, open_lots_of
from relationkit.errors import NotFound
from relationkit.money import Money
from relationkit.storage import fallback
from relationkit.storage.ports import (
    AccountRepository,
    CustomerRepository,
    IdempotencyRepository,
    InteractionRepository,
    LedgerRepository,
    PointsRepository,
    PurchaseRepository,
    SpendRow,
    StageRepository,
    Storage,
    UnitOfWork,
)
from relationkit.storage.ports.queries import AccountQuery, CustomerQuery
from relationkit.testing.base import T0, SuiteBase, eur
from relationkit.testing.port.records import account, customer, entry, purchase, refund

__all__ = ["QueryPort"]


class _CoreOnly:
    """A unit of work cut down to the core port, so fallback.queries() answers itself."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    @property
    def accounts(self) -> AccountRepository:
        return self._uow.accounts

    @property
    def customers(self) -> CustomerRepository:
        return self._uow.customers

    @property
    def stages(self) -> StageRepository:
        return self._uow.stages

    @property
    def interactions(self) -> InteractionRepository:
        return self._uow.interactions

    @property
    def purchases(self) -> PurchaseRepository:
        return self._uow.purchases

    @property
    def ledger(self) -> LedgerRepository:
        return self._uow.ledger

    @property
    def idempotency(self) -> IdempotencyRepository:
        return self._uow.idempotency

    @property
    def points(self) -> PointsRepository:
        return self._uow.points


def _fill(uow: UnitOfWork) -> None:
    """Four accounts in three stages, five orders in two currencies, three ledgers."""
    uow.accounts.add_many(
        [
            account("acc_1"),
            account("acc_2", stage="customer"),
            account("acc_3", stage="customer"),
            account("acc_4", stage="churned"),
        ]
    )
    uow.customers.add_many(
        [
            customer("cus_1", "acc_1"),
            customer("cus_2", "acc_2"),
            customer("cus_3", "acc_2"),
            customer("cus_4", "acc_3"),
        ]
    )
    uow.purchases.add_many(
        [
            purchase("pur_1", "o1", "acc_2", "cus_2", total=eur("5.00")),
            purchase("pur_2", "o2", "acc_2", "cus_3", total=eur("3.00")),
            purchase("pur_3", "o3", "acc_1", "cus_1", total=eur("7.00")),
            purchase("pur_4", "o4", "acc_3", "cus_4", total=Money("99", "USD")),
            purchase("pur_5", "o5", "acc_3", "cus_4", total=eur("8.00")),
        ]
    )
    uow.purchases.add_refund(refund("r1", "o2", "1.00"))
    uow.purchases.add_refund(refund("r2", "o5", "8.00"))
    ledgers = {
        "acc_1": [
            entry("led_1", "acc_1", 1, points=100, expires_at=T0.add(days=30)),
            entry("led_4", "acc_1", 2, kind=EntryKind.ADJUST, points=5, at=T0.add(days=2)),
        ],
        "acc_2": [entry("led_2", "acc_2", 1, points=10, at=T0.add(days=1))],
        "acc_3": [
            entry(
                "led_3", "acc_3", 1, kind=EntryKind.PENDING, points=50, available_at=T0.add(days=14)
            )
        ],
    }
    uow.ledger.add_many([e for entries in ledgers.values() for e in entries])
    # The state a service keeps beside each ledger, as it would have written it.
    for account_id, entries in ledgers.items():
        folded = LedgerState.replay(entries)
        earned = sum(e.points for e in entries if e.kind is EntryKind.EARN)
        uow.points.put_many([derive(account_id, folded, last_seq=len(entries), earned=earned)])
        uow.points.put_lots(open_lots_of(account_id, folded))


class QueryPort(SuiteBase):
    """StageCounts, RecordCounts, PurchaseCounts, SpendRanking and LedgerScans."""

    @pytest.fixture
    def filled(self, storage: Storage) -> Iterator[UnitOfWork]:
        """A read transaction over the data of :func:`_fill`."""
        with storage.transaction(write=True) as uow:
            _fill(uow)
        with storage.transaction(write=False) as uow:
            yield uow

    def test_reference_stage_counts(self, filled: UnitOfWork) -> None:
        """The reference count_by_stage() counts accounts per stage, leaving out empty ones."""
        reference = fallback.queries(_CoreOnly(filled))

        assert {"lead": 1, "customer": 2, "churned": 1} == reference.count_by_stage()

    def test_stage_counts_match_the_reference(self, filled: UnitOfWork) -> None:
        """StageCounts, where implemented, gives the reference answer."""
        reference = fallback.queries(_CoreOnly(filled))

        assert reference.count_by_stage() == fallback.queries(filled).count_by_stage()

    def test_reference_record_counts(self, filled: UnitOfWork) -> None:
        """The reference counts every customer and every purchase of the store."""
        reference = fallback.queries(_CoreOnly(filled))

        assert (4, 5) == (reference.count_customers(), reference.count_purchases())

    def test_record_counts_match_the_reference(self, filled: UnitOfWork) -> None:
        """RecordCounts, where implemented, gives the reference answers."""
        reference = fallback.queries(_CoreOnly(filled))
        queries = fallback.queries(filled)

        assert (reference.count_customers(), reference.count_purchases()) == (
            queries.count_customers(),
            queries.count_purchases(),
        )

    def test_reference_owner_lookups(self, filled: UnitOfWork) -> None:
        """The reference owners name each stored order's and customer's account, no others."""
        owners = fallback.queries(_CoreOnly(filled)).owners

        assert {"o1": "acc_2", "o4": "acc_3"} == owners.accounts_of_orders(["o1", "o4", "o404"])
        assert {"cus_3": "acc_2"} == owners.accounts_of_customers(["cus_3", "cus_404"])

    def test_owner_lookups_match_the_reference(self, filled: UnitOfWork) -> None:
        """OwnerLookups, where implemented, gives the reference answers, one id or several."""
        reference = fallback.queries(_CoreOnly(filled)).owners
        owners = fallback.queries(filled).owners
        for orders in (["o3"], ["o5", "o1", "o2", "o404"], []):
            assert reference.accounts_of_orders(orders) == owners.accounts_of_orders(orders)
        for people in (["cus_4"], ["cus_1", "cus_2", "cus_404"], []):
            assert reference.accounts_of_customers(people) == owners.accounts_of_customers(people)

    def test_account_versions_store_the_version_alone(self, storage: Storage) -> None:
        """AccountVersions, where implemented, changes each account's version and
        nothing else; an unknown account is NotFound and changes nothing."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1"), account("acc_2", stage="customer")])
        with storage.transaction(write=True) as uow:
            versions = fallback.queries(uow).versions
            if versions is None:
                pytest.skip("the store writes whole accounts")
            versions.set_versions({"acc_1": 3, "acc_2": 5})

        def unknown() -> None:
            with storage.transaction(write=True) as uow:
                versions = fallback.queries(uow).versions
                assert versions is not None
                versions.set_versions({"acc_1": 9, "acc_404": 1})

        with pytest.raises(NotFound):
            unknown()
        with storage.transaction(write=False) as uow:
            stored = uow.accounts.get_many(["acc_1", "acc_2"])

        assert {
            "acc_1": attrs.evolve(account("acc_1"), version=3),
            "acc_2": attrs.evolve(account("acc_2", stage="customer"), version=5),
        } == stored

    def test_reference_purchase_counts(self, filled: UnitOfWork) -> None:
        """The reference purchase_counts() answers every account asked for, 0 included."""
        reference = fallback.queries(_CoreOnly(filled))

        assert {"acc_1": 1, "acc_2": 2, "acc_4": 0} == reference.purchase_counts(
            ["acc_1", "acc_2", "acc_4"]
        )

    def test_purchase_counts_match_the_reference(self, filled: UnitOfWork) -> None:
        """PurchaseCounts, where implemented, gives the reference answer."""
        reference = fallback.queries(_CoreOnly(filled))
        asked = ["acc_4", "acc_2", "acc_1", "acc_404"]

        assert reference.purchase_counts(asked) == fallback.queries(filled).purchase_counts(asked)

    def test_reference_spend_ranking(self, filled: UnitOfWork) -> None:
        """The reference top_spend() nets refunds in one currency, biggest first, ties by id."""
        reference = fallback.queries(_CoreOnly(filled))

        assert (
            [
                SpendRow(account_id="acc_1", currency="EUR", net_minor=700, orders=1),
                SpendRow(account_id="acc_2", currency="EUR", net_minor=700, orders=2),
            ],
            [SpendRow(account_id="acc_3", currency="USD", net_minor=9900, orders=1)],
            3,
        ) == (
            reference.top_spend(currency="EUR", limit=2),
            reference.top_spend(currency="USD", limit=5),
            len(reference.top_spend(currency="EUR", limit=5)),
        )

    @pytest.mark.parametrize(("currency", "limit"), [("EUR", 5), ("EUR", 1), ("USD", 5)])
    def test_spend_ranking_matches_the_reference(
        self, filled: UnitOfWork, currency: str, limit: int
    ) -> None:
        """SpendRanking, where implemented, gives the reference rows in the same order."""
        reference = fallback.queries(_CoreOnly(filled))

        assert reference.top_spend(currency=currency, limit=limit) == fallback.queries(
            filled
        ).top_spend(currency=currency, limit=limit)

    def test_reference_ledger_scans(self, filled: UnitOfWork) -> None:
        """The reference pages ledger accounts in id order and finds what is due exactly."""
        reference = fallback.queries(_CoreOnly(filled))

        assert (
            ["acc_1", "acc_2", "acc_3"],
            ["acc_2"],
            ([1, 2], []),
            ([], ["acc_3"], ["acc_1", "acc_3"]),
        ) == (
            reference.ledger_account_ids(),
            reference.ledger_account_ids(after="acc_1", limit=1),
            tuple(
                [e.seq for e in entries]
                for entries in reference.ledgers(["acc_1", "acc_4"]).values()
            ),
            tuple(reference.due_accounts(T0.add(days=d)) for d in (0, 14, 31)),
        )

    def test_reference_tier_measures(self, filled: UnitOfWork) -> None:
        """The reference sums earned points and net spend strictly after since, up to until."""
        reference = fallback.queries(_CoreOnly(filled))

        assert (100, 0, 10, 700, 700, 0) == (
            reference.points_earned_between("acc_1", T0.subtract(days=1), T0),
            reference.points_earned_between("acc_1", T0, T0.add(days=9)),
            reference.points_earned_between("acc_2", T0, T0.add(days=1)),
            reference.net_spend_between("acc_2", "EUR", T0.subtract(days=1), T0),
            reference.net_spend_between("acc_1", "EUR", T0.subtract(days=1), T0),
            reference.net_spend_between("acc_3", "EUR", T0.subtract(days=1), T0),
        )

    def test_tier_measures_match_the_reference(self, filled: UnitOfWork) -> None:
        """TierMeasures, where implemented, gives the reference sums."""
        reference = fallback.queries(_CoreOnly(filled))
        queries = fallback.queries(filled)
        windows = [(T0.subtract(days=1), T0), (T0, T0.add(days=9)), (T0.subtract(days=9), T0)]
        for account_id in ("acc_1", "acc_2", "acc_3", "acc_4"):
            for since, until in windows:
                assert reference.points_earned_between(
                    account_id, since, until
                ) == queries.points_earned_between(account_id, since, until)
                for currency in ("EUR", "USD"):
                    assert reference.net_spend_between(
                        account_id, currency, since, until
                    ) == queries.net_spend_between(account_id, currency, since, until)

    def test_reference_balance_ranking(self, filled: UnitOfWork) -> None:
        """The reference ranks stored balances, highest first, and pages after a row."""
        reference = fallback.queries(_CoreOnly(filled))

        assert (
            [("acc_1", 105), ("acc_2", 10), ("acc_3", 0)],
            [("acc_2", 10), ("acc_3", 0)],
        ) == (
            reference.top_balances(limit=10),
            reference.top_balances(limit=10, after=(105, "acc_1")),
        )

    def test_balance_ranking_matches_the_reference(self, filled: UnitOfWork) -> None:
        """BalanceRanking, where implemented, gives the reference pages."""
        reference = fallback.queries(_CoreOnly(filled))
        queries = fallback.queries(filled)

        assert (
            reference.top_balances(limit=2),
            reference.top_balances(limit=2, after=(10, "acc_2")),
        ) == (
            queries.top_balances(limit=2),
            queries.top_balances(limit=2, after=(10, "acc_2")),
        )

    def test_directory_matches_the_reference(self, filled: UnitOfWork) -> None:
        """Directory, where implemented, pages the same customers and accounts as the
        reference, for each kind of filter."""
        reference = fallback.queries(_CoreOnly(filled))
        queries = fallback.queries(filled)
        customer_queries = [
            CustomerQuery(),
            CustomerQuery(email_prefix="x"),
            CustomerQuery(stage="customer"),
            CustomerQuery(name_prefix="person cus_"),
            CustomerQuery(name_prefix="person cus_2", stage="customer"),
            CustomerQuery(external_id="nobody"),
        ]
        account_queries = [
            AccountQuery(),
            AccountQuery(stage="customer"),
            AccountQuery(name_prefix="account acc_1"),
            AccountQuery(kind=AccountKind.B2C),
        ]
        for cq in customer_queries:
            for after in (None, "cus_1"):
                assert reference.search_customers(cq, after=after, limit=2) == (
                    queries.search_customers(cq, after=after, limit=2)
                )
        for aq in account_queries:
            for after in (None, "acc_2"):
                assert reference.search_accounts(aq, after=after, limit=2) == (
                    queries.search_accounts(aq, after=after, limit=2)
                )
        assert ["cus_2", "cus_3", "cus_4"] == [
            c.id for c in reference.search_customers(CustomerQuery(stage="customer"))
        ]

    def test_ledger_scans_match_the_reference(self, filled: UnitOfWork) -> None:
        """LedgerScans, where implemented, gives the reference pages and ledgers, and
        reports at least every due account (over-reporting is allowed), in id order."""
        reference = fallback.queries(_CoreOnly(filled))
        queries = fallback.queries(filled)
        due = {d: queries.due_accounts(T0.add(days=d)) for d in (0, 14, 31)}

        assert (
            reference.ledger_account_ids(),
            reference.ledger_account_ids(after="acc_1", limit=1),
            reference.ledgers(["acc_1", "acc_4", "acc_2"]),
        ) == (
            queries.ledger_account_ids(),
            queries.ledger_account_ids(after="acc_1", limit=1),
            queries.ledgers(["acc_1", "acc_4", "acc_2"]),
        )
        for days, found in due.items():
            assert set(reference.due_accounts(T0.add(days=days))) <= set(found)
            assert sorted(found) == found
