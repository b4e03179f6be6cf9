"""Replay 69,659 real CDNOW purchases into relationkit, then show what it knows.

Run it with ``make demo`` or::

    python examples/cdnow_demo.py                 # SQLite file ./cdnow_demo.db
    python examples/cdnow_demo.py --limit 2000    # a quick run
    python examples/cdnow_demo.py --memory        # the in-memory backend

The orders arrive the way an e-commerce backend would send them: batches of
``record_many`` rows naming the customer by the shop's own id
(``customer_external_id``), so customers are created on their first order.
The kit's clock is frozen at 1998-07-01, the end of the data.

A loyalty program runs from the first order: one point per whole dollar,
spendable until the end of the following year in New York, and tiers on the
points earned over the last 365 days. After the replay the report runs the
year-end ``process_due()`` and checks the ledger with ``verify()``.

The program is split into :func:`open_kit`, :func:`replay` and
:func:`report`; each report section is its own function, so more sections
(scores) slot into :func:`report`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pendulum
from cdnow_data import MASTER, TIMEZONE, OrderRow, count_orders, iter_orders

import relationkit as rk

CURRENCY = "USD"
END_OF_DATA = pendulum.datetime(1998, 7, 1, tz="UTC")
"""The kit's frozen clock: the day after the last CDNOW purchase."""
REPLAY_CHECK = 1000
"""How many orders the idempotency section sends again."""
TIMELINE_HEAD = 8
TIMELINE_TAIL = 4
LOYALTY = rk.LoyaltyProgram(
    points_per_unit=1,
    currency=CURRENCY,
    expiry=rk.Expiry.end_of_year(1),
    tiers=(rk.Tier("silver", 100), rk.Tier("gold", 250), rk.Tier("platinum", 1000)),
    timezone=TIMEZONE,
)
"""The demo's points program; tiers count points earned over the default 365 days."""
YEAR_END = pendulum.datetime(1999, 1, 1, tz=TIMEZONE)
"""When the points earned in 1997 expire under :data:`LOYALTY`."""
BALANCE_CANDIDATES = 20
"""How many top spenders the top-balances section asks for their balance."""
HISTORY_HEAD = 4
HISTORY_TAIL = 4


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

    Whatever the kit should do on every purchase is set up here, before
    :func:`replay`: the loyalty program (:data:`LOYALTY`). :func:`main` adds
    the hooks of the points tally.
    """
    clock = rk.FrozenClock(END_OF_DATA)
    if args.memory:
        return rk.open(clock=clock, loyalty=LOYALTY)
    path = Path(args.db)
    if not args.keep:
        # WAL mode leaves -wal and -shm files beside the database.
        for leftover in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
    return rk.open(f"sqlite:///{path.resolve().as_posix()}", clock=clock, loyalty=LOYALTY)


@dataclass
class PointsTally:
    """Loyalty totals kept from the kit's events, the way a host keeps dashboard counters.

    Reading every account's balance back would take one query per account;
    the events already say what changed. :data:`LOYALTY` has no pending
    period, so every ``PointsReversed`` is a change of spendable points.
    """

    earned: int = 0
    redeemed: int = 0
    expired: int = 0
    taken_back: int = 0
    given_back: int = 0
    adjusted: int = 0
    events: int = 0
    tiers: dict[str, str | None] = field(default_factory=dict)

    def watch(self, kit: rk.RelationKit) -> None:
        """Register the tally's handlers on ``kit``."""
        kit.hooks.on(rk.events.LoyaltyEvent, self.on_points)
        kit.hooks.on(rk.events.TierChanged, self.on_tier)

    def on_points(self, event: rk.events.LoyaltyEvent) -> None:
        """Count one ledger event."""
        self.events += 1
        if isinstance(event, rk.events.PointsEarned | rk.events.PointsActivated):
            self.earned += event.points
        elif isinstance(event, rk.events.PointsRedeemed):
            self.redeemed += event.points
        elif isinstance(event, rk.events.PointsExpired):
            self.expired += event.points
        elif isinstance(event, rk.events.PointsReversed):
            if event.credit:
                self.given_back += event.points
            else:
                self.taken_back += event.points
        elif isinstance(event, rk.events.PointsAdjusted):
            self.adjusted += event.points if event.credit else -event.points

    def on_tier(self, event: rk.events.TierChanged) -> None:
        """Remember an account's new tier."""
        self.tiers[event.aggregate_id] = event.new_tier

    @property
    def balance(self) -> int:
        """The sum of all balances: what was credited minus what was debited."""
        return (
            self.earned
            + self.given_back
            + self.adjusted
            - self.redeemed
            - self.expired
            - self.taken_back
        )


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


