"""The SQL backend (``SqlStorage``) on a SQLite file and on PostgreSQL.

PostgreSQL runs when ``RELATIONKIT_TEST_POSTGRES_URL`` is set and is skipped
otherwise. Every test gets its own table prefix (dropped afterwards), so
pytest-xdist workers never share a table on the same server.

Where the port leaves a choice, the memory backend is the reference: several
tests run the same writes on both and compare what comes back.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pendulum
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from relationkit.domain.customers import Account, AccountKind, Customer
from relationkit.domain.interactions import Channel, Direction, Interaction
from relationkit.domain.ledger import Allocation, EntryKind, LedgerEntry, LedgerState
from relationkit.domain.lifecycle import StageChange
from relationkit.domain.points import OpenLot, PointsState, derive, open_lots_of
from relationkit.domain.purchases import LineItem, Purchase, Refund
from relationkit.errors import (
    DanglingReference,
    DuplicateKey,
    NotFound,
    SchemaMismatch,
    StorageError,
    TransientStorageError,
)
from relationkit.money import Money
from relationkit.storage.fallback import queries
from relationkit.storage.memory import MemoryStorage
from relationkit.storage.ports import (
    BalanceRanking,
    IdempotencyRecord,
    LedgerScans,
    PurchaseCounts,
    RecordCounts,
    Savepoints,
    SpendRanking,
    SpendRow,
    StageCounts,
    Storage,
    TierMeasures,
    UnitOfWork,
)
from relationkit.storage.sql import SCHEMA_VERSION, SqlStorage, mapping
from relationkit.testing import strategies as rks

POSTGRES_ENV = "RELATIONKIT_TEST_POSTGRES_URL"
T0 = pendulum.datetime(2026, 1, 1, tz="UTC")
R = TypeVar("R")
PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# -- fixtures ------------------------------------------------------------------


@attrs.define
class Backend:
    """A database and a table prefix of the test's own."""

    name: str
    engine: sa.Engine
    url: str
    prefix: str

    def open(self, **options: Any) -> SqlStorage:
        """Open a store on the host-owned engine under the test's prefix."""
        options.setdefault("prefix", self.prefix)
        return SqlStorage(self.engine, **options)

    def statements(self) -> list[str]:
        """Start recording the SQL sent to the database; return the live list."""
        seen: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            seen.append(statement)

        sa.event.listen(self.engine, "before_cursor_execute", record)
        return seen


def _drop_prefixed(engine: sa.Engine, prefix: str) -> None:
    metadata = sa.MetaData()
    metadata.reflect(engine, only=lambda name, _meta: name.startswith(prefix))
    metadata.drop_all(engine)


@contextmanager
def _open_backend(name: str, tmp_path: Path) -> Iterator[Backend]:
    if name == "sqlite":
        url = f"sqlite:///{tmp_path / 'crm.db'}"
    else:
        found = os.environ.get(POSTGRES_ENV)
        if not found:
            pytest.skip(f"{POSTGRES_ENV} is not set")
        url = found
    engine = sa.create_engine(url)
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    try:
        yield Backend(name=name, engine=engine, url=url, prefix=prefix)
    finally:
        _drop_prefixed(engine, prefix)
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A SQLite file, or the PostgreSQL test server, with a fresh table prefix."""
    with _open_backend(request.param, tmp_path) as opened:
        yield opened


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[Backend]:
    """The PostgreSQL test server, for what only PostgreSQL does (row locks)."""
    with _open_backend("postgresql", tmp_path) as opened:
        yield opened


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Backend]:
    """A SQLite file, for what only SQLite does (pragmas, BEGIN IMMEDIATE)."""
    with _open_backend("sqlite", tmp_path) as opened:
        yield opened


@pytest.fixture
def store(backend: Backend) -> Iterator[SqlStorage]:
    """A store with the test's tables created."""
    opened = backend.open()
    yield opened
    opened.close()


# -- builders ------------------------------------------------------------------


def account(n: int, **fields: Any) -> Account:
    values: dict[str, Any] = {
        "id": f"acc_{n:04d}",
        "name": f"Account {n}",
        "kind": AccountKind.B2C,
        "stage": "lead",
        "stage_since": T0,
        "created_at": T0,
    }
    return Account(**{**values, **fields})


def customer(n: int, account_id: str, **fields: Any) -> Customer:
    values: dict[str, Any] = {
        "id": f"cus_{n:04d}",
        "account_id": account_id,
        "created_at": T0,
        "updated_at": T0,
    }
    return Customer(**{**values, **fields})


def purchase(order_id: str, account_id: str, total: str = "59.90", **fields: Any) -> Purchase:
    currency = fields.pop("currency", "EUR")
    values: dict[str, Any] = {
        "id": f"pur_{order_id}",
        "order_id": order_id,
        "account_id": account_id,
        "customer_id": "cus_0001",
        "occurred_at": T0,
        "total": Money(total, currency),
        "recorded_at": T0,
    }
    return Purchase(**{**values, **fields})


def refund(refund_id: str, order_id: str, amount: str, currency: str = "EUR") -> Refund:
    return Refund(
        refund_id=refund_id,
        order_id=order_id,
        amount=Money(amount, currency),
        occurred_at=T0,
        recorded_at=T0,
    )


def entry(n: int, account_id: str, kind: EntryKind, points: int, **fields: Any) -> LedgerEntry:
    values: dict[str, Any] = {
        "id": f"led_{n:04d}",
        "account_id": account_id,
        "seq": n,
        "kind": kind,
        "points": points,
        "at": T0,
        "recorded_at": T0,
    }
    return LedgerEntry(**{**values, **fields})


def get_account(n: int) -> Callable[[UnitOfWork], Account | None]:
    """Return a read of account ``n`` (None when it is not stored)."""
    return lambda u: u.accounts.get_many([f"acc_{n:04d}"]).get(f"acc_{n:04d}")


def accounts_for(*account_ids: str) -> Callable[[UnitOfWork], None]:
    """Return a write of a plain account for each of ``account_ids`` (the rows' parents)."""
    ids = sorted(set(account_ids))
    return lambda u: u.accounts.add_many([account(1, id=i) for i in ids])


def write(storage: Storage, work: Callable[[UnitOfWork], R]) -> R:
    with storage.transaction(write=True) as uow:
        return work(uow)


def read(storage: Storage, work: Callable[[UnitOfWork], R]) -> R:
    with storage.transaction(write=False) as uow:
        return work(uow)


class _Rollback(Exception):
    """Raised to end a transaction without keeping its writes."""


# -- the port ------------------------------------------------------------------


