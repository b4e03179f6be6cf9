"""What lead, churn and health scores read of one account, a bounded page at a time.

Every read stops at ``as_of``: purchases, refunds, interactions and stage
changes after it are ignored, so a score at a past instant is the score the
account had then. Orders count as the purchase summary counts them
(:mod:`relationkit.storage.ports.analytics`): each at its total less the
refunds recorded by ``as_of``; an order refunded in full is not counted at
all, and an order of 0.00 without refunds is, at 0. Purchase days are the
calendar days in the kit's time zone holding a counted order, so a day whose
orders were all refunded in full is not a purchase day and a day of one free
order is. A purchase engagement fact is a counted order, at its net value.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import pendulum

from relationkit._runtime import Context
from relationkit._tx import Tx
from relationkit.domain.customers import Customer
from relationkit.domain.interactions import Interaction
from relationkit.domain.purchases import Purchase
from relationkit.domain.scoring.health import ContactActivity
from relationkit.domain.scoring.history import PurchaseDay
from relationkit.domain.scoring.rules import Source, Touch
from relationkit.money import Money
from relationkit.services._paging import TimeKey, walk
from relationkit.services.scores._local import as_of_instant
from relationkit.storage.reference.analytics import order_value

__all__ = [
    "PAGE",
    "contact_activity",
    "interactions_between",
    "purchase_days",
    "purchases_between",
    "resolve_as_of",
    "touches",
]

PAGE = 500
"""Rows read per query when an account's history is walked."""


def resolve_as_of(ctx: Context, value: object) -> pendulum.DateTime:
    """Return ``value`` as an aware UTC instant: None is now, a date is the end of that day.

    The end of a day is the last microsecond before the next day starts in
    the kit's time zone (see :mod:`relationkit.services.scores._local`).

    Raises:
        ValidationError: a naive or otherwise invalid datetime, or an instant
            after the clock's now (a kept score at a future ``as_of`` would
            hide every refresh until that day; today's date ends in the future).
    """
    now = ctx.clock.now()
    if value is None:
        return now
    return as_of_instant(value, "as_of", ctx.timezone, now)


_Row = TypeVar("_Row", Purchase, Interaction)


def _between(
    read: Callable[..., list[_Row]],
    account_id: str,
    since: pendulum.DateTime | None,
    as_of: pendulum.DateTime,
) -> Iterator[_Row]:
    """Yield the rows ``read`` pages out with ``since <= occurred_at <= as_of``, oldest first.

    Args:
        read: an account's ``for_account`` read keyed by ``(occurred_at, id)``.
        account_id: the account.
        since: the first instant read (None: from the first row).
        as_of: the last instant read.
    """
    start: TimeKey | None = None if since is None else (since, "")

    def fetch(last: _Row | None) -> list[_Row]:
        after = start if last is None else (last.occurred_at, last.id)
        return read(account_id, after=after, limit=PAGE)

    for row in walk(fetch, PAGE):
        if row.occurred_at > as_of:
            return
        yield row


def purchases_between(
    tx: Tx, account_id: str, since: pendulum.DateTime | None, as_of: pendulum.DateTime
) -> Iterator[Purchase]:
    """Yield the account's purchases with ``since <= occurred_at <= as_of``, oldest first."""
    yield from _between(tx.uow.purchases.for_account, account_id, since, as_of)


def interactions_between(
    tx: Tx, account_id: str, since: pendulum.DateTime | None, as_of: pendulum.DateTime
) -> Iterator[Interaction]:
    """Yield the account's interactions with ``since <= occurred_at <= as_of``, oldest first."""
    yield from _between(tx.uow.interactions.for_account, account_id, since, as_of)


def _net(purchase: Purchase, as_of: pendulum.DateTime) -> Money | None:
    """Return an order's net value at ``as_of``, or None when it was refunded in full."""
    value = order_value(purchase, as_of)
    return None if value is None else Money.from_minor(value, purchase.total.currency)


def purchase_days(
    tx: Tx, account_id: str, ctx: Context, as_of: pendulum.DateTime, currency: str | None
) -> list[PurchaseDay]:
    """Return the account's purchase days up to ``as_of`` in one currency, oldest first.

    Args:
        tx: the transaction.
        account_id: the account.
        ctx: the kit's context (its time zone draws the days).
        as_of: the last instant read.
        currency: the currency read (None: the currency of the latest
            counted purchase).
    """
    by_currency: dict[str, dict[pendulum.Date, list[int]]] = defaultdict(dict)
    latest: str | None = None
    for purchase in purchases_between(tx, account_id, None, as_of):
        net = _net(purchase, as_of)
        if net is None:
            continue
        latest = net.currency
        day = purchase.occurred_at.in_timezone(ctx.timezone).date()
        slot = by_currency[net.currency].setdefault(day, [0, 0])
        slot[0] += net.minor
        slot[1] += 1
    wanted = currency or latest
    days = by_currency.get(wanted or "", {})
    return [
        PurchaseDay(day=day, net_minor=net, orders=orders)
        for day, (net, orders) in sorted(days.items())
    ]


def touches(
    tx: Tx,
    account_id: str,
    sources: frozenset[Source],
    since: pendulum.DateTime,
    as_of: pendulum.DateTime,
) -> list[Touch]:
    """Return the facts of ``sources`` with ``since <= at <= as_of`` (what engagement reads)."""
    found: list[Touch] = []
    if Source.INTERACTION in sources:
        found += [
            Touch(
                source=Source.INTERACTION,
                ref=i.id,
                at=i.occurred_at,
                channel=i.channel,
                direction=i.direction,
                outcome=i.outcome,
            )
            for i in interactions_between(tx, account_id, since, as_of)
        ]
    if Source.PURCHASE in sources:
        for p in purchases_between(tx, account_id, since, as_of):
            net = _net(p, as_of)
            if net is not None:
                found.append(
                    Touch(source=Source.PURCHASE, ref=p.order_id, at=p.occurred_at, total=net)
                )
    if Source.STAGE in sources:
        changes = tx.uow.stages.for_account(account_id)
        found += [
            Touch(source=Source.STAGE, ref=f"stage:{n}", at=c.at, to_stage=c.to_stage)
            for n, c in enumerate(changes, start=1)
            if since <= c.at <= as_of and c.from_stage is not None
        ]
    return found


def contact_activity(
    tx: Tx,
    account_id: str,
    people: Sequence[Customer],
    since: pendulum.DateTime,
    as_of: pendulum.DateTime,
) -> list[ContactActivity]:
    """Return each contact's last interaction or purchase with ``since <= at <= as_of``."""
    last: dict[str, pendulum.DateTime] = {}

    def touch(customer_id: str | None, at: pendulum.DateTime) -> None:
        if customer_id is not None and (customer_id not in last or at > last[customer_id]):
            last[customer_id] = at

    for interaction in interactions_between(tx, account_id, since, as_of):
        touch(interaction.customer_id, interaction.occurred_at)
    for purchase in purchases_between(tx, account_id, since, as_of):
        touch(purchase.customer_id, purchase.occurred_at)
    return [
        ContactActivity(customer_id=p.id, role=p.role, last_touch=last.get(p.id)) for p in people
    ]
