"""Replay 69,659 real CDNOW purchases into relationkit, then show what it knows.

Run it with ``make demo`` or::

    python examples/cdnow_demo.py                 # SQLite file ./cdnow_demo.db
    python examples/cdnow_demo.py --limit 2000    # a quick run
    python examples/cdnow_demo.py --memory        # the in-memory backend

The orders arrive the way an e-commerce backend would send them: batches of
``record_many`` rows naming the customer by the shop's own id
(``customer_external_id``), so customers are created on their first order.
The kit's clock is frozen at 1998-07-01, the end of the data.

The program is split into :func:`open_kit`, :func:`replay` and
:func:`report`; each report section is its own function, so more sections
(loyalty, scores) slot into :func:`report`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pendulum
from cdnow_data import MASTER, OrderRow, count_orders, iter_orders

import relationkit as rk

CURRENCY = "USD"
END_OF_DATA = pendulum.datetime(1998, 7, 1, tz="UTC")
"""The kit's frozen clock: the day after the last CDNOW purchase."""
REPLAY_CHECK = 1000
"""How many orders the idempotency section sends again."""
TIMELINE_HEAD = 8
TIMELINE_TAIL = 4


class SpendRow(Protocol):
    """What ``kit.purchases.top_spenders`` returns per account (its type is not public)."""

    @property
    def account_id(self) -> str: ...

    @property
    def net_minor(self) -> int: ...

    @property
    def orders(self) -> int: ...


@dataclass(frozen=True)
class Replayed:
    """What :func:`replay` sent and what the kit said."""

    result: rk.BulkResult
    orders: int
    batches: int
    revenue: rk.Money
    seconds: float


# -- setup --------------------------------------------------------------------


def open_kit(args: argparse.Namespace) -> rk.RelationKit:
    """Open the demo's kit: a fresh SQLite file (or memory), clock at the end of the data.

    Whatever the kit should do on every purchase (a loyalty program, hooks)
    is set up here, before :func:`replay`.
    """
    clock = rk.FrozenClock(END_OF_DATA)
    if args.memory:
        return rk.open(clock=clock)
    path = Path(args.db)
    if not args.keep:
        # WAL mode leaves -wal and -shm files beside the database.
        for leftover in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
    return rk.open(f"sqlite:///{path.resolve().as_posix()}", clock=clock)


def _progress(total: int) -> tuple[Callable[[rk.BulkResult], None], Callable[[], None]]:
    """Return an ``on_batch`` callback driving a progress bar, and its closer."""
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm comes with the "demo" extra; the demo runs without it
        print("(no progress bar: pip install 'relationkit[demo]' for one)")
        return (lambda _batch: None), (lambda: None)
    bar = tqdm(total=total, unit=" orders", desc="replaying", file=sys.stderr, mininterval=0.2)

    def on_batch(batch: rk.BulkResult) -> None:
        bar.update(batch.recorded + batch.unchanged)

    return on_batch, bar.close


# -- replay -------------------------------------------------------------------


def replay(kit: rk.RelationKit, path: Path, *, limit: int | None, batch_size: int) -> Replayed:
    """Send every purchase of ``path`` to ``kit.purchases.record_many``, in batches.

    Args:
        kit: the kit to fill.
        path: a CDNOW file.
        limit: send only the first ``limit`` purchases.
        batch_size: orders per transaction.

    Returns:
        The combined result, with what was sent and how long it took.
    """
    total = count_orders(path) if limit is None else min(limit, count_orders(path))
    sent = 0
    revenue = rk.Money.zero(CURRENCY)
    batches = 0

    def rows() -> Iterator[OrderRow]:
        nonlocal sent, revenue
        for row in iter_orders(path, limit=limit):
            sent += 1
            revenue = revenue + row["total"]
            yield row

    tick, close = _progress(total)

    def on_batch(batch: rk.BulkResult) -> None:
        nonlocal batches
        batches += 1
        tick(batch)

    start = time.perf_counter()
    try:
        result = kit.purchases.record_many(rows(), batch_size=batch_size, on_batch=on_batch)
    finally:
        close()
    seconds = time.perf_counter() - start
    return Replayed(result=result, orders=sent, batches=batches, revenue=revenue, seconds=seconds)


# -- report -------------------------------------------------------------------


def _heading(title: str) -> None:
    print(f"\n{title}\n{'-' * len(title)}")


def _money(value: rk.Money) -> str:
    return f"{value.amount:,.2f} {value.currency}"


def _usd(minor: int) -> str:
    return _money(rk.Money.from_minor(minor, CURRENCY))


def _external_id(kit: rk.RelationKit, account_id: str) -> str:
    """Return the shop's id of a B2C account's customer."""
    contacts = kit.accounts.contacts(account_id)
    return (contacts[0].external_id or contacts[0].id) if contacts else account_id


def show_replay(replayed: Replayed, batch_size: int) -> None:
    """Print what the bulk replay did."""
    r = replayed.result
    _heading("Replay")
    print(
        f"{replayed.orders:,} orders sent to record_many in {replayed.batches:,} batches "
        f"of up to {batch_size:,}"
    )
    print(
        f"-> {r.recorded:,} recorded, {r.unchanged:,} unchanged, "
        f"{r.customers_created:,} customers created"
    )


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
    _heading("What the kit holds")
    print(f"customers   {kit.customers.count():>12,}")
    print(f"accounts    {accounts:>12,}   (one B2C account per customer)")
    print(f"purchases   {kit.purchases.count():>12,}")
    print(f"revenue     {_money(revenue):>16}   ({check} the {replayed.orders:,} orders sent)")