def test_store_meets_the_storage_port(store: SqlStorage) -> None:
    """SqlStorage is a Storage (statically, and for runtime_checkable isinstance)."""
    storage: Storage = store

    assert isinstance(storage, Storage)


def test_the_unit_of_work_pushes_every_query_down(store: SqlStorage) -> None:
    """The SQL unit of work implements every optional query protocol (no Python fallback)."""
    protocols = (
        Savepoints,
        StageCounts,
        RecordCounts,
        PurchaseCounts,
        SpendRanking,
        LedgerScans,
        TierMeasures,
        BalanceRanking,
    )

    with store.transaction(write=False) as u:
        actual = [isinstance(u, p) for p in protocols]

    expected = [True] * len(protocols)
    assert expected == actual


def test_memory_url_is_one_shared_database() -> None:
    """``sqlite://`` works: one connection, seen by every transaction and thread."""
    storage = SqlStorage.from_url("sqlite://")
    write(storage, lambda u: u.accounts.add_many([account(1)]))
    seen: list[Account | None] = []
    worker = threading.Thread(target=lambda: seen.append(read(storage, get_account(1))))
    worker.start()
    worker.join()

    assert [account(1)] == seen
    storage.close()


def test_from_url_owns_its_engine_and_close_is_idempotent(tmp_path: Path) -> None:
    """A store made from a URL disposes of its engine; later transactions are refused."""
    storage = SqlStorage.from_url(f"sqlite:///{tmp_path / 'own.db'}")
    write(storage, lambda u: u.accounts.add_many([account(1)]))
    storage.close()
    storage.close()

    with pytest.raises(StorageError), storage.transaction(write=False):
        pass


# -- round trips ---------------------------------------------------------------


def test_every_model_round_trips(store: SqlStorage) -> None:
    """Each model comes back equal to what was stored, with every field set."""
    b2b = account(1, kind=AccountKind.B2B, stage="customer", version=7, tier="gold")
    bob = customer(
        1,
        b2b.id,
        email="Bob@Acme.Example",
        name="Bob",
        external_id="shop-42",
        role="buyer",
        attributes={"city": "Lyon", "tags": ["a", "b"], "n": 1.5, "nested": {"x": None}},
    )
    change = StageChange(
        account_id=b2b.id,
        from_stage="lead",
        to_stage="customer",
        at=T0,
        reason="won",
        automatic=True,
    )
    call = Interaction(
        id="int_0001",
        account_id=b2b.id,
        customer_id=bob.id,
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        occurred_at=T0.add(hours=1),
        subject="Order",
        notes="Wants 3",
        outcome="callback",
        recorded_at=T0.add(hours=2),
    )
    lines = (
        LineItem(sku="TSHIRT", quantity=2, unit_price=Money("29.95", "EUR"), category="wear"),
        LineItem(sku="MUG", quantity=1, unit_price=Money("0.01", "EUR")),
    )
    order = purchase("1001", b2b.id, "59.91", lines=lines, points_used=120, customer_id=bob.id)
    back = Refund(
        refund_id="r-1",
        order_id="1001",
        amount=Money("29.95", "EUR"),
        occurred_at=T0.add(days=1),
        reason="broken",
        recorded_at=T0.add(days=1),
    )
    earn = entry(
        1,
        b2b.id,
        EntryKind.EARN,
        500,
        lot_id="led_0001",
        expires_at=T0.add(years=1),
        source="order:1001",
        reason="purchase",
        idempotency_key="k-1",
    )
    redeem = entry(
        2,
        b2b.id,
        EntryKind.REDEEM,
        -600,
        allocations=(Allocation(lot_id="led_0001", points=500),),
        debt=100,
    )
    pending = entry(3, b2b.id, EntryKind.PENDING, 40, available_at=T0.add(days=14))
    record = IdempotencyRecord(
        scope="redeem", key="rw-9", payload_hash="abc", result='{"ok":1}', created_at=T0
    )

    def store_all(u: UnitOfWork) -> None:
        u.accounts.add_many([b2b])
        u.customers.add_many([bob])
        u.stages.add_many([change])
        u.interactions.add(call)
        u.purchases.add_many([order])
        u.purchases.add_refund(back)
        u.ledger.add_many([earn, redeem, pending])
        u.idempotency.add(record)

    write(store, store_all)

    def load(u: UnitOfWork) -> list[object]:
        return [
            u.accounts.get_many([b2b.id])[b2b.id],
            u.customers.get_many([bob.id])[bob.id],
            u.stages.for_account(b2b.id),
            u.interactions.for_account(b2b.id),
            u.purchases.get_many(["1001"]),
            u.purchases.get_refund("r-1"),
            u.ledger.for_account(b2b.id),
            u.idempotency.get("redeem", "rw-9"),
        ]

    expected = [
        b2b,
        bob,
        [change],
        [call],
        {"1001": attrs.evolve(order, refunds=(back,))},
        back,
        [earn, redeem, pending],
        record,
    ]
    assert expected == read(store, load)


@pytest.mark.parametrize(
    ("shape", "extra"),
    [
        (mapping.ACCOUNT, set()),
        (mapping.CUSTOMER, set()),
        (mapping.STAGE_CHANGE, set()),
        (mapping.INTERACTION, set()),
        (mapping.PURCHASE, set()),
        (mapping.LINE, set()),
        (mapping.REFUND, set()),
        (mapping.ENTRY, set()),
        (mapping.ALLOCATION, set()),
        (mapping.POINTS_STATE, set()),
        (mapping.OPEN_LOT, set()),
        (mapping.IDEMPOTENCY, set()),
    ],
    ids=lambda v: getattr(v, "table", ""),
)
def test_every_model_field_has_a_column(shape: mapping.Shape, extra: set[str]) -> None:
    """Each model's shape stores every attrs field: a new field fails here until declared."""
    assert set(attrs.fields_dict(shape.model)) == shape.model_fields() | extra


