"""The shipped Alembic migrations: a schema-2 store with a real history upgrades whole.

Each test builds the revision-1 schema (schema version 2) with the shipped
revisions on an empty database under a prefix of its own, writes a loyalty
history into it with plain Core INSERTs (earns, a redemption spanning two
lots, pending points, an expiry, a refund reversal, a debt), and upgrades it
with the ``relationkit`` command. SQLite file and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import relationkit as rk
from relationkit.cli import main
from relationkit.domain.ledger import EntryKind, LedgerState
from relationkit.domain.points import OpenLot, PointsState
from relationkit.errors import SchemaMismatch
from relationkit.storage.sql import SCHEMA_VERSION, SqlStorage
from relationkit.storage.sql.migrations import REVISIONS
from relationkit.storage.sql.migrations.runner import Revision, current, upgrade
from relationkit.storage.sql.schema.tables import build_tables, new_metadata
from relationkit.storage.sql.types import UtcDateTime

from .test_sql_store import Backend, _open_backend

T0 = pendulum.datetime(2026, 1, 1, tz="UTC")
NOW = T0.add(days=12)
BASELINE = "relationkit_0002"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A SQLite file, or the PostgreSQL test server, with a fresh table prefix (dropped after)."""
    with _open_backend(request.param, tmp_path) as opened:
        yield opened


def _table(backend: Backend, name: str, *columns: str, times: tuple[str, ...] = ()) -> Any:
    cols: list[Any] = [sa.column(c) for c in columns] + [sa.column(c, UtcDateTime()) for c in times]
    return sa.table(f"{backend.prefix}{name}", *cols)


def _entry(
    n: int, account: str, seq: int, kind: EntryKind, points: int, **kw: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"led_{n:03d}",
        "account_id": account,
        "seq": seq,
        "kind": kind.value,
        "points": points,
        "at": T0,
        "recorded_at": T0,
        "lot_id": None,
        "expires_at": None,
        "available_at": None,
        "source": None,
        "reason": None,
        "idempotency_key": None,
        "debt": 0,
    }
    return {**row, **kw}


A, B = "acc_a", "acc_b"
ENTRIES = [
    _entry(1, A, 1, EntryKind.EARN, 100, source="order:1001", expires_at=T0.add(days=365)),
    _entry(
        2,
        A,
        2,
        EntryKind.EARN,
        50,
        source="order:1002",
        at=T0.add(days=1),
        expires_at=T0.add(days=30),
    ),
    # Soonest expiry first: all of lot 2, then 70 of lot 1.
    _entry(
        3,
        A,
        3,
        EntryKind.REDEEM,
        -120,
        source="redeem:rw-1",
        idempotency_key="rw-1",
        at=T0.add(days=2),
    ),
    _entry(
        4,
        A,
        4,
        EntryKind.PENDING,
        40,
        source="order:1003",
        at=T0.add(days=3),
        available_at=T0.add(days=17),
    ),
    _entry(
        5,
        A,
        5,
        EntryKind.EARN,
        20,
        source="order:1004",
        at=T0.add(days=4),
        expires_at=T0.add(days=10),
    ),
    _entry(6, A, 6, EntryKind.EXPIRE, -20, lot_id="led_005", at=T0.add(days=10)),
    # Refund r-1 of order 1001 takes back 10 of its points.
    _entry(
        7, A, 7, EntryKind.REVERSE, -10, source="order:1001", reason="refund", at=T0.add(days=11)
    ),
    _entry(8, B, 1, EntryKind.EARN, 30, source="order:2001"),
    _entry(
        9,
        B,
        2,
        EntryKind.REDEEM,
        -30,
        source="redeem:rw-2",
        idempotency_key="rw-2",
        at=T0.add(days=1),
    ),
    # Refund r-2 of order 2001 after its points were spent: a debt.
    _entry(
        10,
        B,
        3,
        EntryKind.REVERSE,
        -30,
        source="order:2001",
        reason="refund",
        debt=30,
        at=T0.add(days=2),
    ),
]
ALLOCATIONS = [
    ("led_003", 0, "led_002", 50),
    ("led_003", 1, "led_001", 70),
    ("led_006", 0, "led_005", 20),
    ("led_007", 0, "led_001", 10),
    ("led_009", 0, "led_008", 30),
]


