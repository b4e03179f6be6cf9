"""Reads that grow with history come in pages: purchases, interactions, the ledger."""

from __future__ import annotations

import pendulum

import relationkit as rk

T0 = pendulum.datetime(2026, 3, 1, 10, tz="UTC")


def _kit_with_history(orders: int) -> tuple[rk.RelationKit, str]:
    kit = rk.open(clock=rk.FrozenClock(T0), loyalty=rk.LoyaltyProgram(currency="EUR"))
    ana = kit.customers.create(email="ana@example.com")
    for n in range(orders):
        at = T0.subtract(hours=n % 7)  # out of order, with ties
        kit.purchases.record(
            order_id=f"o{n}", customer_id=ana.id, occurred_at=at, total=rk.Money(10, "EUR")
        )
        kit.interactions.log(ana.id, channel=rk.Channel.EMAIL, direction="outbound", occurred_at=at)
    return kit, ana.id


def test_purchase_pages_follow_one_another_and_cover_the_history_once() -> None:
    """history(limit=, after=) pages through every purchase in time order, once each."""
    kit, ana = _kit_with_history(23)
    pages: list[list[rk.Purchase]] = []
    last = None
    while True:
        page = kit.purchases.history(ana, limit=5, after=last)
        pages.append(page)
        if len(page) < 5:
            break
        last = page[-1]

    assert [5, 5, 5, 5, 3] == [len(p) for p in pages]
    assert kit.purchases.history(ana) == [p for page in pages for p in page]
    assert kit.purchases.history(ana) == list(kit.purchases.iter_history(ana, page_size=4))


def test_interaction_pages_and_stream_match_the_whole_list() -> None:
    """interactions.history pages and iter_history streams the same rows as the whole list."""
    kit, ana = _kit_with_history(11)
    first = kit.interactions.history(ana, limit=4)
    second = kit.interactions.history(ana, limit=4, after=first[-1])

    assert kit.interactions.history(ana)[:8] == first + second
    assert kit.interactions.history(ana) == list(kit.interactions.iter_history(ana, page_size=3))


def test_ledger_pages_by_seq_and_streams() -> None:
    """loyalty.history(after_seq=, limit=) pages in write order; iter_history streams it."""
    kit, ana = _kit_with_history(9)
    whole = kit.loyalty.history(ana)
    page = kit.loyalty.history(ana, after_seq=3, limit=4)

    assert whole[3:7] == page
    assert whole == list(kit.loyalty.iter_history(ana, page_size=2))