@PROPERTY
@given(
    acc=rks.accounts(),
    person=rks.customers(),
    order=rks.purchases(),
    entries=st.lists(
        rks.ledger_entries(),
        max_size=3,
        unique_by=(lambda e: e.id, lambda e: (e.account_id, e.seq)),
    ),
    call=rks.interactions(),
    change=rks.stage_changes(),
)
def test_drawn_models_round_trip(
    store: SqlStorage,
    acc: Account,
    person: Customer,
    order: Purchase,
    entries: list[LedgerEntry],
    call: Interaction,
    change: StageChange,
) -> None:
    """Whatever the shared strategies draw (any text, currency, instant) reads back equal."""
    assume(len({r.refund_id for r in order.refunds}) == len(order.refunds))
    # PostgreSQL text cannot hold NUL (test_nul_in_text_...); the rest must round-trip.
    assume("\x00" not in (call.notes or ""))
    person = attrs.evolve(person, account_id=acc.id)
    found: list[object] = []

    parents = {order.account_id, call.account_id, change.account_id}
    parents |= {e.account_id for e in entries}
    parents.discard(acc.id)

    def roundtrip(u: UnitOfWork) -> None:
        u.accounts.add_many([acc, *(attrs.evolve(acc, id=p) for p in sorted(parents))])
        u.customers.add_many([person])
        u.purchases.add_many([order])
        for back in order.refunds:
            u.purchases.add_refund(back)
        u.ledger.add_many(entries)
        u.interactions.add(call)
        u.stages.add_many([change])
        by_account = {e.account_id for e in entries}
        found.extend(
            [
                u.accounts.get_many([acc.id])[acc.id],
                u.customers.get_many([person.id])[person.id],
                u.purchases.get_many([order.order_id])[order.order_id],
                queries(u).ledgers(sorted(by_account)),
                u.interactions.for_account(call.account_id),
                u.stages.for_account(change.account_id),
            ]
        )
        raise _Rollback  # keep the tables empty for the next example

    with pytest.raises(_Rollback):
        write(store, roundtrip)

    ledgers: dict[str, list[LedgerEntry]] = {a: [] for a in sorted({e.account_id for e in entries})}
    for e in sorted(entries, key=lambda e: e.seq):
        ledgers[e.account_id].append(e)
    refunds = tuple(sorted(order.refunds, key=lambda r: (r.occurred_at, r.refund_id)))
    expected = [acc, person, attrs.evolve(order, refunds=refunds), ledgers, [call], [change]]
    assert expected == found


def test_datetimes_come_back_aware_in_utc(store: SqlStorage) -> None:
    """An instant stored in any zone reads back as the same instant, a pendulum UTC datetime."""
    paris = pendulum.datetime(2026, 3, 29, 2, 30, 0, 123456, tz="Europe/Paris")
    call = Interaction(
        id="int_0001",
        account_id="acc_0001",
        customer_id=None,
        channel=Channel.EMAIL,
        direction=Direction.OUTBOUND,
        occurred_at=paris,
        recorded_at=pendulum.datetime(2026, 1, 1, 23, tz="America/Los_Angeles"),
    )
    write(store, accounts_for("acc_0001"))
    write(store, lambda u: u.interactions.add(call))

    (found,) = read(store, lambda u: u.interactions.for_account("acc_0001"))

    assert paris == found.occurred_at
    assert pendulum.DateTime is type(found.occurred_at)
    expected = ("UTC", pendulum.duration(0), 123456)
    actual = (
        found.occurred_at.timezone_name,
        found.occurred_at.utcoffset(),
        found.occurred_at.microsecond,
    )
    assert expected == actual
    assert pendulum.datetime(2026, 1, 2, 7, tz="UTC") == found.recorded_at


def test_nul_in_text_round_trips_on_sqlite_and_is_refused_by_postgresql(
    backend: Backend, store: SqlStorage
) -> None:
    """PostgreSQL text cannot hold NUL: a StorageError there (never a raw driver error)."""
    call = Interaction(
        id="int_0001",
        account_id="acc_0001",
        customer_id=None,
        channel=Channel.EMAIL,
        direction=Direction.OUTBOUND,
        occurred_at=T0,
        notes="a\x00b",
        recorded_at=T0,
    )
    write(store, accounts_for("acc_0001"))

    if backend.name == "postgresql":
        with pytest.raises(StorageError) as error:
            write(store, lambda u: u.interactions.add(call))
        assert isinstance(error.value.__cause__, sa.exc.DBAPIError)
    else:
        write(store, lambda u: u.interactions.add(call))
        expected = [call]
        assert expected == read(store, lambda u: u.interactions.for_account("acc_0001"))


def test_a_naive_datetime_is_refused(store: SqlStorage) -> None:
    """A naive datetime has no instant: storing one is a StorageError, not a guess."""
    naive = pendulum.naive(2026, 1, 1)

    with pytest.raises(StorageError):
        write(store, lambda u: u.accounts.add_many([account(1, stage_since=naive)]))


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("0.01", "EUR"),
        ("1234567890123.45", "EUR"),
        ("1500", "JPY"),
        ("1.234", "KWD"),
        ("0.0001", "CLF"),
        ("999999999999999.99", "USD"),
    ],
)
def test_money_is_exact(store: SqlStorage, amount: str, currency: str) -> None:
    """Amounts come back to the last minor unit, in any currency's decimals."""
    money = Money(amount, currency)
    order = purchase(
        "o-1",
        "acc_0001",
        amount,
        currency=currency,
        lines=(LineItem(sku="X", quantity=3, unit_price=Money(amount, currency)),),
    )

    def store_and_refund(u: UnitOfWork) -> None:
        accounts_for("acc_0001")(u)
        u.purchases.add_many([order])
        u.purchases.add_refund(refund("r-1", "o-1", amount, currency))

    write(store, store_and_refund)
    found = read(store, lambda u: u.purchases.get_many(["o-1"]))["o-1"]

    assert money == found.total
    assert Decimal(amount) == found.lines[0].unit_price.amount
    assert money == found.refunds[0].amount
    assert money.minor == found.total.minor


# -- orders and aggregates, against the memory backend -------------------------


def _populate(u: UnitOfWork) -> None:
    accounts = [account(n, stage="lead" if n % 2 else "customer") for n in range(1, 6)]
    u.accounts.add_many(accounts)
    u.customers.add_many(
        [
            customer(1, "acc_0001", email="A@x.example", external_id="ext-1"),
            customer(2, "acc_0002", external_id="ext-2"),
            customer(3, "acc_0001", email="c@x.example", external_id="ext-3"),
        ]
    )
    u.stages.add_many(
        [
            StageChange(account_id="acc_0001", from_stage=None, to_stage="lead", at=T0),
            StageChange(account_id="acc_0001", from_stage="lead", to_stage="won", at=T0),
            StageChange(account_id="acc_0001", from_stage="won", to_stage="lost", at=T0),
        ]
    )
    for n, at in ((2, T0), (1, T0), (3, T0.subtract(days=1))):
        u.interactions.add(
            Interaction(
                id=f"int_{n:04d}",
                account_id="acc_0001",
                customer_id=None,
                channel=Channel.CHAT,
                direction=Direction.INBOUND,
                occurred_at=at,
                recorded_at=T0,
            )
        )
    u.purchases.add_many(
        [
            purchase("b", "acc_0001", "10.00", id="pur_2"),
            purchase("a", "acc_0001", "10.00", id="pur_1"),
            purchase("c", "acc_0001", "5.00", id="pur_0", occurred_at=T0.add(days=1)),
            purchase("d", "acc_0002", "25.00"),
            purchase("e", "acc_0003", "25.00"),
            purchase("f", "acc_0004", "99.00", currency="USD"),
            purchase("g", "acc_0005", "1.00"),
        ]
    )
    u.purchases.add_refund(refund("r2", "a", "4.00"))
    u.purchases.add_refund(refund("r1", "a", "1.00"))
    u.purchases.add_refund(refund("r3", "g", "2.00"))
    u.ledger.add_many(
        [
            entry(3, "acc_0002", EntryKind.EARN, 5, lot_id="led_0003"),
            entry(1, "acc_0001", EntryKind.EARN, 10, lot_id="led_0001"),
            entry(
                2,
                "acc_0001",
                EntryKind.REDEEM,
                -4,
                allocations=(Allocation(lot_id="led_0001", points=4),),
            ),
        ]
    )