def _write_history(backend: Backend) -> None:
    """Customers, accounts, purchases, refunds and ledger rows of schema version 2."""
    accounts = _table(
        backend,
        "accounts",
        "id",
        "name",
        "kind",
        "stage",
        "version",
        "tier",
        times=("stage_since", "created_at"),
    )
    customers = _table(
        backend,
        "customers",
        "id",
        "account_id",
        "email",
        "email_key",
        "name",
        "external_id",
        "role",
        "attributes",
        times=("created_at", "updated_at"),
    )
    purchases = _table(
        backend,
        "purchases",
        "id",
        "order_id",
        "account_id",
        "customer_id",
        "total_minor",
        "currency",
        "points_used",
        times=("occurred_at", "recorded_at"),
    )
    refunds = _table(
        backend,
        "refunds",
        "refund_id",
        "order_id",
        "amount_minor",
        "currency",
        "reason",
        times=("occurred_at", "recorded_at"),
    )
    entries = _table(
        backend,
        "ledger_entries",
        *(k for k in ENTRIES[0] if not k.endswith("_at") and k != "at"),
        times=("at", "recorded_at", "expires_at", "available_at"),
    )
    allocations = _table(backend, "ledger_allocations", "entry_id", "position", "lot_id", "points")
    with backend.engine.begin() as conn:
        conn.execute(
            accounts.insert(),
            [
                {
                    "id": a,
                    "name": a,
                    "kind": "b2c",
                    "stage": "customer",
                    "version": 1,
                    "tier": None,
                    "stage_since": T0,
                    "created_at": T0,
                }
                for a in (A, B)
            ],
        )
        conn.execute(
            customers.insert(),
            [
                {
                    "id": f"cus_{a}",
                    "account_id": a,
                    "email": f"{a}@x.example",
                    "email_key": f"{a}@x.example",
                    "name": None,
                    "external_id": None,
                    "role": None,
                    "attributes": sa.null() if False else "{}",
                    "created_at": T0,
                    "updated_at": T0,
                }
                for a in (A, B)
            ],
        )
        conn.execute(
            purchases.insert(),
            [
                {
                    "id": f"pur_{o}",
                    "order_id": o,
                    "account_id": a,
                    "customer_id": f"cus_{a}",
                    "total_minor": 10000,
                    "currency": "EUR",
                    "points_used": 0,
                    "occurred_at": T0,
                    "recorded_at": T0,
                }
                for o, a in (("1001", A), ("1002", A), ("1003", A), ("1004", A), ("2001", B))
            ],
        )
        conn.execute(
            refunds.insert(),
            [
                {
                    "refund_id": r,
                    "order_id": o,
                    "amount_minor": m,
                    "currency": "EUR",
                    "reason": None,
                    "occurred_at": T0.add(days=d),
                    "recorded_at": T0.add(days=d),
                }
                for r, o, m, d in (("r-1", "1001", 1000, 11), ("r-2", "2001", 10000, 2))
            ],
        )
        conn.execute(entries.insert(), ENTRIES)
        conn.execute(
            allocations.insert(),
            [
                dict(zip(("entry_id", "position", "lot_id", "points"), a, strict=True))
                for a in ALLOCATIONS
            ],
        )


def _baseline_with_history(backend: Backend) -> None:
    assert Revision(revision=BASELINE, schema_version="2") == upgrade(
        backend.engine, prefix=backend.prefix, revision=BASELINE
    )
    _write_history(backend)


def _program() -> rk.LoyaltyProgram:
    return rk.LoyaltyProgram(currency="EUR", points_per_unit=1)


def test_an_upgraded_store_holds_the_state_its_ledger_implies(backend: Backend) -> None:
    """After ``relationkit db upgrade``: verify() is ok, balances are the fold's, redeem
    works, and the refunds are on their orders' accounts' timelines."""
    _baseline_with_history(backend)

    assert 0 == main(["db", "upgrade", backend.url, "--prefix", backend.prefix])

    clock = rk.FrozenClock(NOW)
    with rk.open(backend.url, table_prefix=backend.prefix, clock=clock, loyalty=_program()) as kit:
        assert kit.loyalty.verify().ok
        assert (20, 40) == (kit.loyalty.balance(A), kit.loyalty.pending(A))
        assert -30 == kit.loyalty.balance(B)
        kit.loyalty.redeem(A, 15, idempotency_key="after-upgrade")
        assert 5 == kit.loyalty.balance(A)
        assert kit.loyalty.verify().ok
        # Version 9 filled each refund's account from its order.
        assert (["r-1"], ["r-2"]) == tuple(
            [e.ref for e in kit.timeline(a) if e.kind == "refund"] for a in (A, B)
        )


