"""Move customers whose last purchase is long past to ``at_risk`` or ``churned``.

No purchase in :data:`AT_RISK_DAYS` days makes a customer ``at_risk``, none
in :data:`CHURNED_DAYS` days ``churned`` (a later purchase would bring them
back to ``customer``). The last purchases come from the kit's own
``PurchaseRecorded`` events, the way a host keeps such a table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pendulum

import relationkit as rk

from .common import heading

AT_RISK_DAYS = 90
"""A customer with no purchase in this many days is moved to ``at_risk``."""
CHURNED_DAYS = 180
"""A customer with no purchase in this many days is moved to ``churned``."""
MOVES_PER_TRANSACTION = 1000
"""How many stage moves :func:`mark_lapsed` groups into one transaction."""


@dataclass
class Recency:
    """Each account's last purchase and current stage, kept from the kit's events.

    ``PurchaseRecorded`` says when each new order was placed and
    ``StageChanged`` where each account is, so :func:`mark_lapsed` needs no
    query per account. Only this run's events are seen: with ``--keep``, the
    orders replayed again are no news and nothing moves.
    """

    last_purchase: dict[str, pendulum.DateTime] = field(default_factory=dict)
    stage: dict[str, str] = field(default_factory=dict)

    def watch(self, kit: rk.RelationKit) -> None:
        """Register the handlers on ``kit``."""
        kit.hooks.on(rk.events.PurchaseRecorded, self.on_purchase)
        kit.hooks.on(rk.events.StageChanged, self.on_stage)

    def on_purchase(self, event: rk.events.PurchaseRecorded) -> None:
        """Keep the account's latest purchase date."""
        known = self.last_purchase.get(event.aggregate_id)
        if known is None or event.purchased_at > known:
            self.last_purchase[event.aggregate_id] = event.purchased_at

    def on_stage(self, event: rk.events.StageChanged) -> None:
        """Keep the account's stage."""
        self.stage[event.aggregate_id] = event.to_stage


@dataclass(frozen=True)
class Lapsed:
    """What :func:`mark_lapsed` moved."""

    at_risk: int
    churned: int


def _lapse_target(last: pendulum.DateTime, now: pendulum.DateTime) -> tuple[str, str] | None:
    """Return the stage an account whose last purchase was ``last`` is due for, and why."""
    if last <= now.subtract(days=CHURNED_DAYS):
        return "churned", f"no purchase in {CHURNED_DAYS} days"
    if last <= now.subtract(days=AT_RISK_DAYS):
        return "at_risk", f"no purchase in {AT_RISK_DAYS} days"
    return None


def mark_lapsed(kit: rk.RelationKit, recency: Recency) -> Lapsed:
    """Move customers with no recent purchase to ``at_risk`` or ``churned``, at the clock.

    Each move goes through ``kit.lifecycle.move``, so the graph checks it
    and the account's history and timeline show it; the moves are grouped
    :data:`MOVES_PER_TRANSACTION` to a transaction.
    """
    now = kit.clock.now()
    graph = kit.lifecycle.graph
    moves = []
    for account_id, last in recency.last_purchase.items():
        due = _lapse_target(last, now)
        current = recency.stage.get(account_id)
        if due is not None and current is not None and graph.allows(current, due[0]):
            moves.append((account_id, *due))
    for start in range(0, len(moves), MOVES_PER_TRANSACTION):
        with kit.transaction():
            for account_id, stage, reason in moves[start : start + MOVES_PER_TRANSACTION]:
                kit.lifecycle.move(account_id, stage, reason=reason)
    counts = Counter(stage for _, stage, _ in moves)
    return Lapsed(at_risk=counts["at_risk"], churned=counts["churned"])


def show_stages(kit: rk.RelationKit, lapsed: Lapsed) -> None:
    """Print how many accounts are in each lifecycle stage, and what moved them there."""
    distribution = kit.lifecycle.distribution()
    total = sum(distribution.values()) or 1
    heading("Lifecycle stages")
    for stage, count in distribution.items():
        if count:
            print(f"{stage:<12} {count:>10,}  {100 * count / total:5.1f}%")
    empty = [stage for stage, count in distribution.items() if not count]
    if empty:
        print(f"(empty: {', '.join(empty)})")
    print("A first purchase moves a lead to customer. On the last day of the data,")
    print(
        f"no purchase in {AT_RISK_DAYS} days moved {lapsed.at_risk:,} customers to at_risk and "
        f"none in {CHURNED_DAYS} days"
    )
    print(f"moved {lapsed.churned:,} to churned (kit.lifecycle.move, dated at the clock).")
