"""What the equivalence machine draws its arguments from (not public).

Small pools, so that replays, conflicts and case-insensitive clashes happen
often, and strategies that now and then give bad input or unknown ids.
"""

from __future__ import annotations

from typing import Any

import pendulum
from hypothesis import strategies as st

import relationkit as rk
from relationkit.testing import strategies as rks

__all__ = [
    "CURRENCIES",
    "EMAIL",
    "EMAILS",
    "EXTERNAL_ID",
    "EXTERNAL_IDS",
    "MAYBE_NAIVE_WHEN",
    "NAMES",
    "ORDER_IDS",
    "REFUND_AMOUNTS",
    "REFUND_IDS",
    "STAGES",
    "T0",
    "TOTALS",
    "WHEN",
    "lines",
    "mostly",
]

T0 = pendulum.datetime(2026, 1, 5, 9, 0, tz="UTC")
"""The instant both kits' clock starts at."""

# Small pools, so that replays, conflicts and case-insensitive clashes happen often.
EMAILS = ("ann@example.com", "Ann@Example.COM", "bob@example.org", "cleo@example.net")
EXTERNAL_IDS = ("x-1", "X-1", "x-2", "x-3")
ORDER_IDS = ("1001", "1002", "1003", "commande-é", "1005", "1006", "1007", "1008")
REFUND_IDS = ("r-1", "r-2", "r-3")
_ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata")
STAGES = (*rk.DEFAULT_STAGE_GRAPH.stages, "vip")  # "vip" is not a stage: ValidationError
CURRENCIES = ("EUR", "JPY")


def mostly(usual: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Draw from ``usual`` seven times in eight, else from ``rare`` (bad input, unknown ids)."""
    return st.integers(0, 7).flatmap(lambda n: rare if n == 0 else usual)


def _aware(offset_hours: int, zone: str) -> pendulum.DateTime:
    return T0.add(hours=offset_hours).in_timezone(zone)


WHEN = st.builds(_aware, st.integers(-24 * 400, 24 * 60), st.sampled_from(_ZONES))
MAYBE_NAIVE_WHEN: st.SearchStrategy[Any] = mostly(
    WHEN,
    st.just(pendulum.naive(2026, 1, 2, 12)),  # naive: a ValidationError on both sides
)
NAMES = st.sampled_from(("Ann", "Bob", "Zoë Łukasz")) | rks.names(max_size=30)
EMAIL = st.none() | st.sampled_from(EMAILS)
EXTERNAL_ID = st.none() | st.sampled_from(EXTERNAL_IDS)
TOTALS = st.sampled_from(
    (rk.Money("0.00", "EUR"), rk.Money("9.99", "EUR"), rk.Money("59.90", "EUR"))
) | st.sampled_from(CURRENCIES).flatmap(lambda code: rks.money(code, max_minor=20_000))
REFUND_AMOUNTS = st.sampled_from(
    (rk.Money("0.01", "EUR"), rk.Money("5.00", "EUR"), rk.Money("59.90", "EUR"))
) | st.sampled_from(CURRENCIES).flatmap(lambda code: rks.money(code, min_minor=1, max_minor=9_000))


def lines(currency: str) -> st.SearchStrategy[list[rk.LineItem]]:
    """Draw up to three line items priced in ``currency``."""
    return st.lists(
        st.builds(
            rk.LineItem,
            sku=st.sampled_from(("SKU-1", "SKU-2")) | rks.identifiers(max_size=20),
            quantity=st.integers(1, 5),
            unit_price=rks.money(currency, max_minor=10_000),
        ),
        max_size=3,
    )
