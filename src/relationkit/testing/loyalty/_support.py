"""Helpers and programs shared by the loyalty tests (not public)."""

from __future__ import annotations

from collections.abc import Sequence

import pendulum

import relationkit as rk
from relationkit.domain.ledger import EntryKind, LedgerEntry
from relationkit.events import Event, LoyaltyEvent, TierChanged
from relationkit.money import Money
from relationkit.testing.base import eur

__all__ = [
    "PLAIN",
    "SECOND",
    "buy",
    "entries_of",
    "kinds",
    "loyalty_events",
    "member",
    "points_by_event",
    "position",
    "refund_order",
    "verified",
]

PLAIN = rk.LoyaltyProgram(currency="EUR")
"""A point per whole euro, spendable at once, never expiring."""

SECOND = pendulum.duration(seconds=1)


def buy(
    kit: rk.RelationKit,
    customer_id: str,
    order_id: str,
    total: str = "100.00",
    *,
    at: pendulum.DateTime | None = None,
    lines: Sequence[rk.LineItem] = (),
    points_used: int = 0,
    currency: str = "EUR",
) -> rk.Purchase:
    """Record an order at ``at`` (default: now)."""
    return kit.purchases.record(
        order_id=order_id,
        customer_id=customer_id,
        occurred_at=at if at is not None else kit.clock.now(),
        total=Money(total, currency),
        lines=lines,
        points_used=points_used,
    )


def refund_order(kit: rk.RelationKit, order_id: str, refund_id: str, amount: str) -> rk.Refund:
    """Refund ``amount`` EUR of an order."""
    return kit.purchases.refund(order_id, refund_id=refund_id, amount=eur(amount))


def member(kit: rk.RelationKit, name: str = "alice") -> str:
    """Create a customer; return their id."""
    return kit.customers.create(name=name.title(), email=f"{name}@example.com").id


def kinds(kit: rk.RelationKit, ref: str) -> list[tuple[EntryKind, int]]:
    """Return (kind, points) of every ledger entry of ``ref``, in ledger order."""
    return [(e.kind, e.points) for e in kit.loyalty.history(ref)]


def entries_of(kit: rk.RelationKit, ref: str, kind: EntryKind) -> list[LedgerEntry]:
    """Return the ledger entries of ``ref`` of one kind."""
    return [e for e in kit.loyalty.history(ref) if e.kind is kind]


def position(kit: rk.RelationKit, ref: str) -> tuple[int, int, int]:
    """Return (balance, pending, debt) as of the clock."""
    summary = kit.loyalty.summary(ref)
    return summary.balance, summary.pending, summary.debt


def loyalty_events(kit: rk.RelationKit) -> list[Event]:
    """Subscribe to the ledger's events and tier changes; return the list they land in."""
    seen: list[Event] = []

    def keep(event: Event) -> None:
        if isinstance(event, LoyaltyEvent | TierChanged):
            seen.append(event)

    kit.hooks.on(Event, keep)
    return seen


def points_by_event(events: Sequence[Event]) -> list[tuple[str, int]]:
    """Return (event type name, points) of the ledger events among ``events``."""
    return [(type(e).__name__, e.points) for e in events if isinstance(e, LoyaltyEvent)]


def verified(kit: rk.RelationKit) -> None:
    """Every ledger invariant holds, for every account."""
    assert () == kit.loyalty.verify().problems
