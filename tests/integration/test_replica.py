"""Reads on a PostgreSQL streaming standby: routing, read-your-writes and lag.

The server tests need a primary (``RELATIONKIT_TEST_POSTGRES_URL``) and a hot
standby of it (``RELATIONKIT_TEST_POSTGRES_REPLICA_URL``); ``scripts/test.sh``
starts both (``scripts/postgres.sh start-replica``). Without the second
variable they are skipped, with the reason in the summary. They pause the
standby's replay (``pg_wal_replay_pause()``) to make it lag on demand, so they
take turns through an advisory lock on the primary (pytest-xdist runs two
workers) and always resume replay afterwards. The refusals need no server.

Which server answered a read is seen on the replica's engine: the tests hand
``rk.open`` an engine whose statements they record.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

import relationkit as rk
from relationkit.errors import NotFound, StorageError, ValidationError
from relationkit.storage.ports import SpendRow
from relationkit.storage.sql import ReplicatedStorage
from relationkit.storage.sql import replica as replica_module

POSTGRES_ENV = "RELATIONKIT_TEST_POSTGRES_URL"
REPLICA_ENV = "RELATIONKIT_TEST_POSTGRES_REPLICA_URL"

needs_replica = pytest.mark.skipif(
    not (os.environ.get(POSTGRES_ENV) and os.environ.get(REPLICA_ENV)),
    reason=f"needs {POSTGRES_ENV} and {REPLICA_ENV} (scripts/postgres.sh start-replica)",
)
needs_primary = pytest.mark.skipif(
    not os.environ.get(POSTGRES_ENV), reason=f"needs {POSTGRES_ENV} (scripts/postgres.sh start)"
)

_TURNS = 0x5245504C  # the advisory lock the replica tests take turns with
_WAIT = 10.0  # seconds a standby may take to receive or replay what a test wrote


class Recorder:
    """The statements an engine ran, in order."""

    def __init__(self, engine: sa.Engine) -> None:
        self.statements: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        self.statements.append(" ".join(statement.split()))

    def touching(self, table: str) -> list[str]:
        """Return the statements that name ``table``."""
        return [s for s in self.statements if table in s]


class Standby:
    """The pair of servers under test, and the controls of the standby's replay."""

    def __init__(self, primary_url: str, replica_url: str) -> None:
        self.primary_url = primary_url
        self.replica_url = replica_url
        self.primary = sa.create_engine(primary_url, poolclass=sa.NullPool)
        self.replica = sa.create_engine(replica_url, poolclass=sa.NullPool)

    def _replica_value(self, sql: str) -> Any:
        with self.replica.connect() as connection:
            return connection.execute(sa.text(sql)).scalar_one()

    def pause(self) -> None:
        """Stop the standby's replay (it still receives WAL)."""
        self._replica_value("SELECT pg_wal_replay_pause()::text")

    def resume(self) -> None:
        """Let the standby replay again."""
        self._replica_value("SELECT pg_wal_replay_resume()::text")

    def _wait(self, function: str) -> None:
        with self.primary.connect() as connection:
            target = connection.execute(sa.text("SELECT pg_current_wal_lsn()::text")).scalar_one()
        deadline = time.monotonic() + _WAIT
        check = f"SELECT {function}() >= CAST(:target AS pg_lsn)"
        while True:
            with self.replica.connect() as connection:
                if connection.execute(sa.text(check), {"target": target}).scalar_one():
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"the standby's {function} stayed behind {target}")
            time.sleep(0.01)

    def wait_received(self) -> None:
        """Wait until the standby has received everything the primary wrote so far."""
        self._wait("pg_last_wal_receive_lsn")

    def wait_replayed(self) -> None:
        """Wait until the standby has replayed everything the primary wrote so far."""
        self._wait("pg_last_wal_replay_lsn")

    def dispose(self) -> None:
        """Close the engines."""
        self.primary.dispose()
        self.replica.dispose()


@pytest.fixture
def standby() -> Iterator[Standby]:
    """The servers, this test's turn at pausing replay, and replay resumed afterwards."""
    servers = Standby(os.environ[POSTGRES_ENV], os.environ[REPLICA_ENV])
    with servers.primary.connect() as turn:
        turn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": _TURNS})
        try:
            servers.resume()
            yield servers
        finally:
            servers.resume()
            turn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _TURNS})
    servers.dispose()


@pytest.fixture
def prefix(standby: Standby) -> Iterator[str]:
    """A table prefix of this test's own, its tables dropped on the primary afterwards."""
    name = f"r{uuid.uuid4().hex[:10]}_"
    yield name
    metadata = sa.MetaData()
    metadata.reflect(standby.primary, only=lambda table, _meta: table.startswith(name))
    metadata.drop_all(standby.primary)


OpenKit = Callable[..., tuple[rk.RelationKit, Recorder]]


