"""The ledger's order comes from the store, never from the writers' clocks.

Ids carry the writing process's clock. Two app servers whose clocks disagree,
or backfills that share one frozen instant, used to write entries whose ids
sort in another order than they were written; replayed in id order, a
redemption could come before the earn it spent, its allocation pointed at an
"unknown lot" and was skipped, and the same points were spent again. Entries
now carry ``seq``, assigned under the account's lock, and a debit that does
not fit the ledger is refused.

Runs on an SQLite file (two kits in one process, then processes) and on
PostgreSQL when ``RELATIONKIT_TEST_POSTGRES_URL`` is set.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pendulum
import pytest
import sqlalchemy as sa

import relationkit as rk
from relationkit.errors import InsufficientPoints

T0 = pendulum.datetime(2026, 3, 1, 10, tz="UTC")
PROGRAM = rk.LoyaltyProgram(points_per_unit=1, currency="EUR", pending_days=14)


@pytest.fixture(params=["sqlite", "postgresql"])
def url_and_prefix(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A database URL and a table prefix of the test's own (dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crm.db'}", "rk_"
        return
    url = request.getfixturevalue("postgres_url")
    prefix = f"c{uuid.uuid4().hex[:10]}_"
    yield url, prefix
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    metadata = sa.MetaData()
    metadata.reflect(engine, only=lambda name, _m: name.startswith(prefix))
    metadata.drop_all(engine)
    engine.dispose()


def _kit(url: str, prefix: str, clock: rk.Clock) -> rk.RelationKit:
    return rk.open(url, table_prefix=prefix, clock=clock, loyalty=PROGRAM)


def test_a_writer_whose_clock_is_behind_cannot_spend_points_twice(
    url_and_prefix: tuple[str, str],
) -> None:
    """Two servers, one two seconds behind: 100 earned, one redemption of 100 succeeds."""
    url, prefix = url_and_prefix
    ahead = _kit(url, prefix, rk.FrozenClock(T0))
    behind = _kit(url, prefix, rk.FrozenClock(T0.subtract(seconds=2)))
    try:
        ana = ahead.customers.create(email="ana@example.com")
        ahead.loyalty.earn(ana.id, 100, idempotency_key="gift-1")
        behind.loyalty.redeem(ana.id, 100, idempotency_key="r-1")
        with pytest.raises(InsufficientPoints):
            ahead.loyalty.redeem(ana.id, 100, idempotency_key="r-2")
        with pytest.raises(InsufficientPoints):
            behind.loyalty.redeem(ana.id, 100, idempotency_key="r-3")
        assert 0 == ahead.loyalty.balance(ana.id)
        assert [1, 2] == [e.seq for e in ahead.loyalty.history(ana.id)]
        assert ahead.loyalty.verify().ok
    finally:
        ahead.close()
        behind.close()


def test_a_backfill_rerun_at_the_same_instant_activates_pending_points_once(
    url_and_prefix: tuple[str, str],
) -> None:
    """An import that died and ran again with the same frozen clock settles each lot once."""
    url, prefix = url_and_prefix
    rows = [
        {
            "order_id": f"o-{i}",
            "customer_external_id": "u-1",
            "occurred_at": T0.subtract(days=30).add(hours=i),
            "total": rk.Money(100, "EUR"),
        }
        for i in range(4)
    ]
    first = _kit(url, prefix, rk.FrozenClock(T0))
    try:
        first.purchases.record_many(rows[:2])
    finally:
        first.close()
    # A new process, the same frozen instant: its ids may sort before the first run's.
    again = _kit(url, prefix, rk.FrozenClock(T0))
    try:
        again.purchases.record_many(rows)
        again.loyalty.process_due()
        customer = again.customers.get_by_external_id("u-1")
        assert 400 == again.loyalty.balance(customer.id)
        assert again.loyalty.verify().ok
    finally:
        again.close()


def _spender(url: str, prefix: str, customer_id: str, worker: int) -> tuple[int, int]:
    """Earn 10 and try to redeem 15, five times, with a clock frozen at T0."""
    kit = _kit(url, prefix, rk.FrozenClock(T0))
    earned = spent = 0
    try:
        for i in range(5):
            kit.loyalty.earn(customer_id, 10, idempotency_key=f"e-{worker}-{i}")
            earned += 10
            try:
                kit.loyalty.redeem(customer_id, 15, idempotency_key=f"r-{worker}-{i}")
                spent += 15
            except InsufficientPoints:
                pass
    finally:
        kit.close()
    return earned, spent


def test_processes_sharing_a_frozen_instant_never_overspend(
    url_and_prefix: tuple[str, str],
) -> None:
    """Six processes on one store, one frozen clock: spent never exceeds credited."""
    url, prefix = url_and_prefix
    setup = _kit(url, prefix, rk.FrozenClock(T0))
    ana = setup.customers.create(email="ana@example.com")
    setup.close()
    context = multiprocessing.get_context("spawn")
    with context.Pool(6) as pool:
        results = pool.starmap(_spender, [(url, prefix, ana.id, w) for w in range(6)])
    earned = sum(e for e, _ in results)
    spent = sum(s for _, s in results)
    check = _kit(url, prefix, rk.FrozenClock(T0))
    try:
        assert 300 == earned
        assert spent <= earned
        assert earned - spent == check.loyalty.balance(ana.id)
        history = check.loyalty.history(ana.id)
        assert list(range(1, len(history) + 1)) == [e.seq for e in history]
        assert check.loyalty.verify().ok
    finally:
        check.close()


def _threads(count: int, work: Callable[[int], object]) -> list[object]:
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(work, range(count)))


@pytest.mark.postgresql
def test_concurrent_refunds_with_frozen_clocks_each_take_points_back(postgres_url: str) -> None:
    """Eight partial refunds of one order at once, one frozen instant: every reversal is kept."""
    prefix = f"c{uuid.uuid4().hex[:10]}_"
    clock = rk.FrozenClock(T0)
    kits = [_kit(postgres_url, prefix, clock) for _ in range(8)]
    try:
        ana = kits[0].customers.create(email="ana@example.com")
        kits[0].purchases.record(
            order_id="o-1", customer_id=ana.id, occurred_at=T0, total=rk.Money(800, "EUR")
        )
        _threads(
            8,
            lambda i: kits[i].purchases.refund(
                "o-1", refund_id=f"r-{i}", amount=rk.Money(50, "EUR")
            ),
        )
        summary = kits[0].loyalty.summary(ana.id)
        assert (0, 400) == (summary.balance, summary.pending)
        assert kits[0].loyalty.verify().ok
    finally:
        for kit in kits:
            kit.close()
        engine = sa.create_engine(postgres_url, poolclass=sa.NullPool)
        metadata = sa.MetaData()
        metadata.reflect(engine, only=lambda name, _m: name.startswith(prefix))
        metadata.drop_all(engine)
        engine.dispose()
