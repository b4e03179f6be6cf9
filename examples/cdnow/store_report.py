"""What the kit holds after the replay: counts, spenders, a second replay, a refund, a timeline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cdnow_data import iter_orders

import relationkit as rk

from .common import CURRENCY, SpendRow, external_id, heading, money, usd
from .replay import Replayed

REPLAY_CHECK = 1000
"""How many orders the idempotency section sends again."""
TIMELINE_HEAD = 8
TIMELINE_TAIL = 4


def spend_by_account(kit: rk.RelationKit) -> list[SpendRow]:
    """Return every account's net spend, highest first."""
    # top_spenders with a limit of every account is the only public way to
    # total the revenue: there is no revenue query yet.
    accounts = sum(kit.lifecycle.distribution().values())
    return list(kit.purchases.top_spenders(CURRENCY, limit=max(accounts, 1)))


def show_counts(kit: rk.RelationKit, replayed: Replayed, spend: Sequence[SpendRow]) -> None:
    """Print what the kit holds, checked against what was sent."""
    accounts = sum(kit.lifecycle.distribution().values())
    revenue = rk.Money.from_minor(sum(row.net_minor for row in spend), CURRENCY)
    check = "matches" if revenue == replayed.revenue else "DIFFERS FROM"
    heading("What the kit holds")
    print(f"customers   {kit.customers.count():>12,}")
    print(f"accounts    {accounts:>12,}   (one B2C account per customer)")
    print(f"purchases   {kit.purchases.count():>12,}")
    print(f"revenue     {money(revenue):>16}   ({check} the {replayed.orders:,} orders sent)")


def show_top_spenders(kit: rk.RelationKit, spend: Sequence[SpendRow]) -> None:
    """Print the ten accounts with the highest net spend."""
    heading("Top 10 customers by net spend")
    print(f"{'#':>2}  {'customer':<12} {'orders':>6}  {'net spend':>14}")
    for rank, row in enumerate(spend[:10], start=1):
        print(
            f"{rank:>2}  {external_id(kit, row.account_id):<12} {row.orders:>6,}  "
            f"{usd(row.net_minor):>14}"
        )


def show_idempotency(kit: rk.RelationKit, path: Path, replayed: Replayed) -> None:
    """Send the first orders again, then one of them with another total."""
    count = min(REPLAY_CHECK, replayed.orders)
    heading(f"Sending the first {count:,} orders again")
    again = kit.purchases.record_many(iter_orders(path, limit=count))
    print(
        f"record_many -> {again.recorded:,} recorded, {again.unchanged:,} unchanged, "
        f"{again.customers_created:,} customers created: a replay is a no-op"
    )
    first = next(iter_orders(path, limit=1))
    changed = {**first, "total": first["total"] + rk.Money("1.00", CURRENCY)}
    try:
        kit.purchases.record_many([changed])
    except rk.errors.IdempotencyConflict as exc:
        print(f"same order id, total +1.00 -> {type(exc).__name__}: {exc}")
        print(f"  fields={exc.fields!r}; nothing was written")
    else:
        print("same order id, total +1.00 -> accepted (unexpected!)")


def refund_one(kit: rk.RelationKit, account_id: str) -> None:
    """Refund one CD of the account's latest paid order, then replay the refund."""
    paid = [p for p in kit.purchases.history(account_id) if p.total]
    if not paid:
        return
    several = [p for p in paid if p.lines and p.lines[0].quantity > 1]
    order = (several or paid)[-1]
    line = order.lines[0] if order.lines else None
    amount = line.unit_price if line is not None and line.quantity > 1 else order.total
    what = "one CD returned" if amount != order.total else "order cancelled"
    before = order.refundable
    refund_id = f"rma-{order.order_id}"
    refund = kit.purchases.refund(order.order_id, refund_id=refund_id, amount=amount, reason=what)
    after = kit.purchases.get(order.order_id)
    heading("Refund")
    print(
        f"{refund.refund_id} ({what}): {money(refund.amount)} of order {order.order_id}, "
        f"{money(order.total)}"
    )
    if before == after.refundable:
        print("(already refunded by an earlier run of this demo)")
    print(f"left to refund on the order: {money(before)} -> {money(after.refundable)}")
    kit.purchases.refund(order.order_id, refund_id=refund_id, amount=amount, reason=what)
    again = kit.purchases.get(order.order_id)
    print(f"same refund id again -> the stored refund; refunds on the order: {len(again.refunds)}")
    net = next(r.net_minor for r in spend_by_account(kit) if r.account_id == account_id)
    print(f"net spend of {external_id(kit, account_id)} is now {usd(net)}")


def show_timeline(kit: rk.RelationKit, account_id: str) -> None:
    """Print the start and the end of an account's timeline."""
    entries = kit.timeline(account_id)
    shown = len(entries) > TIMELINE_HEAD + TIMELINE_TAIL + 1
    heading(
        f"Timeline of {external_id(kit, account_id)} "
        + (
            f"(first {TIMELINE_HEAD} and last {TIMELINE_TAIL} of {len(entries)} entries, UTC)"
            if shown
            else f"({len(entries)} entries, UTC)"
        )
    )

    def line(entry: rk.TimelineEntry) -> None:
        print(f"{entry.at.format('YYYY-MM-DD HH:mm')}  {entry.kind:<8}  {entry.summary}")

    if not shown:
        for entry in entries:
            line(entry)
        return
    for entry in entries[:TIMELINE_HEAD]:
        line(entry)
    print(f"{'...':>16}  ({len(entries) - TIMELINE_HEAD - TIMELINE_TAIL} more)")
    for entry in entries[-TIMELINE_TAIL:]:
        line(entry)