@pytest.fixture
def kits(standby: Standby, prefix: str) -> Iterator[OpenKit]:
    """Open kits on the primary with a recorded replica engine; the other arguments pass on."""
    opened: list[tuple[rk.RelationKit, sa.Engine]] = []

    def open_kit(**options: Any) -> tuple[rk.RelationKit, Recorder]:
        engine = sa.create_engine(standby.replica_url)
        recorder = Recorder(engine)
        kit = rk.open(standby.primary_url, replica=engine, table_prefix=prefix, **options)
        opened.append((kit, engine))
        return kit, recorder

    yield open_kit
    for kit, engine in opened:
        kit.close()
        engine.dispose()


@pytest.fixture
def writer(standby: Standby, prefix: str, kits: OpenKit) -> Iterator[rk.RelationKit]:
    """Another writer: a kit on the primary alone (its writes are no reader's own)."""
    kit = rk.open(standby.primary_url, table_prefix=prefix)
    yield kit
    kit.close()


def storage(kit: rk.RelationKit) -> ReplicatedStorage:
    """Return the kit's store, which ``replica=`` made a :class:`ReplicatedStorage`."""
    assert isinstance(kit.storage, ReplicatedStorage)
    return kit.storage


def found(kit: rk.RelationKit, customer_id: str) -> str | None:
    """Return the customer's id if the kit's read finds it, else None."""
    try:
        return kit.customers.get(customer_id).id
    except NotFound:
        return None


def new_customer(kit: rk.RelationKit) -> str:
    """Create a customer and return its id."""
    return kit.customers.create(email=f"{uuid.uuid4().hex[:8]}@example.com", name="Ada").id


@needs_replica
def test_a_write_on_the_primary_is_read_from_the_replica_once_replayed(
    standby: Standby, prefix: str, kits: OpenKit, writer: rk.RelationKit
) -> None:
    """Another writer's customer is served by the replica after replay."""
    kit, replica = kits()
    customer_id = new_customer(writer)
    standby.wait_replayed()
    before = len(replica.touching(f"{prefix}customers"))

    assert customer_id == found(kit, customer_id)
    assert 1 == len(replica.touching(f"{prefix}customers")) - before


@needs_replica
def test_while_replay_is_paused_reads_are_stale_unless_sent_to_the_primary(
    standby: Standby, kits: OpenKit, writer: rk.RelationKit
) -> None:
    """A lagging replica serves stale reads; ``storage.primary()`` reads fresh; replay heals."""
    kit, _ = kits()
    standby.pause()
    customer_id = new_customer(writer)
    standby.wait_received()

    assert found(kit, customer_id) is None
    with storage(kit).primary():
        assert customer_id == found(kit, customer_id)
    assert found(kit, customer_id) is None

    standby.resume()
    standby.wait_replayed()
    assert customer_id == found(kit, customer_id)


@needs_replica
def test_max_replica_lag_sends_reads_to_the_primary_while_the_replica_is_behind(
    standby: Standby, prefix: str, kits: OpenKit, writer: rk.RelationKit
) -> None:
    """Beyond ``max_replica_lag`` reads go to the primary; within it, to the replica."""
    kit, replica = kits(max_replica_lag=0.2)
    standby.pause()
    customer_id = new_customer(writer)
    standby.wait_received()
    deadline = time.monotonic() + _WAIT
    while (storage(kit).status().lag or 0.0) <= 0.2:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    before = len(replica.touching(f"{prefix}customers"))

    assert customer_id == found(kit, customer_id)
    assert 0 == len(replica.touching(f"{prefix}customers")) - before

    standby.resume()
    standby.wait_replayed()
    # Other tests write to the primary meanwhile: the standby may be a few
    # transactions behind again, but soon within the limit.
    deadline = time.monotonic() + _WAIT
    while (lag := storage(kit).status().lag) is None or lag > 0.1:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert customer_id == found(kit, customer_id)
    assert 1 <= len(replica.touching(f"{prefix}customers")) - before


@needs_replica
def test_a_thread_reads_its_own_writes_while_other_threads_may_not(
    standby: Standby, prefix: str, kits: OpenKit
) -> None:
    """After its write, a thread reads the primary until the replica replayed it; others don't."""
    kit, replica = kits()
    standby.pause()
    customer_id = new_customer(kit)
    before = len(replica.touching(f"{prefix}customers"))

    assert customer_id == found(kit, customer_id)
    assert 0 == len(replica.touching(f"{prefix}customers")) - before
    standby.wait_received()
    elsewhere: list[str | None] = []
    other = threading.Thread(target=lambda: elsewhere.append(found(kit, customer_id)))
    other.start()
    other.join()
    assert [None] == elsewhere

    standby.resume()
    standby.wait_replayed()
    assert customer_id == found(kit, customer_id)
    assert 2 == len(replica.touching(f"{prefix}customers")) - before