def _every_list(u: UnitOfWork) -> list[object]:
    return [
        u.customers.for_account("acc_0001"),
        u.customers.get_many(["cus_0003", "cus_9999", "cus_0001"]),
        u.customers.by_external_ids(["ext-2", "nope", "ext-1", "ext-2"]),
        u.customers.by_email("a@x.example"),
        queries(u).count_customers(),
        u.stages.for_account("acc_0001"),
        u.interactions.for_account("acc_0001"),
        u.purchases.for_account("acc_0001"),
        u.purchases.get_many(["g", "zz", "a"]),
        queries(u).purchase_counts(["acc_0002", "acc_0009", "acc_0001"]),
        queries(u).top_spend(currency="EUR", limit=10),
        queries(u).top_spend(currency="EUR", limit=2),
        queries(u).top_spend(currency="USD", limit=10),
        queries(u).count_purchases(),
        u.accounts.ids(),
        u.accounts.ids(after="acc_0002", limit=2),
        u.accounts.get_many(["acc_0003", "acc_0404", "acc_0001"]),
        u.ledger.for_account("acc_0001"),
        queries(u).ledgers(["acc_0002", "acc_0009", "acc_0001"]),
        queries(u).ledger_account_ids(),
        queries(u).ledger_account_ids(after="acc_0001"),
        queries(u).count_by_stage(),
    ]


def test_every_list_matches_the_memory_backend(store: SqlStorage) -> None:
    """Orders, lookups and aggregates give what the reference backend gives."""
    memory = MemoryStorage()
    write(memory, _populate)
    write(store, _populate)

    assert read(memory, _every_list) == read(store, _every_list)


def test_spend_nets_refunds_in_the_asked_currency(store: SqlStorage) -> None:
    """Net spend is totals minus refunds, per account, by net desc then account id."""
    write(store, _populate)

    expected = [
        SpendRow(account_id="acc_0002", currency="EUR", net_minor=2500, orders=1),
        SpendRow(account_id="acc_0003", currency="EUR", net_minor=2500, orders=1),
        SpendRow(account_id="acc_0001", currency="EUR", net_minor=2000, orders=3),
        SpendRow(account_id="acc_0005", currency="EUR", net_minor=-100, orders=1),
    ]
    assert expected == read(store, lambda u: queries(u).top_spend(currency="EUR", limit=10))


def _ledger_cases(u: UnitOfWork) -> None:
    accounts_for(*(f"acc_{n:04d}" for n in range(1, 8)))(u)
    due_at = T0.add(days=10)
    earn, pending, activate, void, expire = (
        EntryKind.EARN,
        EntryKind.PENDING,
        EntryKind.ACTIVATE,
        EntryKind.VOID,
        EntryKind.EXPIRE,
    )
    entries = [
        # 1: pending points available at T0+10d, not yet activated.
        entry(1, "acc_0001", pending, 50, available_at=due_at),
        # 2: pending, then activated: settled.
        entry(2, "acc_0002", pending, 50, available_at=due_at),
        entry(3, "acc_0002", activate, 50, lot_id="led_0002"),
        # 3: pending, then voided: settled.
        entry(4, "acc_0003", pending, 50, available_at=due_at),
        entry(
            5,
            "acc_0003",
            void,
            -50,
            lot_id="led_0004",
            allocations=(Allocation(lot_id="led_0004", points=50),),
        ),
        # 4: a lot expiring at T0+10d, not expired yet.
        entry(6, "acc_0004", earn, 30, lot_id="led_0006", expires_at=due_at),
        # 5: a lot that an expire entry already took.
        entry(7, "acc_0005", earn, 30, lot_id="led_0007", expires_at=due_at),
        entry(
            8,
            "acc_0005",
            expire,
            -30,
            allocations=(Allocation(lot_id="led_0007", points=30),),
        ),
        # 6: a debit never expires; a lot expiring later is not due yet.
        entry(9, "acc_0006", EntryKind.REDEEM, -5, expires_at=due_at),
        entry(10, "acc_0006", earn, 30, lot_id="led_0010", expires_at=due_at.add(days=5)),
        # 7: a lot whose points were all spent has nothing left to expire.
        entry(11, "acc_0007", earn, 20, lot_id="led_0011", expires_at=due_at),
        entry(
            12,
            "acc_0007",
            EntryKind.REDEEM,
            -20,
            allocations=(Allocation(lot_id="led_0011", points=20),),
        ),
    ]
    u.ledger.add_many(entries)
    _derive_states(u, entries)


def _derive_states(u: UnitOfWork, entries: list[LedgerEntry]) -> None:
    """Write the state rows and open lots the entries fold into, as the services do."""
    by_account: dict[str, list[LedgerEntry]] = {}
    for e in sorted(entries, key=lambda e: (e.account_id, e.seq)):
        by_account.setdefault(e.account_id, []).append(e)
    for account_id, ledger in by_account.items():
        folded = LedgerState.replay(ledger)
        earned = sum(e.points for e in ledger if e.kind in (EntryKind.EARN, EntryKind.ACTIVATE))
        u.points.put_many([derive(account_id, folded, last_seq=ledger[-1].seq, earned=earned)])
        u.points.put_lots(open_lots_of(account_id, folded))


