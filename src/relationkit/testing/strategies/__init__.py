"""Hypothesis strategies for relationkit's values, models and events.

For relationkit's own tests and for adapter authors who want to feed their
backend realistic data. Opt-in: importing :mod:`relationkit` never imports
Hypothesis; importing this module does (``pip install hypothesis``).

Every strategy draws values that relationkit's validators accept: names are
stripped and non-empty, identifiers carry no control characters or spaces,
emails match the library's check, datetimes are timezone-aware pendulum
datetimes, money is at its currency's minor unit. Models hold their
datetimes in UTC, as the services store them.

Example:
    >>> from hypothesis import given
    >>> from relationkit.testing import strategies as rks
    >>> @given(rks.money(currency="EUR"))
    ... def test_money_is_never_negative(amount): assert amount.minor >= 0

Added in 0.1.0.
"""

from __future__ import annotations

# The reference page lists these in import order (members_order: source):
# keep them in the order the strategies are defined, not sorted.
# isort: off
from relationkit.testing.strategies._values import (
    currencies,
    money,
    timezones,
    aware_datetimes,
    utc_datetimes,
    durations,
    ids,
    identifiers,
    emails,
    names,
    attributes,
    stages,
)
from relationkit.testing.strategies._models import (
    line_items,
    accounts,
    customers,
    stage_changes,
    stage_spans,
    interactions,
    refunds,
    purchases,
    allocations,
    ledger_entries,
    timeline_entries,
    models,
)
from relationkit.testing.strategies._events import events
from relationkit.testing.strategies._histories import purchase_histories
# isort: on

__all__ = [
    "accounts",
    "allocations",
    "attributes",
    "aware_datetimes",
    "currencies",
    "customers",
    "durations",
    "emails",
    "events",
    "identifiers",
    "ids",
    "interactions",
    "ledger_entries",
    "line_items",
    "models",
    "money",
    "names",
    "purchase_histories",
    "purchases",
    "refunds",
    "stage_changes",
    "stage_spans",
    "stages",
    "timeline_entries",
    "timezones",
    "utc_datetimes",
]
