"""Checkout races on PostgreSQL: held points are never spent twice, by two workers at once.

Two kits (two engines, two connection pools) over one store, each with
threads released together by a barrier: one captures a hold through the
order-paid webhook while the other redeems, or places a second hold,
against the same account. The account lock serialises them; whatever the
order, the points spent never exceed the points there were, and the
ledger verifies.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pendulum
import pytest

import relationkit as rk
from relationkit.errors import InsufficientPoints

from ._races import T0, kit_pair

pytestmark = pytest.mark.postgresql

CART = pendulum.duration(minutes=30)
PROGRAM = rk.LoyaltyProgram(currency="EUR")


@pytest.fixture
def kits(postgres_url: str) -> Iterator[tuple[rk.RelationKit, rk.RelationKit]]:
    """Two kits over one PostgreSQL store under a prefix of the test's own (dropped after)."""
    with kit_pair(postgres_url, loyalty=PROGRAM) as pair:
        yield pair


def _at_once(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads released together; return results or the errors raised."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> object:
        barrier.wait(10)
        try:
            return call()
        except InsufficientPoints as refused:
            return refused

    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [f.result(timeout=60) for f in futures]


def test_a_capture_and_a_redemption_at_once_never_overspend(
    kits: tuple[rk.RelationKit, rk.RelationKit],
) -> None:
    """300 of 500 points are held; the capture and a redemption of 300 race:
    the capture wins whatever the order, the redemption is refused."""
    a, b = kits
    for round_ in range(3):
        ana = a.customers.create(email=f"ana{round_}@example.com")
        a.loyalty.earn(ana.id, 500, idempotency_key=f"e-{round_}")
        hold = a.loyalty.hold(ana.id, 300, idempotency_key=f"cart-{round_}", expires_in=CART)

        captured, redeemed = _at_once(
            functools.partial(
                a.purchases.record,
                order_id=f"o-{round_}",
                customer_id=ana.id,
                occurred_at=T0,
                total=rk.Money("0.00", "EUR"),
                hold_id=hold.id,
            ),
            functools.partial(b.loyalty.redeem, ana.id, 300, idempotency_key=f"r-{round_}"),
        )

        assert isinstance(captured, rk.Purchase)
        assert isinstance(redeemed, InsufficientPoints)
        assert (200, 0) == (a.loyalty.balance(ana.id), a.loyalty.summary(ana.id).held)
    assert () == a.loyalty.verify().problems


def test_two_holds_at_once_never_reserve_the_same_points(
    kits: tuple[rk.RelationKit, rk.RelationKit],
) -> None:
    """Two checkouts of 300 of 500 points race: one holds, the other is refused,
    and the capture of the winner leaves 200."""
    a, b = kits
    ana = a.customers.create(email="ana@example.com")
    a.loyalty.earn(ana.id, 500, idempotency_key="e")

    results = _at_once(
        lambda: a.loyalty.hold(ana.id, 300, idempotency_key="cart-a", expires_in=CART),
        lambda: b.loyalty.hold(ana.id, 300, idempotency_key="cart-b", expires_in=CART),
    )
    holds = [r for r in results if isinstance(r, rk.Hold)]
    refused = [r for r in results if isinstance(r, InsufficientPoints)]
    [winner] = holds
    a.purchases.record(
        order_id="o",
        customer_id=ana.id,
        occurred_at=T0,
        total=rk.Money("0.00", "EUR"),
        hold_id=winner.id,
    )

    assert (1, 1) == (len(holds), len(refused))
    assert 200 == a.loyalty.balance(ana.id)
    assert () == a.loyalty.verify().problems