@pytest.mark.parametrize("days", [0, 9, 10, 15, 30])
def test_due_accounts_match_the_memory_backend(store: SqlStorage, days: int) -> None:
    """Pending points to activate and lots to expire are found as the reference finds them."""
    memory = MemoryStorage()
    write(memory, _ledger_cases)
    write(store, _ledger_cases)
    as_of = T0.add(days=days)

    def due(u: UnitOfWork) -> list[list[str]]:
        return [
            queries(u).due_accounts(as_of),
            queries(u).due_accounts(as_of, limit=1),
            queries(u).due_accounts(as_of, after="acc_0001"),
            queries(u).due_accounts(as_of, after="acc_0004", limit=1),
        ]

    assert read(memory, due) == read(store, due)


def test_due_accounts_at_ten_days(store: SqlStorage) -> None:
    """At T0+10d: the unactivated pending and the lot with points left, nothing else."""
    write(store, _ledger_cases)

    expected = ["acc_0001", "acc_0004"]
    assert expected == read(store, lambda u: queries(u).due_accounts(T0.add(days=10)))


def _state(n: int, **fields: Any) -> PointsState:
    values: dict[str, Any] = {"account_id": f"acc_{n:04d}", "last_seq": n, "balance": 10 * n}
    return PointsState(**{**values, **fields})


def _lot(n: int, account_id: str, **fields: Any) -> OpenLot:
    values: dict[str, Any] = {
        "id": f"led_{n:04d}",
        "account_id": account_id,
        "pending": False,
        "points": 50,
        "remaining": 20,
        "at": T0,
    }
    return OpenLot(**{**values, **fields})


def test_points_state_and_open_lots_are_upserted_by_key(store: SqlStorage) -> None:
    """put_many / put_lots insert or replace by key, close_lots deletes, reads go by account."""
    full = _state(
        1,
        pending=5,
        debt=3,
        earned=99,
        next_activation=T0.add(days=2),
        next_expiry=T0.add(days=9),
        next_due=T0.add(days=2),
    )
    pending = _lot(
        7, "acc_0001", pending=True, available_at=T0.add(days=2), expires_at=T0.add(days=30)
    )

    def first(u: UnitOfWork) -> None:
        accounts_for("acc_0001", "acc_0002")(u)
        u.points.put_many([_state(1), _state(2)])
        u.points.put_lots([_lot(9, "acc_0001"), pending, _lot(3, "acc_0002", source="order:1")])

    def second(u: UnitOfWork) -> None:
        u.points.put_many([full])
        u.points.put_lots([_lot(9, "acc_0001", remaining=1)])
        u.points.close_lots(["led_0003", "led_0404"])

    write(store, first)
    write(store, second)

    def load(u: UnitOfWork) -> list[object]:
        return [
            u.points.get_many(["acc_0002", "acc_0404", "acc_0001"]),
            u.points.open_lots(["acc_0002", "acc_0001", "acc_0404"]),
        ]

    expected = [
        {"acc_0002": _state(2), "acc_0001": full},
        {
            "acc_0002": [],
            "acc_0001": [pending, _lot(9, "acc_0001", remaining=1)],
            "acc_0404": [],
        },
    ]
    assert expected == read(store, load)


@pytest.mark.parametrize(
    "work",
    [
        lambda u: u.points.put_many([_state(404)]),
        lambda u: u.points.put_lots([_lot(1, "acc_0404")]),
    ],
    ids=["state", "lot"],
)
def test_loyalty_state_of_a_missing_account_is_a_dangling_reference(
    store: SqlStorage, work: Callable[[UnitOfWork], None]
) -> None:
    """A state row or open lot naming no stored account: DanglingReference("account_id")."""
    with pytest.raises(DanglingReference) as error:
        write(store, work)

    assert "account_id" == error.value.field


def _history(u: UnitOfWork) -> None:
    accounts_for("acc_0001", "acc_0002", "acc_0003", "acc_0004")(u)
    days = [0, 3, 1, 7, 7, 12]
    kinds = [EntryKind.EARN, EntryKind.EARN, EntryKind.REDEEM, EntryKind.REVERSE]
    kinds += [EntryKind.ACTIVATE, EntryKind.REVERSE]
    points = [100, 40, -30, -10, 25, 5]
    entries = []
    for n, (day, kind, pts) in enumerate(zip(days, kinds, points, strict=True), start=1):
        taken = (Allocation(lot_id="led_0001", points=-pts),) if pts < 0 else ()
        entries.append(
            entry(
                n,
                "acc_0001",
                kind,
                pts,
                at=T0.add(days=day),
                source=f"order:{n % 2}",
                allocations=taken,
            )
        )
    entries.append(attrs.evolve(entry(1, "acc_0002", EntryKind.EARN, 7), id="led_0100"))
    u.ledger.add_many(entries)
    u.purchases.add_many(
        [
            purchase("a", "acc_0001", "10.00", occurred_at=T0.add(days=1)),
            purchase("b", "acc_0001", "20.00", occurred_at=T0.add(days=5)),
            purchase("c", "acc_0001", "99.00", occurred_at=T0.add(days=5), currency="USD"),
            purchase("d", "acc_0001", "40.00", occurred_at=T0.add(days=9)),
            purchase("e", "acc_0002", "40.00", occurred_at=T0.add(days=5)),
        ]
    )
    u.purchases.add_refund(refund("r1", "b", "5.00"))
    u.purchases.add_refund(refund("r2", "b", "1.00"))
    u.points.put_many([_state(n, balance=b) for n, b in ((1, 30), (2, 50), (3, 30), (4, -2))])


def test_ledger_pages_sources_and_single_entries(store: SqlStorage) -> None:
    """for_account pages by seq, by_source filters, get finds one: each with its allocations."""
    write(store, _history)

    def load(u: UnitOfWork) -> list[object]:
        return [
            u.ledger.for_account("acc_0001"),
            u.ledger.for_account("acc_0001", after_seq=2, limit=2),
            u.ledger.for_account("acc_0001", after_seq=6),
            u.ledger.by_source("acc_0001", "order:1"),
            u.ledger.get("led_0003"),
            u.ledger.get("led_0404"),
        ]

    full, page, past, by_source, one, missing = read(store, load)
    assert isinstance(full, list)
    assert [1, 2, 3, 4, 5, 6] == [e.seq for e in full]
    assert full[2:4] == page
    assert [] == past
    assert [e for e in full if e.source == "order:1"] == by_source
    assert full[2] == one
    assert (Allocation(lot_id="led_0001", points=30),) == full[2].allocations
    assert missing is None


