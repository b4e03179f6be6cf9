"""The loyalty sections: the points program, its totals and tiers, the year end, the ledger check.

A loyalty program runs from the first order (:data:`LOYALTY`): one point per
whole dollar, spendable until the end of the following year in New York,
and tiers on the points earned over the last 365 days. The totals come from
the kit's events (:class:`PointsTally`), the way a host keeps dashboard
counters; the report runs ``process_due()`` at the end of the data and at
the year end, and checks the ledger with ``verify()``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import pendulum
from cdnow_data import TIMEZONE

import relationkit as rk

from .common import CURRENCY, END_OF_DATA, SpendRow, external_id, heading, usd

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
    heading(f"Loyalty points on {END_OF_DATA.to_date_string()}")
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
    heading("Top 5 loyalty balances")
    print(f"{'#':>2}  {'customer':<12} {'balance':>8}  {'tier':<9} {'net spend':>14}")
    for rank, summary in enumerate(summaries, start=1):
        print(
            f"{rank:>2}  {external_id(kit, summary.account_id):<12} {summary.balance:>8,}  "
            f"{summary.tier or '-':<9} {usd(net[summary.account_id]):>14}"
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
    heading(f"Year end: process_due() on {local} {TIMEZONE}")
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
    heading(f"Points history of {external_id(kit, account_id)} ({len(entries)} entries)")

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
    heading("Ledger check")
    start = time.perf_counter()
    report = kit.loyalty.verify()
    verdict = "ok" if report.ok else f"{len(report.problems):,} PROBLEMS"
    print(
        f"verify() -> {report.accounts:,} accounts checked in "
        f"{time.perf_counter() - start:.1f} s: {verdict}"
    )
    for problem in report.problems[:5]:
        print(f"  {problem}")