def _points(value: int) -> str:
    return f"{value:>12,} points"


def _tier_counts(tiers: dict[str, str | None], accounts: int) -> list[tuple[str, int]]:
    """Return (tier, accounts) for every tier of :data:`LOYALTY`, highest first, then no tier."""
    counts = Counter(tier for tier in tiers.values() if tier is not None)
    rows = [(t.name, counts[t.name]) for t in reversed(LOYALTY.tiers)]
    return [*rows, ("(no tier)", accounts - sum(counts.values()))]


def _print_tiers(tally: PointsTally, accounts: int, since: pendulum.DateTime) -> None:
    print(f"tiers (points earned since {since.to_date_string()}):")
    for name, count in _tier_counts(tally.tiers, accounts):
        print(f"  {name:<10} {count:>8,}  {100 * count / (accounts or 1):5.1f}%")


def _print_totals(tally: PointsTally, accounts: int, since: pendulum.DateTime) -> None:
    print(f"earned      {_points(tally.earned)}")
    print(f"taken back  {_points(tally.taken_back)}   (refunds)")
    print(f"expired     {_points(tally.expired)}")
    print(f"balance     {_points(tally.balance)}   (all accounts)")
    _print_tiers(tally, accounts, since)


_NOT_COUNTED = "(totals and tiers are counted from this run's events: run without --keep)"


def show_loyalty(kit: rk.RelationKit, tally: PointsTally, accounts: int, counted: bool) -> None:
    """Run process_due() at the frozen clock; print the points totals and the tiers.

    ``counted`` says whether ``tally`` saw every event of the store (a fresh one).
    """
    _heading(f"Loyalty points on {END_OF_DATA.to_date_string()}")
    thresholds = ", ".join(f"{t.name} >= {t.threshold:,}" for t in LOYALTY.tiers)
    print(
        f"program: {LOYALTY.points_per_unit} point per whole {LOYALTY.currency}, "
        f"expiring at the end of the following year ({LOYALTY.timezone})"
    )
    print(f"tiers: {thresholds} points earned in {LOYALTY.tier_window_days} days")
    start = time.perf_counter()
    due = kit.loyalty.process_due()
    print(f"process_due() -> {due} in {time.perf_counter() - start:.1f} s")
    if not due.expired:
        print("  nothing expires yet: points earned in 1997 last until 1998-12-31")
    if counted:
        _print_totals(tally, accounts, END_OF_DATA.subtract(days=LOYALTY.tier_window_days))
    else:
        print(_NOT_COUNTED)


def show_top_balances(kit: rk.RelationKit, spend: Sequence[SpendRow]) -> None:
    """Print the five highest balances, asking only the top spenders for theirs."""
    candidates = spend[:BALANCE_CANDIDATES]
    summaries = sorted(
        (kit.loyalty.summary(row.account_id) for row in candidates),
        key=lambda s: s.balance,
        reverse=True,
    )[:5]
    net = {row.account_id: row.net_minor for row in candidates}
    _heading("Top 5 loyalty balances")
    print(f"{'#':>2}  {'customer':<12} {'balance':>8}  {'tier':<9} {'net spend':>14}")
    for rank, summary in enumerate(summaries, start=1):
        print(
            f"{rank:>2}  {_external_id(kit, summary.account_id):<12} {summary.balance:>8,}  "
            f"{summary.tier or '-':<9} {_usd(net[summary.account_id]):>14}"
        )
    # One point per whole dollar and nothing expired yet: a balance is at most
    # the account's net spend, plus half a point per partly refunded order
    # (rounding); the demo refunds one order.
    outside = spend[BALANCE_CANDIDATES].net_minor // 100 + 1 if len(spend) > len(candidates) else 0
    if summaries and summaries[-1].balance >= outside:
        print(
            f"(asked the top {len(candidates)} spenders; every other account spent too little "
            "to rank here)"
        )
    else:
        print(f"(among the top {len(candidates)} spenders)")
    if any(s.tier is None for s in summaries):
        days = LOYALTY.tier_window_days
        print(f"(a tier counts the points earned in the last {days} days, not the balance)")


