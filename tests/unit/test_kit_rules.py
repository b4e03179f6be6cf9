"""Kit-level rules over the memory backend: hook failures, referrals, no-savepoint stores.

- A failing hook never hides a committed write's result and never stops an
  import: the result comes back with the failures (and their events), which
  can be delivered again.
- Referral bonuses are earned through the referred customer's first order:
  pending with it, taken back with it.
- A store without savepoints still gives all-or-nothing transactions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pendulum
import pytest

import relationkit as rk
from relationkit.errors import Conflict, HookError, StorageError

T0 = pendulum.datetime(2026, 3, 1, 10, tz="Europe/Paris")


def _rows(count: int) -> Iterator[dict[str, Any]]:
    for i in range(count):
        yield {
            "order_id": f"o-{i}",
            "customer_external_id": f"u-{i % 50}",
            "occurred_at": T0,
            "total": rk.Money(10, "EUR"),
        }


def test_failing_hook_during_an_import_lets_every_row_in() -> None:
    """2,500 rows, a handler failing on each order: all stored, result and failures returned."""
    kit = rk.open(clock=rk.FrozenClock(T0))

    @kit.hooks.on(rk.events.PurchaseRecorded)
    def broken(event: rk.events.PurchaseRecorded) -> None:
        raise RuntimeError("mailer down")

    with pytest.raises(HookError) as caught:
        kit.purchases.record_many(_rows(2500), batch_size=1000)
    assert rk.BulkResult(recorded=2500, unchanged=0, customers_created=50) == caught.value.result
    assert 2500 == kit.purchases.count()
    failures = caught.value.failures
    assert 2500 == len(failures)
    assert {f"o-{i}" for i in range(2500)} == {f.event.order_id for f in failures}

    delivered: list[str] = []
    kit.hooks.off(broken)
    again = [rk.HookFailure(f.event, delivered_to(delivered), f.error) for f in failures]
    kit.hooks.redeliver(again)
    assert 2500 == len(delivered)


def delivered_to(sink: list[str]) -> Any:
    """A handler that records the order ids it is given."""

    def handler(event: rk.events.PurchaseRecorded) -> None:
        sink.append(event.order_id)

    return handler


def test_failing_hook_on_a_committed_write_hands_back_its_result() -> None:
    """The purchase is committed and returned on the error; redelivery runs the handler again."""
    kit = rk.open(clock=rk.FrozenClock(T0))
    ana = kit.customers.create(email="ana@example.com")
    calls: list[str] = []
    healthy = False

    @kit.hooks.on(rk.events.PurchaseRecorded)
    def flaky(event: rk.events.PurchaseRecorded) -> None:
        calls.append(event.order_id)
        if not healthy:
            raise RuntimeError("mailer down")

    order: dict[str, Any] = {
        "order_id": "1001",
        "customer_id": ana.id,
        "occurred_at": T0,
        "total": rk.Money(10, "EUR"),
    }
    with pytest.raises(HookError) as caught:
        kit.purchases.record(**order)
    stored = caught.value.result
    assert isinstance(stored, rk.Purchase)
    assert stored == kit.purchases.get("1001")
    assert stored == kit.purchases.record(**order)  # the provider's retry: a replay
    healthy = True
    kit.hooks.redeliver(caught.value.failures)
    assert ["1001", "1001"] == calls


def _referral_kit() -> tuple[rk.RelationKit, rk.FrozenClock, str, str]:
    clock = rk.FrozenClock(T0)
    program = rk.LoyaltyProgram(
        points_per_unit=1,
        currency="EUR",
        pending_days=14,
        referral_bonus=200,
        referred_bonus=100,
    )
    kit = rk.open(clock=clock, loyalty=program)
    noah = kit.customers.create(email="noah@example.com")
    lena = kit.customers.create(email="lena@example.com")
    kit.loyalty.refer(noah.id, lena.id)
    kit.purchases.record(
        order_id="first", customer_id=lena.id, occurred_at=T0, total=rk.Money(1, "EUR")
    )
    return kit, clock, noah.id, lena.id


def test_a_fully_refunded_first_order_leaves_no_referral_bonus() -> None:
    """A 1 EUR first order refunded within the return window: no points on either side."""
    kit, clock, noah, lena = _referral_kit()
    assert (0, 200) == (kit.loyalty.balance(noah), kit.loyalty.pending(noah))
    assert (0, 101) == (kit.loyalty.balance(lena), kit.loyalty.pending(lena))
    clock.advance(days=3)
    kit.purchases.refund("first", refund_id="r-1", amount=rk.Money(1, "EUR"))
    clock.advance(days=30)
    kit.loyalty.process_due()
    for who in (noah, lena):
        summary = kit.loyalty.summary(who)
        assert (0, 0) == (summary.balance, summary.pending)
    assert kit.loyalty.verify().ok


def test_a_refund_after_the_window_takes_the_referral_bonus_back() -> None:
    """Bonuses that unlocked are reversed with the order (becoming debt if already spent)."""
    kit, clock, noah, lena = _referral_kit()
    clock.advance(days=15)
    kit.loyalty.process_due()
    assert 200 == kit.loyalty.balance(noah)
    kit.loyalty.redeem(noah, 150, idempotency_key="spent")
    kit.purchases.refund("first", refund_id="r-1", amount=rk.Money(1, "EUR"))
    assert -150 == kit.loyalty.balance(noah)
    assert 0 == kit.loyalty.balance(lena)
    assert kit.loyalty.verify().ok


class _NoSavepoints:
    """A store whose units of work cannot nest: the memory store, savepoints hidden."""

    def __init__(self) -> None:
        self.inner = rk.MemoryStorage()

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[object]:
        with self.inner.transaction(write=write) as uow:
            yield _Plain(uow)

    def after_commit(self, callback: Any) -> None:
        self.inner.after_commit(callback)

    def close(self) -> None:
        self.inner.close()


class _Plain:
    def __init__(self, uow: Any) -> None:
        for name in (
            "accounts",
            "customers",
            "stages",
            "interactions",
            "purchases",
            "ledger",
            "idempotency",
        ):
            setattr(self, name, getattr(uow, name))


def test_without_savepoints_a_failed_nested_operation_rolls_back_the_transaction() -> None:
    """The inner error reaches the caller; the block's end refuses to commit half of it."""
    store = _NoSavepoints()
    kit = rk.open(storage=store)  # type: ignore[arg-type]

    def half_failed() -> None:
        with kit.transaction():
            kit.customers.create(email="ana@example.com")
            with pytest.raises(Conflict):
                kit.customers.create(email="ANA@example.com")  # fails inside the transaction

    with pytest.raises(StorageError, match="no savepoints"):
        half_failed()
    assert 0 == kit.customers.count()
    kit.customers.create(email="ana@example.com")
    assert 1 == kit.customers.count()


def test_without_savepoints_a_transaction_that_succeeds_commits() -> None:
    """Nested blocks that do not fail commit together, optional queries fall back."""
    kit = rk.open(storage=_NoSavepoints())  # type: ignore[arg-type]
    with kit.transaction():
        kit.customers.create(email="ana@example.com")
        with kit.transaction():
            kit.customers.create(email="bob@example.com")
    assert 2 == kit.customers.count()
    assert {"lead": 2} == {k: n for k, n in kit.lifecycle.distribution().items() if n}