def show_stages(kit: rk.RelationKit) -> None:
    """Print how many accounts are in each lifecycle stage."""
    distribution = kit.lifecycle.distribution()
    total = sum(distribution.values()) or 1
    _heading("Lifecycle stages")
    for stage, count in distribution.items():
        if count:
            print(f"{stage:<12} {count:>10,}  {100 * count / total:5.1f}%")
    empty = [stage for stage, count in distribution.items() if not count]
    if empty:
        print(f"(empty: {', '.join(empty)})")
    print("A first purchase moves a lead to customer. The accounts were created by this")
    print(
        f"replay on {END_OF_DATA.to_date_string()}, and a stage change is never dated before that."
    )


def show_top_spenders(kit: rk.RelationKit, spend: Sequence[SpendRow]) -> None:
    """Print the ten accounts with the highest net spend."""
    _heading("Top 10 customers by net spend")
    print(f"{'#':>2}  {'customer':<12} {'orders':>6}  {'net spend':>14}")
    for rank, row in enumerate(spend[:10], start=1):
        print(
            f"{rank:>2}  {_external_id(kit, row.account_id):<12} {row.orders:>6,}  "
            f"{_usd(row.net_minor):>14}"
        )


def show_idempotency(kit: rk.RelationKit, path: Path, replayed: Replayed) -> None:
    """Send the first orders again, then one of them with another total."""
    count = min(REPLAY_CHECK, replayed.orders)
    _heading(f"Sending the first {count:,} orders again")
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
    _heading("Refund")
    print(
        f"{refund.refund_id} ({what}): {_money(refund.amount)} of order {order.order_id}, "
        f"{_money(order.total)}"
    )
    if before == after.refundable:
        print("(already refunded by an earlier run of this demo)")
    print(f"left to refund on the order: {_money(before)} -> {_money(after.refundable)}")
    kit.purchases.refund(order.order_id, refund_id=refund_id, amount=amount, reason=what)
    again = kit.purchases.get(order.order_id)
    print(f"same refund id again -> the stored refund; refunds on the order: {len(again.refunds)}")
    net = next(r.net_minor for r in spend_by_account(kit) if r.account_id == account_id)
    print(f"net spend of {_external_id(kit, account_id)} is now {_usd(net)}")


def show_timeline(kit: rk.RelationKit, account_id: str) -> None:
    """Print the start and the end of an account's timeline."""
    entries = kit.timeline(account_id)
    shown = len(entries) > TIMELINE_HEAD + TIMELINE_TAIL + 1
    _heading(
        f"Timeline of {_external_id(kit, account_id)} "
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


def show_time(replayed: Replayed, where: str) -> None:
    """Print how long the replay took."""
    rate = replayed.orders / replayed.seconds if replayed.seconds else 0.0
    _heading("Time")
    print(
        f"replayed {replayed.orders:,} orders in {replayed.seconds:.1f} s "
        f"({rate:,.0f} orders/s) into {where}"
    )


def report(kit: rk.RelationKit, replayed: Replayed, args: argparse.Namespace) -> None:
    """Print the demo's report, one section per function.

    More sections (loyalty balances and tiers, scores) go in here.
    """
    show_replay(replayed, args.batch_size)
    spend = spend_by_account(kit)
    show_counts(kit, replayed, spend)
    show_stages(kit)
    show_top_spenders(kit, spend)
    show_idempotency(kit, Path(args.data), replayed)
    if spend:
        refund_one(kit, spend[0].account_id)
        show_timeline(kit, spend[0].account_id)
    show_time(replayed, _where(args))


def _where(args: argparse.Namespace) -> str:
    if args.memory:
        return "the memory backend"
    path = Path(args.db)
    size = sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    return f"{path} ({size / 1e6:.1f} MB)"


# -- command line -------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--db", default="cdnow_demo.db", help="SQLite file to fill (default: ./cdnow_demo.db)"
    )
    where.add_argument("--memory", action="store_true", help="use the in-memory backend")
    parser.add_argument(
        "--keep", action="store_true", help="keep an existing --db file instead of starting over"
    )
    parser.add_argument("--limit", type=int, help="replay only the first LIMIT purchases")
    parser.add_argument("--batch-size", type=int, default=1000, help="orders per transaction")
    parser.add_argument("--data", default=str(MASTER), help="CDNOW file (default: the master file)")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo."""
    args = parse_args(argv)
    path = Path(args.data)
    target = "memory" if args.memory else f"sqlite:///{args.db}"
    print(f"relationkit {rk.__version__}: replaying real CDNOW purchases from {path.name}")
    print(
        f"into {target}, the clock frozen at {END_OF_DATA.to_date_string()} (end of the data)",
        flush=True,
    )
    with open_kit(args) as kit:
        replayed = replay(kit, path, limit=args.limit, batch_size=args.batch_size)
        report(kit, replayed, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