def show_year_end(kit: rk.RelationKit, tally: PointsTally, accounts: int, counted: bool) -> None:
    """Move the clock to the year end, expire the 1997 points, print what changed."""
    if not isinstance(kit.clock, rk.FrozenClock):
        return
    kit.clock.set(YEAR_END)
    local = YEAR_END.format("YYYY-MM-DD HH:mm")
    _heading(f"Year end: process_due() on {local} {TIMEZONE}")
    expired_before, start = tally.expired, time.perf_counter()
    due = kit.loyalty.process_due()
    print(f"process_due() -> {due} in {time.perf_counter() - start:.1f} s")
    if not counted:
        print(_NOT_COUNTED)
        return
    print(f"expired     {_points(tally.expired - expired_before)}   (earned in 1997, not spent)")
    print(f"balance     {_points(tally.balance)}   (earned in 1998, valid until 1999-12-31)")
    _print_tiers(tally, accounts, YEAR_END.subtract(days=LOYALTY.tier_window_days))


def show_points_history(kit: rk.RelationKit, account_id: str) -> None:
    """Print the start, the non-routine entries and the end of an account's points ledger."""
    entries = kit.loyalty.history(account_id)
    routine = (rk.EntryKind.EARN, rk.EntryKind.EXPIRE)
    head, tail = entries[:HISTORY_HEAD], entries[HISTORY_HEAD:][-HISTORY_TAIL:]
    middle = entries[len(head) : len(entries) - len(tail)]
    _heading(f"Points history of {_external_id(kit, account_id)} ({len(entries)} entries)")

    def line(entry: rk.LedgerEntry) -> None:
        day = entry.at.in_timezone(TIMEZONE).to_date_string()
        print(f"{day}  {entry.kind:<8} {entry.points:>6,}  {entry.source or ''}")

    def skip(count: int) -> None:
        if count:
            print(f"{'...':>10}  ({count} more)")

    for entry in head:
        line(entry)
    skipped = 0
    for entry in middle:
        if entry.kind in routine:
            skipped += 1
            continue
        skip(skipped)
        skipped = 0
        line(entry)
    skip(skipped)
    for entry in tail:
        line(entry)
    summary = kit.loyalty.summary(account_id)
    print(f"balance {summary.balance:,}, tier {summary.tier or '-'}")


def show_verify(kit: rk.RelationKit) -> None:
    """Check every account's ledger."""
    _heading("Ledger check")
    start = time.perf_counter()
    report = kit.loyalty.verify()
    verdict = "ok" if report.ok else f"{len(report.problems):,} PROBLEMS"
    print(
        f"verify() -> {report.accounts:,} accounts checked in "
        f"{time.perf_counter() - start:.1f} s: {verdict}"
    )
    for problem in report.problems[:5]:
        print(f"  {problem}")


def show_time(replayed: Replayed, where: str) -> None:
    """Print how long the replay took."""
    rate = replayed.orders / replayed.seconds if replayed.seconds else 0.0
    _heading("Time")
    print(
        f"replayed {replayed.orders:,} orders in {replayed.seconds:.1f} s "
        f"({rate:,.0f} orders/s) into {where}"
    )


def report(
    kit: rk.RelationKit, replayed: Replayed, args: argparse.Namespace, tally: PointsTally
) -> None:
    """Print the demo's report, one section per function.

    The loyalty sections come last: the year end moves the clock forward.
    More sections (scores) go in here.
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
    accounts = sum(kit.lifecycle.distribution().values())
    # A fresh store: the tally has seen every loyalty event there is.
    counted = args.memory or not args.keep
    show_loyalty(kit, tally, accounts, counted)
    if spend:
        show_top_balances(kit, spend)
    show_year_end(kit, tally, accounts, counted)
    if spend:
        show_points_history(kit, spend[0].account_id)
    show_verify(kit)
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
        tally = PointsTally()
        tally.watch(kit)
        replayed = replay(kit, path, limit=args.limit, batch_size=args.batch_size)
        report(kit, replayed, args, tally)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