def test_the_fill_writes_what_folding_the_entries_gives(backend: Backend) -> None:
    """The state rows and open lots the migration writes are exactly the domain's fold."""
    _baseline_with_history(backend)
    upgrade(backend.url, prefix=backend.prefix)

    storage = SqlStorage(backend.engine, prefix=backend.prefix, create=False)
    with storage.transaction(write=False) as uow:
        states = uow.points.get_many([A, B])
        lots = uow.points.open_lots([A, B])
        ledger_a = uow.ledger.for_account(A)
    storage.close()

    expected_a = PointsState(
        account_id=A,
        last_seq=7,
        balance=20,
        pending=40,
        debt=0,
        earned=160,
        next_activation=T0.add(days=17),
        next_expiry=T0.add(days=365),
        next_due=T0.add(days=17),
    )
    expected_b = PointsState(account_id=B, last_seq=3, balance=-30, debt=30, earned=0)
    assert {A: expected_a, B: expected_b} == states
    assert LedgerState.replay(ledger_a).balance(NOW) == states[A].balance
    expected_lots = [
        OpenLot(
            id="led_001",
            account_id=A,
            pending=False,
            points=100,
            remaining=20,
            at=T0,
            expires_at=T0.add(days=365),
            source="order:1001",
        ),
        OpenLot(
            id="led_004",
            account_id=A,
            pending=True,
            points=40,
            remaining=40,
            at=T0.add(days=3),
            available_at=T0.add(days=17),
            source="order:1003",
        ),
    ]
    assert {A: expected_lots, B: []} == lots


def test_an_outdated_store_is_refused_with_the_upgrade_command(backend: Backend) -> None:
    """rk.open on a schema-2 store: SchemaMismatch naming ``relationkit db upgrade <url>``."""
    _baseline_with_history(backend)
    url = backend.engine.url.render_as_string(hide_password=True)

    with pytest.raises(SchemaMismatch) as error:
        rk.open(engine=backend.engine, table_prefix=backend.prefix)

    command = f"relationkit db upgrade {url} --prefix {backend.prefix}"
    assert ("2", SCHEMA_VERSION, command) == (
        error.value.found,
        error.value.expected,
        error.value.upgrade,
    )
    assert command in str(error.value)


def test_a_store_rk_open_created_is_stamped_then_upgraded(backend: Backend) -> None:
    """A store with no recorded revision is placed by its meta version; upgrading is a no-op."""
    SqlStorage(backend.engine, prefix=backend.prefix).close()

    assert Revision(revision=None, schema_version=SCHEMA_VERSION) == current(
        backend.engine, prefix=backend.prefix
    )
    assert Revision(revision=REVISIONS[SCHEMA_VERSION], schema_version=SCHEMA_VERSION) == upgrade(
        backend.engine, prefix=backend.prefix
    )


def test_a_migrated_store_matches_the_declared_tables(backend: Backend) -> None:
    """Alembic's autogenerate finds no difference between the migrated tables and build_tables."""
    upgrade(backend.engine, prefix=backend.prefix)
    declared = new_metadata()
    build_tables(declared, backend.prefix)

    with backend.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "version_table": f"{backend.prefix}alembic_version",
                "compare_type": True,
                "include_name": lambda name, kind, _parent: (
                    kind != "table" or str(name).startswith(backend.prefix)
                ),
            },
        )
        differences = compare_metadata(context, declared)

    assert [] == differences


def test_db_current_reports_the_revision(
    backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    """``relationkit db current`` prints the recorded revision and schema version."""
    upgrade(backend.engine, prefix=backend.prefix, revision=BASELINE)

    assert 0 == main(["db", "current", backend.url, "--prefix", backend.prefix])

    assert f"{BASELINE} (schema version 2)\n" == capsys.readouterr().out
