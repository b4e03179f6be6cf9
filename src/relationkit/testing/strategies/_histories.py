"""Strategies for purchase histories: small sets of accounts, orders and refunds for analytics."""

from __future__ import annotations

import attrs
import pendulum
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from relationkit.money import Money

__all__ = ["ANALYTICS_ZONES", "HistoryOrder", "PurchaseHistory", "purchase_histories"]

ANALYTICS_ZONES: tuple[str, ...] = (
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
)
"""Zones whose calendar days differ: a +05:45 offset, a 30-minute DST shift, both hemispheres."""

# Instants around the 2025 daylight-saving changes of these zones, and a plain week.
_ANCHORS = (
    pendulum.datetime(2025, 3, 30, 0, 0, tz="UTC"),  # Paris springs forward (01:00 UTC)
    pendulum.datetime(2025, 10, 26, 0, 0, tz="UTC"),  # Paris falls back (01:00 UTC)
    pendulum.datetime(2025, 3, 9, 6, 0, tz="UTC"),  # New York springs forward (07:00 UTC)
    pendulum.datetime(2025, 11, 2, 5, 0, tz="UTC"),  # New York falls back (06:00 UTC)
    pendulum.datetime(2025, 4, 5, 14, 0, tz="UTC"),  # Lord Howe falls back half an hour
    pendulum.datetime(2025, 6, 10, 12, 0, tz="UTC"),
)


@attrs.frozen(kw_only=True)
class HistoryOrder:
    """One drawn order.

    Attributes:
        account: the index of its account in the history (0-based).
        occurred_at: when it was placed (UTC).
        total: what it cost.
        refunds: ``(minor units, when)`` of each refund, in order; they
            never exceed the total together, and some give it all back.
    """

    account: int
    occurred_at: pendulum.DateTime
    total: Money
    refunds: tuple[tuple[int, pendulum.DateTime], ...] = ()


@attrs.frozen(kw_only=True)
class PurchaseHistory:
    """A drawn history: accounts, their orders and refunds, a zone and a window.

    Attributes:
        accounts: how many accounts (some may have no order).
        orders: the orders.
        zone: the kit's time zone.
        as_of: the end of the analysis window (UTC).
        since: its start (UTC), or None.
    """

    accounts: int
    orders: tuple[HistoryOrder, ...]
    zone: str
    as_of: pendulum.DateTime
    since: pendulum.DateTime | None


def _instants(anchor: pendulum.DateTime) -> SearchStrategy[pendulum.DateTime]:
    # Minutes within three days either side of the anchor: every local day
    # boundary and transition near it is reachable.
    return st.integers(-3 * 24 * 60, 3 * 24 * 60).map(lambda m: anchor.add(minutes=m))


@st.composite
def _refunds(
    draw: st.DrawFn, total: Money, placed: pendulum.DateTime
) -> tuple[tuple[int, pendulum.DateTime], ...]:
    kind = draw(st.sampled_from(("none", "none", "partial", "full")))
    if kind == "none" or total.minor == 0:
        return ()
    when = placed.add(minutes=draw(st.integers(1, 4 * 24 * 60)))
    if kind == "full":
        if total.minor > 1 and draw(st.booleans()):
            part = draw(st.integers(1, total.minor - 1))
            later = when.add(minutes=draw(st.integers(1, 3 * 24 * 60)))
            return ((part, when), (total.minor - part, later))
        return ((total.minor, when),)
    return ((draw(st.integers(1, total.minor - 1)) if total.minor > 1 else 1, when),)


@st.composite
def _order(
    draw: st.DrawFn, accounts: int, anchor: pendulum.DateTime, currencies: tuple[str, ...]
) -> HistoryOrder:
    placed = draw(_instants(anchor))
    currency = draw(st.sampled_from(currencies))
    total = Money.from_minor(draw(st.integers(0, 50_000)), currency)
    return HistoryOrder(
        account=draw(st.integers(0, accounts - 1)),
        occurred_at=placed,
        total=total,
        refunds=draw(_refunds(total, placed)),
    )


@st.composite
def purchase_histories(
    draw: st.DrawFn,
    *,
    max_accounts: int = 4,
    max_orders: int = 10,
    currencies: tuple[str, ...] = ("EUR",),
    zones: tuple[str, ...] = ANALYTICS_ZONES,
) -> PurchaseHistory:
    """Draw a small purchase history near a daylight-saving change, with refunds.

    Orders fall within three days of one anchor instant (to the minute), so
    several land on one local day, on either side of local midnight and of
    the zone's transitions; totals include 0; about half the refunded orders
    are refunded in full (in one or two refunds). ``as_of`` falls within the
    same days (some orders and refunds come after it); ``since`` is None or
    before ``as_of``.

    Args:
        max_accounts: at most this many accounts (at least one).
        max_orders: at most this many orders.
        currencies: the currencies orders are drawn in.
        zones: the time zones drawn for the kit.
    """
    accounts = draw(st.integers(1, max_accounts))
    anchor = draw(st.sampled_from(_ANCHORS))
    orders = draw(st.lists(_order(accounts, anchor, currencies), max_size=max_orders))
    as_of = draw(_instants(anchor)).add(days=2)
    since = draw(st.none() | _instants(anchor).filter(lambda s: s <= as_of))
    return PurchaseHistory(
        accounts=accounts,
        orders=tuple(orders),
        zone=draw(st.sampled_from(zones)),
        as_of=as_of,
        since=since,
    )