def test_tier_measures_and_balance_ranking_equal_the_reference(store: SqlStorage) -> None:
    """The pushed-down SUMs and ranking give what fallback.py computes over the core port."""
    from relationkit.storage import fallback

    write(store, _history)
    windows = [(T0.subtract(days=1), T0.add(days=30)), (T0, T0.add(days=7)), (T0, T0)]

    def ask(u: UnitOfWork, sql: bool) -> list[object]:
        q: Any = u if sql else fallback
        args: tuple[Any, ...] = () if sql else (u,)
        found: list[object] = []
        for since, until in windows:
            found.append(q.points_earned_between(*args, "acc_0001", since, until))
            found.append(q.net_spend_between(*args, "acc_0001", "EUR", since, until))
        found.append(q.net_spend_between(*args, "acc_0001", "USD", windows[0][0], windows[0][1]))
        found.append(q.top_balances(*args, limit=10))
        found.append(q.top_balances(*args, limit=2, after=(30, "acc_0001")))
        found.append(q.top_balances(*args, limit=1, after=(50, "acc_0002")))
        return found

    reference = read(store, lambda u: ask(u, sql=False))
    assert reference == read(store, lambda u: ask(u, sql=True))
    expected_ranking = [("acc_0002", 50), ("acc_0001", 30), ("acc_0003", 30), ("acc_0004", -2)]
    assert expected_ranking == reference[-3]
    assert [155, 6400] == reference[:2]


# -- errors --------------------------------------------------------------------


def _dup_order(u: UnitOfWork) -> None:
    u.accounts.add_many([account(1)])
    u.purchases.add_many([purchase("o-1", "acc_0001")])
    u.purchases.add_many([purchase("o-1", "acc_0001", id="pur_other")])


def _same_purchase_twice(u: UnitOfWork) -> None:
    u.accounts.add_many([account(1)])
    u.purchases.add_many([purchase("o-1", "acc_0001")])
    u.purchases.add_many([purchase("o-1", "acc_0001")])


def _dup_refund(u: UnitOfWork) -> None:
    u.accounts.add_many([account(1)])
    u.purchases.add_many([purchase("o-1", "acc_0001"), purchase("o-2", "acc_0001")])
    u.purchases.add_refund(refund("r-1", "o-1", "1.00"))
    u.purchases.add_refund(refund("r-1", "o-2", "1.00"))


def _dup_email(u: UnitOfWork) -> None:
    u.accounts.add_many([account(1)])
    u.customers.add_many([customer(1, "acc_0001", email="Ann@X.example")])
    u.customers.add_many([customer(2, "acc_0001", email="ann@x.EXAMPLE")])


def _dup_email_in_one_batch(u: UnitOfWork) -> None:
    u.accounts.add_many([account(1)])
    u.customers.add_many(
        [customer(1, "acc_0001", email="a@x.example"), customer(2, "acc_0001", email="A@x.example")]
    )


def _dup_email_on_update(u: UnitOfWork) -> None:
    u.accounts.add_many([account(1)])
    u.customers.add_many(
        [customer(1, "acc_0001", email="a@x.example"), customer(2, "acc_0001", email="b@x.example")]
    )
    u.customers.update(customer(2, "acc_0001", email="A@x.example"))


def _dup_external(u: UnitOfWork) -> None:
    u.accounts.add_many([account(1)])
    u.customers.add_many([customer(1, "acc_0001", external_id="e-1")])
    u.customers.add_many([customer(2, "acc_0001", external_id="e-1")])


def _same_customer_twice(u: UnitOfWork) -> None:
    u.accounts.add_many([account(1)])
    bob = customer(1, "acc_0001", email="b@x.example", external_id="e-1")
    u.customers.add_many([bob])
    u.customers.add_many([bob])


def _missing_account(u: UnitOfWork) -> None:
    u.customers.add_many([customer(1, "acc_0404")])


def _dup_account(u: UnitOfWork) -> None:
    u.accounts.add_many([account(1)])
    u.accounts.add_many([account(1, name="Other")])


def _dup_idempotency(u: UnitOfWork) -> None:
    record = IdempotencyRecord(scope="s", key="k", payload_hash="h", result="r", created_at=T0)
    u.idempotency.add(record)
    u.idempotency.add(attrs.evolve(record, payload_hash="other"))


@pytest.mark.parametrize(
    ("work", "expected"),
    [
        (_dup_order, "order_id"),
        (_same_purchase_twice, "order_id"),
        (_dup_refund, "refund_id"),
        (_dup_email, "email"),
        (_dup_email_in_one_batch, "email"),
        (_dup_email_on_update, "email"),
        (_dup_external, "external_id"),
        (_same_customer_twice, "customer_id"),
        (_dup_account, "account_id"),
        (_dup_idempotency, "idempotency_key"),
    ],
)
def test_broken_uniqueness_rules_are_named_as_memory_names_them(
    store: SqlStorage, work: Callable[[UnitOfWork], None], expected: str
) -> None:
    """Each broken rule is a DuplicateKey with the memory backend's name, from the driver error."""
    with pytest.raises(DuplicateKey) as memory_error:
        write(MemoryStorage(), work)
    with pytest.raises(DuplicateKey) as sql_error:
        write(store, work)

    assert expected == memory_error.value.constraint
    assert expected == sql_error.value.constraint
    assert isinstance(sql_error.value.__cause__, sa.exc.DBAPIError)


def _missing_order(u: UnitOfWork) -> None:
    u.purchases.add_refund(refund("r-1", "nope", "1.00"))


def _stage_of_missing_account(u: UnitOfWork) -> None:
    u.stages.add_many([StageChange(account_id="acc_0404", from_stage=None, to_stage="lead", at=T0)])


def _purchase_of_missing_account(u: UnitOfWork) -> None:
    u.purchases.add_many([purchase("o-1", "acc_0404")])


def _entry_of_missing_account(u: UnitOfWork) -> None:
    u.ledger.add_many([entry(1, "acc_0404", EntryKind.EARN, 5)])


def _customer_moved_to_missing_account(u: UnitOfWork) -> None:
    u.accounts.add_many([account(1)])
    u.customers.add_many([customer(1, "acc_0001")])
    u.customers.update(customer(1, "acc_0404"))


@pytest.mark.parametrize(
    ("work", "expected"),
    [
        (_missing_account, "account_id"),
        (_missing_order, "order_id"),
        (_stage_of_missing_account, "account_id"),
        (_purchase_of_missing_account, "account_id"),
        (_entry_of_missing_account, "account_id"),
        (_customer_moved_to_missing_account, "account_id"),
    ],
)
def test_a_missing_parent_is_a_dangling_reference(
    store: SqlStorage, work: Callable[[UnitOfWork], None], expected: str
) -> None:
    """A row whose parent is not stored raises DanglingReference naming the reference."""
    with pytest.raises(DanglingReference) as error:
        write(store, work)

    assert expected == error.value.field


