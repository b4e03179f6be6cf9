"""Races that only a store with row locks and READ COMMITTED shows: PostgreSQL.

- A read inside ``kit.transaction()`` caches the account without a lock; a
  later write in the same transaction must act on the row it locks, never
  write the stale copy back over another kit's committed change.
- The same refund delivered twice at the same moment returns the stored
  refund to both callers; neither is told the order has nothing left.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pendulum
import pytest
import sqlalchemy as sa

import relationkit as rk

pytestmark = pytest.mark.postgresql

T0 = pendulum.datetime(2026, 3, 1, 10, tz="UTC")


@pytest.fixture
def prefix(postgres_url: str) -> Iterator[str]:
    """A table prefix of the test's own, dropped afterwards."""
    name = f"r{uuid.uuid4().hex[:10]}_"
    yield name
    engine = sa.create_engine(postgres_url, poolclass=sa.NullPool)
    metadata = sa.MetaData()
    metadata.reflect(engine, only=lambda table, _m: table.startswith(name))
    metadata.drop_all(engine)
    engine.dispose()


def test_a_write_after_a_read_in_one_transaction_keeps_the_other_kits_change(
    postgres_url: str, prefix: str
) -> None:
    """Kit A reads, kit B moves the stage and commits, kit A writes: B's move survives."""
    program = rk.LoyaltyProgram(points_per_unit=1, currency="EUR")
    a = rk.open(postgres_url, table_prefix=prefix, clock=rk.FrozenClock(T0), loyalty=program)
    b = rk.open(postgres_url, table_prefix=prefix, clock=rk.FrozenClock(T0), loyalty=program)
    events: list[rk.events.Event] = []
    a.hooks.on(rk.events.Event, events.append)
    b.hooks.on(rk.events.Event, events.append)
    try:
        ana = a.customers.create(email="ana@example.com")
        read_done = threading.Event()
        b_done = threading.Event()

        def in_a() -> None:
            with a.transaction():
                a.loyalty.balance(ana.id)  # caches the account, unlocked
                read_done.set()
                assert b_done.wait(30)
                a.loyalty.earn(ana.id, 10, idempotency_key="gift")

        def in_b() -> None:
            assert read_done.wait(30)
            b.lifecycle.move(ana.id, "qualified", reason="demo booked")
            b_done.set()

        with ThreadPoolExecutor(2) as pool:
            for done in [pool.submit(in_a), pool.submit(in_b)]:
                done.result(timeout=60)
        account = a.accounts.get(ana.id)
        assert "qualified" == account.stage
        assert 10 == a.loyalty.balance(ana.id)
        sequences = sorted(e.sequence for e in events if e.aggregate_id == account.id)
        assert list(range(1, account.version + 1)) == sequences
    finally:
        a.close()
        b.close()


def test_a_refund_delivered_twice_at_once_returns_the_stored_refund(
    postgres_url: str, prefix: str
) -> None:
    """Sixteen pairs of identical refund deliveries: each pair stores one refund, both succeed."""
    kits = [rk.open(postgres_url, table_prefix=prefix, clock=rk.FrozenClock(T0)) for _ in (0, 1)]
    try:
        ana = kits[0].customers.create(email="ana@example.com")
        for n in range(16):
            kits[0].purchases.record(
                order_id=f"o-{n}", customer_id=ana.id, occurred_at=T0, total=rk.Money(10, "EUR")
            )
        barrier = threading.Barrier(2)

        def deliver(args: tuple[int, int]) -> rk.Refund:
            n, side = args
            barrier.wait(30)
            return kits[side].purchases.refund(
                f"o-{n}", refund_id=f"r-{n}", amount=rk.Money(10, "EUR")
            )

        with ThreadPoolExecutor(2) as pool:
            for n in range(16):
                first, second = pool.map(deliver, [(n, 0), (n, 1)])
                assert first == second
        for n in range(16):
            assert [f"r-{n}"] == [r.refund_id for r in kits[0].purchases.get(f"o-{n}").refunds]
    finally:
        for kit in kits:
            kit.close()
