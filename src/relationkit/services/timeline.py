"""An account's timeline: everything that happened to it, in time order, a page at a time.

Five sources are merged: stage changes, interactions, purchases, refunds and
ledger entries, ordered by instant, then by kind (in that order), then by
each source's own order. A page after a given line asks every source for at
most ``limit`` records from that line's instant on (skipping what the
previous pages already showed), so a page costs its size, never the
account's history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import groupby

import pendulum

from relationkit._tx import Tx
from relationkit.domain.ledger import EntryKind
from relationkit.domain.timeline import TimelineEntry
from relationkit.storage.timeline_reads import timeline_reads

__all__ = ["KINDS", "timeline_page"]

KINDS = ("stage", "interaction", "purchase", "refund", "points")
"""The kinds of timeline lines, in the order lines of one instant come."""

_RANK = {kind: rank for rank, kind in enumerate(KINDS)}
_TICK = pendulum.duration(microseconds=1)

# A source: (since, how many) -> its lines from that instant on, in its order.
_Source = Callable[[pendulum.DateTime | None, int], list[TimelineEntry]]


def _sources(tx: Tx, account_id: str) -> dict[str, _Source]:
    uow = tx.uow
    reads = timeline_reads(uow)

    def stages(since: pendulum.DateTime | None, size: int) -> list[TimelineEntry]:
        lines = []
        for change in reads.stage_changes_since(account_id, since=since, limit=size):
            origin = change.from_stage or "(new)"
            why = f" ({change.reason})" if change.reason else ""
            summary = f"stage {origin} -> {change.to_stage}{why}"
            lines.append(
                TimelineEntry(at=change.at, kind="stage", ref=change.to_stage, summary=summary)
            )
        return lines

    def interactions(since: pendulum.DateTime | None, size: int) -> list[TimelineEntry]:
        after = None if since is None else (since, "")
        found = uow.interactions.for_account(account_id, after=after, limit=size)
        return [
            TimelineEntry(
                at=i.occurred_at,
                kind="interaction",
                ref=i.id,
                summary=f"{i.direction.value} {i.channel.value}"
                + (f": {i.subject}" if i.subject else ""),
                customer_id=i.customer_id,
            )
            for i in found
        ]

    def purchases(since: pendulum.DateTime | None, size: int) -> list[TimelineEntry]:
        after = None if since is None else (since, "")
        lines = []
        for p in uow.purchases.for_account(account_id, after=after, limit=size):
            items = sum(line.quantity for line in p.lines)
            detail = f", {items} item(s)" if p.lines else ""
            lines.append(
                TimelineEntry(
                    at=p.occurred_at,
                    kind="purchase",
                    ref=p.order_id,
                    summary=f"order {p.order_id}: {p.total}{detail}",
                    customer_id=p.customer_id,
                )
            )
        return lines

    def refunds(since: pendulum.DateTime | None, size: int) -> list[TimelineEntry]:
        return [
            TimelineEntry(
                at=t.refund.occurred_at,
                kind="refund",
                ref=t.refund.refund_id,
                summary=(
                    f"refund {t.refund.refund_id} on order {t.refund.order_id}: {t.refund.amount}"
                ),
                customer_id=t.customer_id,
            )
            for t in reads.refunds_since(account_id, since=since, limit=size)
        ]

    def points(since: pendulum.DateTime | None, size: int) -> list[TimelineEntry]:
        lines = []
        for entry in reads.ledger_entries_since(account_id, since=since, limit=size):
            if entry.kind in (EntryKind.PENDING, EntryKind.VOID):
                label = f"{entry.points:+d} pending points ({entry.kind.value})"
            else:
                label = f"{entry.points:+d} points ({entry.kind.value})"
            source = f" for {entry.source}" if entry.source else ""
            lines.append(
                TimelineEntry(at=entry.at, kind="points", ref=entry.id, summary=f"{label}{source}")
            )
        return lines

    return {
        "stage": stages,
        "interaction": interactions,
        "purchase": purchases,
        "refund": refunds,
        "points": points,
    }


def _numbered(lines: Sequence[TimelineEntry]) -> list[TimelineEntry]:
    """Give each line its place among the lines of its kind at its instant."""
    numbered: list[TimelineEntry] = []
    for _, same in groupby(lines, key=lambda line: line.at):
        numbered += [line.with_position(n) for n, line in enumerate(same)]
    return numbered


def timeline_page(
    tx: Tx, account_id: str, *, limit: int, after: TimelineEntry | None
) -> list[TimelineEntry]:
    """Return at most ``limit`` timeline lines of an account, those after ``after``.

    Every source is read from ``after``'s instant on: a kind that comes
    before ``after``'s at that instant starts just after it; ``after``'s own
    kind skips the lines up to ``after``'s position; later kinds start at it.
    """
    merged: list[TimelineEntry] = []
    for kind, read in _sources(tx, account_id).items():
        if after is None:
            merged += _numbered(read(None, limit))
            continue
        rank, last = _RANK[kind], _RANK[after.kind]
        if rank < last:
            merged += _numbered(read(after.at + _TICK, limit))
        elif rank > last:
            merged += _numbered(read(after.at, limit))
        else:
            lines = _numbered(read(after.at, limit + after.position + 1))
            merged += [
                line for line in lines if line.at != after.at or line.position > after.position
            ]
    merged.sort(key=lambda line: (line.at, _RANK[line.kind], line.position))
    return merged[:limit]