def _dup_seq(u: UnitOfWork) -> None:
    u.accounts.add_many([account(1)])
    u.ledger.add_many([entry(1, "acc_0001", EntryKind.EARN, 5)])
    u.ledger.add_many([entry(2, "acc_0001", EntryKind.EARN, 5, seq=1)])


def test_a_taken_ledger_seq_is_a_duplicate_key(store: SqlStorage) -> None:
    """Two entries numbered alike in one account (a concurrent writer): "ledger_seq"."""
    with pytest.raises(DuplicateKey) as error:
        write(store, _dup_seq)

    expected = "ledger_seq"
    assert expected == error.value.constraint


def test_updating_a_missing_record_is_not_found(store: SqlStorage) -> None:
    """update_many and update name the record that is not stored."""
    write(store, lambda u: u.accounts.add_many([account(1)]))

    with pytest.raises(NotFound) as accounts:
        write(store, lambda u: u.accounts.update_many([account(1), account(2)]))
    with pytest.raises(NotFound) as customers:
        write(store, lambda u: u.customers.update(customer(9, "acc_0001")))

    expected = [("account", "acc_0002"), ("customer", "cus_0009")]
    assert expected == [(e.value.kind, e.value.ref) for e in (accounts, customers)]


def test_an_exception_rolls_the_transaction_back(store: SqlStorage) -> None:
    """Leaving the block with an exception keeps none of its writes."""

    def fail(u: UnitOfWork) -> None:
        u.accounts.add_many([account(1)])
        u.purchases.add_many([purchase("o-1", "acc_0001")])
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write(store, fail)

    expected: list[object] = [None, {}]
    assert expected == read(store, lambda u: [get_account(1)(u), u.purchases.get_many(["o-1"])])


def test_a_failed_savepoint_undoes_only_its_own_writes(store: SqlStorage) -> None:
    """After a DuplicateKey inside a savepoint the transaction goes on and commits the rest."""

    def work(u: Any) -> None:
        u.accounts.add_many([account(1)])
        u.purchases.add_many([purchase("o-1", "acc_0001")])
        try:
            with u.savepoint():
                u.accounts.add_many([account(2)])
                u.purchases.add_many([purchase("o-1", "acc_0001")])
        except DuplicateKey:
            pass
        else:
            raise AssertionError("the second o-1 was stored")
        with u.savepoint():
            u.accounts.add_many([account(3)])

    write(store, work)

    expected = ["acc_0001", "acc_0003"]
    assert expected == read(store, lambda u: u.accounts.ids())


def test_a_read_transaction_refuses_writes(store: SqlStorage) -> None:
    """Writing in a read-only transaction is a StorageError, as on the memory backend."""
    with pytest.raises(StorageError):
        read(store, lambda u: u.accounts.add_many([account(1)]))
    with pytest.raises(StorageError):
        read(MemoryStorage(), lambda u: u.accounts.add_many([account(1)]))


# -- schema --------------------------------------------------------------------


def test_reopening_finds_the_data_and_the_version(backend: Backend) -> None:
    """A second open (create=False) checks the tables and the version, and sees the data."""
    first = backend.open()
    write(first, lambda u: u.accounts.add_many([account(1)]))
    first.close()

    again = backend.open(create=False)

    assert account(1) == read(again, get_account(1))
    meta = again.tables.meta
    with backend.engine.connect() as conn:
        stored = conn.execute(sa.select(meta.c.value)).scalar_one()
    assert SCHEMA_VERSION == stored


def test_another_schema_version_is_refused(backend: Backend) -> None:
    """A database recording another version raises SchemaMismatch(found, expected)."""
    first = backend.open()
    meta = first.tables.meta
    with backend.engine.begin() as conn:
        conn.execute(sa.update(meta).values(value="999"))

    with pytest.raises(SchemaMismatch) as error:
        backend.open()

    expected = ("999", SCHEMA_VERSION)
    assert expected == (error.value.found, error.value.expected)


def test_missing_tables_without_create_is_a_storage_error(backend: Backend) -> None:
    """create=False never creates a table: missing ones are reported by name."""
    with pytest.raises(StorageError, match=f"{backend.prefix}accounts"):
        backend.open(create=False)

    created = [
        n for n in sa.inspect(backend.engine).get_table_names() if n.startswith(backend.prefix)
    ]
    expected: list[str] = []
    assert expected == created


def test_tables_join_the_host_metadata_under_their_names(backend: Backend) -> None:
    """The host's MetaData and naming convention get prefixed tables; our names stay ours."""
    host = sa.MetaData(
        naming_convention={
            "pk": "host_pk_%(table_name)s",
            "uq": "host_uq_%(table_name)s_%(constraint_name)s",
            "ix": "host_ix_%(constraint_name)s",
            "fk": "host_fk_%(constraint_name)s",
        }
    )
    sa.Table("host_orders", host, sa.Column("id", sa.Integer, primary_key=True))
    opened = backend.open(metadata=host)

    ours = {name for name in host.tables if name.startswith(backend.prefix)}
    assert {t.name for t in opened.tables.all} == ours
    assert "host_orders" in host.tables
    assert not sa.inspect(backend.engine).has_table("host_orders")  # only ours are created
    uniques = {
        u["name"]
        for u in sa.inspect(backend.engine).get_unique_constraints(f"{backend.prefix}customers")
    }
    expected = {f"uq_{backend.prefix}customers_{c}" for c in ("email_key", "external_id")}
    assert expected == uniques
    with pytest.raises(DuplicateKey) as error:
        write(opened, _dup_email)
    expected_name = "email"
    assert expected_name == error.value.constraint


def test_a_host_connection_joins_the_host_transaction(backend: Backend) -> None:
    """Given a Connection in a transaction, the store writes in a savepoint the host commits."""
    backend.open().close()  # tables, and (SQLite) relationkit's BEGIN handling
    with backend.engine.connect() as conn:
        host_tx = conn.begin()
        joined = SqlStorage(conn, prefix=backend.prefix)
        write(joined, lambda u: u.accounts.add_many([account(1)]))
        assert account(1) == read(joined, get_account(1))
        host_tx.rollback()

    assert read(backend.open(), get_account(1)) is None


# -- bulk and query counts -----------------------------------------------------