@needs_replica
def test_reads_inside_a_kit_transaction_run_on_the_primary(
    standby: Standby, kits: OpenKit, writer: rk.RelationKit
) -> None:
    """Inside ``kit.transaction()`` reads see the primary and the replica is not asked."""
    kit, replica = kits()
    standby.pause()
    customer_id = new_customer(writer)
    standby.wait_received()
    before = len(replica.statements)

    with kit.transaction():
        inside = found(kit, customer_id)
        kit.lifecycle.move(customer_id, "qualified", reason="demo booked")
        stage = kit.lifecycle.stage(customer_id)

    assert (customer_id, "qualified") == (inside, stage)
    assert [] == replica.statements[before:]


@needs_replica
def test_writes_never_reach_the_replica_and_its_schema_is_checked_read_only(
    standby: Standby, prefix: str, kits: OpenKit
) -> None:
    """The replica only ever runs SELECTs: the schema check at open, then reads."""
    kit, replica = kits()
    customer = kit.customers.create(email="grace@example.com", name="Grace")
    kit.lifecycle.move(customer.id, "qualified", reason="call")
    kit.purchases.record(
        order_id="o-1",
        customer_id=customer.id,
        occurred_at=pendulum.datetime(2026, 3, 1, 10, tz="UTC"),
        total=rk.Money("59.90", "EUR"),
    )
    kit.purchases.refund("o-1", refund_id="r-1", amount=rk.Money("9.90", "EUR"))
    standby.wait_replayed()
    kit.purchases.history(customer.id)

    verbs = {statement.split(" ", 1)[0].upper() for statement in replica.statements}
    assert {"SELECT"} == verbs
    assert [] != replica.touching(f"{prefix}meta")
    assert [] != replica.touching(f"{prefix}purchases")


@needs_replica
def test_the_analytics_policy_keeps_ordinary_reads_on_the_primary(
    standby: Standby, kits: OpenKit, writer: rk.RelationKit
) -> None:
    """With ``replica_reads="analytics"`` lookups are fresh while rankings may lag."""
    kit, _ = kits(replica_reads="analytics")
    customer_id = new_customer(writer)
    standby.wait_replayed()
    standby.pause()
    purchase = writer.purchases.record(
        order_id="o-7",
        customer_id=customer_id,
        occurred_at=pendulum.datetime(2026, 3, 1, 10, tz="UTC"),
        total=rk.Money("59.90", "EUR"),
    )
    standby.wait_received()

    assert purchase == kit.purchases.get("o-7")
    assert [] == kit.purchases.top_spenders("EUR")

    standby.resume()
    standby.wait_replayed()
    account_id = kit.customers.get(customer_id).account_id
    expected = [SpendRow(account_id=account_id, currency="EUR", net_minor=5990, orders=1)]
    assert expected == kit.purchases.top_spenders("EUR")


@needs_replica
def test_a_replica_that_has_not_replayed_the_tables_is_refused_at_open(
    standby: Standby, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening checks the replica's tables; ones it cannot replay in time refuse the open."""
    monkeypatch.setattr(replica_module, "_CATCH_UP_SECONDS", 0.2)
    standby.pause()
    with pytest.raises(StorageError) as caught:
        rk.open(standby.primary_url, replica=standby.replica_url, table_prefix=prefix)
    assert str(caught.value).startswith("the replica cannot serve this store: ")
    assert caught.value.__cause__ is not None


@needs_primary
def test_a_server_that_is_not_a_standby_is_refused_as_replica() -> None:
    """The primary itself given as the replica is refused with a typed error."""
    url = os.environ[POSTGRES_ENV]
    prefix = f"r{uuid.uuid4().hex[:10]}_"
    with pytest.raises(ValidationError) as caught:
        rk.open(url, replica=url, table_prefix=prefix)
    assert "replica" == caught.value.field
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine, only=lambda table, _meta: table.startswith(prefix))
        metadata.drop_all(engine)
    finally:
        engine.dispose()


_PG = "postgresql+psycopg://nobody@127.0.0.1:1/none"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        pytest.param(
            {"url": _PG, "replica": "sqlite:///replica.db"}, "replica", id="sqlite-replica"
        ),
        pytest.param({"url": "sqlite:///crm.db", "replica": _PG}, "replica", id="sqlite-primary"),
        pytest.param({"replica": _PG}, "replica", id="memory-primary"),
        pytest.param({"storage": rk.MemoryStorage(), "replica": _PG}, "replica", id="storage"),
        pytest.param({"url": _PG, "replica": 42}, "replica", id="not-a-url"),
        pytest.param({"url": _PG, "replica": _PG, "replica_reads": "some"}, "replica_reads"),
        pytest.param({"url": _PG, "replica": _PG, "max_replica_lag": -1}, "max_replica_lag"),
        pytest.param({"url": "sqlite:///crm.db", "max_replica_lag": 5}, "replica", id="no-replica"),
    ],
)
def test_replicas_the_primary_cannot_have_are_refused_before_anything_opens(
    arguments: dict[str, Any], field: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A non-PostgreSQL replica or primary, or a bad option, is a ValidationError; no file made."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValidationError) as caught:
        rk.open(**arguments)
    assert field == caught.value.field
    assert [] == list(tmp_path.iterdir())
