"""An account's timeline: everything that happened to it, in time order."""

from __future__ import annotations

from relationkit._tx import Tx
from relationkit.domain.ledger import EntryKind
from relationkit.domain.timeline import TimelineEntry

__all__ = ["build_timeline"]


def build_timeline(tx: Tx, account_id: str) -> list[TimelineEntry]:
    """Merge an account's stage changes, interactions, purchases, refunds and points."""
    entries: list[TimelineEntry] = []
    for change in tx.uow.stages.for_account(account_id):
        origin = change.from_stage or "(new)"
        why = f" ({change.reason})" if change.reason else ""
        entries.append(
            TimelineEntry(
                at=change.at,
                kind="stage",
                ref=change.to_stage,
                summary=f"stage {origin} -> {change.to_stage}{why}",
            )
        )
    for interaction in tx.uow.interactions.for_account(account_id):
        title = f": {interaction.subject}" if interaction.subject else ""
        entries.append(
            TimelineEntry(
                at=interaction.occurred_at,
                kind="interaction",
                ref=interaction.id,
                summary=f"{interaction.direction.value} {interaction.channel.value}{title}",
                customer_id=interaction.customer_id,
            )
        )
    for purchase in tx.uow.purchases.for_account(account_id):
        items = sum(line.quantity for line in purchase.lines)
        detail = f", {items} item(s)" if purchase.lines else ""
        entries.append(
            TimelineEntry(
                at=purchase.occurred_at,
                kind="purchase",
                ref=purchase.order_id,
                summary=f"order {purchase.order_id}: {purchase.total}{detail}",
                customer_id=purchase.customer_id,
            )
        )
        for refund in purchase.refunds:
            entries.append(
                TimelineEntry(
                    at=refund.occurred_at,
                    kind="refund",
                    ref=refund.refund_id,
                    summary=(
                        f"refund {refund.refund_id} on order {purchase.order_id}: {refund.amount}"
                    ),
                    customer_id=purchase.customer_id,
                )
            )
    for entry in tx.uow.ledger.for_account(account_id):
        if entry.kind in (EntryKind.PENDING, EntryKind.VOID):
            label = f"{entry.points:+d} pending points ({entry.kind.value})"
        else:
            label = f"{entry.points:+d} points ({entry.kind.value})"
        source = f" for {entry.source}" if entry.source else ""
        entries.append(
            TimelineEntry(at=entry.at, kind="points", ref=entry.id, summary=f"{label}{source}")
        )
    _order = {"stage": 0, "interaction": 1, "purchase": 2, "refund": 3, "points": 4}
    entries.sort(key=lambda e: (e.at, _order[e.kind]))
    return entries