def test_add_many_is_one_statement_per_table(backend: Backend, store: SqlStorage) -> None:
    """A batch of purchases is one executemany for purchases and one for all their lines."""
    lines = (
        LineItem(sku="A", quantity=1, unit_price=Money("1.00", "EUR")),
        LineItem(sku="B", quantity=2, unit_price=Money("2.00", "EUR")),
    )
    orders = [purchase(f"o-{n}", "acc_0001", "5.00", lines=lines) for n in range(300)]
    entries = [
        entry(n, "acc_0001", EntryKind.REDEEM, -1, allocations=(Allocation(lot_id="x", points=1),))
        for n in range(300)
    ]
    write(store, accounts_for("acc_0001"))
    seen = backend.statements()

    def bulk(u: UnitOfWork) -> None:
        del seen[:]
        u.purchases.add_many(orders)
        u.ledger.add_many(entries)

    write(store, bulk)

    inserts = [s.split("(")[0].split()[-1] for s in seen if s.startswith("INSERT")]
    expected = [f"{backend.prefix}{t}" for t in ("purchases", "purchase_lines")] + [
        f"{backend.prefix}{t}" for t in ("ledger_entries", "ledger_allocations")
    ]
    assert expected == inserts
    stored = 300
    assert stored == read(store, lambda u: queries(u).count_purchases())


def test_lookups_by_many_keys_take_one_query_per_chunk(backend: Backend, store: SqlStorage) -> None:
    """1,200 keys are three IN lists: no query per key (lines and refunds: one per chunk)."""
    orders = [purchase(f"o-{n:04d}", "acc_0001", "5.00") for n in range(1100)]
    write(store, accounts_for("acc_0001"))
    write(store, lambda u: u.purchases.add_many(orders))
    keys = [f"o-{n:04d}" for n in range(1200)]
    seen = backend.statements()

    def count(work: Callable[[UnitOfWork], object]) -> int:
        def run(u: UnitOfWork) -> None:
            del seen[:]
            work(u)

        read(store, run)
        return len([s for s in seen if s.lstrip().upper().startswith("SELECT")])

    expected = [9, 3, 3, 3, 3, 3, 1100]
    actual = [
        count(lambda u: u.purchases.get_many(keys)),  # heads, lines, refunds: x 3 chunks
        count(lambda u: u.customers.get_many(keys)),
        count(lambda u: u.customers.by_external_ids(keys)),
        count(lambda u: u.accounts.get_many(keys)),
        count(lambda u: queries(u).purchase_counts(keys)),
        count(lambda u: queries(u).ledgers(keys)),  # no entries: no allocation query
        len(read(store, lambda u: u.purchases.get_many(keys))),
    ]
    assert expected == actual


# -- SQLite --------------------------------------------------------------------


def test_sqlite_connections_use_wal_and_foreign_keys(lite: Backend) -> None:
    """Every SQLite connection runs in WAL mode, with foreign keys on and a busy timeout."""
    lite.open()
    with lite.engine.connect() as conn:
        actual = [
            conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        ]

    expected = ["wal", 1, 5000, 1]
    assert expected == actual


def test_sqlite_write_transactions_begin_immediate(lite: Backend) -> None:
    """Writes take the database lock at BEGIN; reads begin a plain (deferred) transaction.

    BEGIN goes to the driver directly (no cursor event), so another
    connection tells: it cannot take the write lock while a write
    transaction is open, even one that has not written yet, and can while a
    read transaction is.
    """
    store = lite.open()
    database = sa.make_url(lite.url).database
    assert database is not None

    def lock_is_free(_uow: object) -> bool:
        other = sqlite3.connect(database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()

    expected = [True, False]
    assert expected == [read(store, lock_is_free), write(store, lock_is_free)]


def test_sqlite_busy_database_is_a_transient_error(lite: Backend) -> None:
    """A second writer waits out the busy timeout, then gets a TransientStorageError."""
    first = lite.open()
    second = SqlStorage.from_url(lite.url, prefix=lite.prefix, busy_timeout=0.05)
    try:
        with first.transaction(write=True) as u:
            u.accounts.add_many([account(1)])
            started = time.monotonic()
            with pytest.raises(TransientStorageError), second.transaction(write=True):
                pass
            assert time.monotonic() - started >= 0.04
    finally:
        second.close()
    expected = ["acc_0001"]
    assert expected == read(first, lambda u: u.accounts.ids())


# -- PostgreSQL ----------------------------------------------------------------


def _second_writer(
    storage: SqlStorage, work: Callable[[UnitOfWork], object]
) -> tuple[threading.Thread, list[float]]:
    """Start ``work`` in a write transaction on another thread; record when it got through."""
    done: list[float] = []

    def run() -> None:
        with storage.transaction(write=True) as u:
            work(u)
            done.append(time.monotonic())

    thread = threading.Thread(target=run)
    thread.start()
    return thread, done


@pytest.mark.postgresql
@pytest.mark.parametrize("many", [False, True])
def test_for_update_blocks_another_writer_until_commit(pg: Backend, many: bool) -> None:
    """A row locked with for_update stops a second locker until the first commits."""
    store = pg.open()
    write(store, lambda u: u.accounts.add_many([account(1), account(2)]))

    def lock(u: UnitOfWork) -> object:
        if many:
            return u.accounts.get_many(["acc_0002", "acc_0001"], for_update=True)
        return u.accounts.get_many(["acc_0001"], for_update=True)

    with store.transaction(write=True) as u:
        lock(u)
        thread, done = _second_writer(store, lock)
        time.sleep(0.3)
        assert not done  # still waiting for our lock
        u.accounts.update_many([account(1, version=1)])
        released = time.monotonic()
    thread.join(timeout=10)

    assert len(done) == 1
    assert done[0] >= released
    expected = account(1, version=1)
    assert expected == read(store, get_account(1))


@pytest.mark.postgresql
def test_a_lock_timeout_is_a_transient_error(pg: Backend) -> None:
    """PostgreSQL's lock_timeout (55P03) becomes TransientStorageError, which the kit retries."""
    store = pg.open()
    write(store, lambda u: u.accounts.add_many([account(1)]))
    impatient = sa.create_engine(pg.url, connect_args={"options": "-c lock_timeout=100"})
    other = SqlStorage(impatient, prefix=pg.prefix, create=False)
    errors: list[BaseException] = []

    def try_lock() -> None:
        try:
            write(other, lambda u: u.accounts.get_many(["acc_0001"], for_update=True))
        except BaseException as e:
            errors.append(e)

    try:
        with store.transaction(write=True) as u:
            u.accounts.get_many(["acc_0001"], for_update=True)
            thread = threading.Thread(target=try_lock)
            thread.start()
            thread.join(timeout=10)
    finally:
        impatient.dispose()

    assert [TransientStorageError] == [type(e) for e in errors]
    cause = errors[0].__cause__
    assert isinstance(cause, sa.exc.DBAPIError)
    lock_not_available = "55P03"
    assert lock_not_available == getattr(cause.orig, "sqlstate", None)
