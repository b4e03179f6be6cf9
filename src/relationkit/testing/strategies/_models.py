"""Strategies for relationkit's models: accounts, customers, purchases, ledger entries, ..."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from relationkit.domain.customers import Account, AccountKind, Customer
from relationkit.domain.interactions import Channel, Direction, Interaction
from relationkit.domain.ledger import Allocation, EntryKind, LedgerEntry
from relationkit.domain.lifecycle import StageChange, StageSpan
from relationkit.domain.purchases import LineItem, Purchase, Refund
from relationkit.domain.timeline import TimelineEntry
from relationkit.testing.strategies._values import (
    _TIERS,
    _optional,
    _short_text,
    attributes,
    currencies,
    durations,
    emails,
    identifiers,
    ids,
    money,
    names,
    stages,
    utc_datetimes,
)

_TIMELINE_KINDS = ("stage", "interaction", "purchase", "refund", "points")


def line_items(currency: str | None = None) -> SearchStrategy[LineItem]:
    """Draw order lines; all in ``currency`` when given."""
    return st.builds(
        LineItem,
        sku=identifiers(max_size=64),
        quantity=st.integers(1, 10_000),
        unit_price=money(currency, max_minor=10**9),
        category=_optional(identifiers(max_size=64)),
    )


def accounts() -> SearchStrategy[Account]:
    """Draw accounts of either kind, in a stage of the default graph."""
    return st.builds(
        Account,
        id=ids("acc"),
        name=names(),
        kind=st.sampled_from(AccountKind),
        stage=stages(),
        stage_since=utc_datetimes(),
        created_at=utc_datetimes(),
        version=st.integers(0, 2**31 - 1),
        tier=_optional(st.sampled_from(_TIERS)),
    )


def customers() -> SearchStrategy[Customer]:
    """Draw customers with optional email, name, external id, role and attributes."""
    return st.builds(
        Customer,
        id=ids("cus"),
        account_id=ids("acc"),
        email=_optional(emails()),
        name=_optional(names()),
        external_id=_optional(identifiers()),
        role=_optional(names(max_size=64)),
        attributes=attributes(),
        created_at=utc_datetimes(),
        updated_at=utc_datetimes(),
    )


def stage_changes() -> SearchStrategy[StageChange]:
    """Draw stage changes (``from_stage`` None for a first stage)."""
    return st.builds(
        StageChange,
        account_id=ids("acc"),
        from_stage=_optional(stages()),
        to_stage=stages(),
        at=utc_datetimes(),
        reason=_optional(_short_text()),
        automatic=st.booleans(),
    )


@st.composite
def _stage_span(draw: st.DrawFn) -> StageSpan:
    entered = draw(utc_datetimes(max_year=2090))
    spent = draw(durations(max_days=3_650))
    left = draw(st.booleans())
    return StageSpan(
        stage=draw(stages()),
        entered=entered,
        left=entered + spent if left else None,
        duration=spent,
    )


def stage_spans() -> SearchStrategy[StageSpan]:
    """Draw stage spans whose ``duration`` is ``left - entered`` when closed."""
    return _stage_span()


def interactions() -> SearchStrategy[Interaction]:
    """Draw interactions on any channel and direction."""
    return st.builds(
        Interaction,
        id=ids("int"),
        account_id=ids("acc"),
        customer_id=_optional(ids("cus")),
        channel=st.sampled_from(Channel),
        direction=st.sampled_from(Direction),
        occurred_at=utc_datetimes(),
        subject=_optional(_short_text(200)),
        notes=_optional(st.text(max_size=300)),
        outcome=_optional(_short_text(100)),
        recorded_at=utc_datetimes(),
    )


def refunds(currency: str | None = None, order_id: str | None = None) -> SearchStrategy[Refund]:
    """Draw refunds of a positive amount; in ``currency`` and on ``order_id`` when given."""
    return st.builds(
        Refund,
        refund_id=identifiers(),
        order_id=identifiers() if order_id is None else st.just(order_id),
        amount=money(currency, min_minor=1),
        occurred_at=utc_datetimes(),
        reason=_optional(_short_text()),
        recorded_at=utc_datetimes(),
    )


def _purchase_in(currency: str, order_id: str) -> SearchStrategy[Purchase]:
    return st.builds(
        Purchase,
        id=ids("pur"),
        order_id=st.just(order_id),
        account_id=ids("acc"),
        customer_id=ids("cus"),
        occurred_at=utc_datetimes(),
        total=money(currency),
        lines=st.lists(line_items(currency), max_size=4).map(tuple),
        points_used=st.integers(0, 10**6),
        recorded_at=utc_datetimes(),
        refunds=st.lists(refunds(currency, order_id), max_size=2).map(tuple),
    )


def purchases(currency: str | None = None) -> SearchStrategy[Purchase]:
    """Draw purchases with lines and refunds in the total's currency, on one order id."""
    codes = currencies() if currency is None else st.just(currency)
    return st.tuples(codes, identifiers()).flatmap(lambda pair: _purchase_in(*pair))


def allocations() -> SearchStrategy[Allocation]:
    """Draw the part of a debit taken from one lot."""
    return st.builds(Allocation, lot_id=ids("led"), points=st.integers(1, 10**9))


def ledger_entries() -> SearchStrategy[LedgerEntry]:
    """Draw ledger entries of any kind (shape only: the ledger's rules are not applied)."""
    return st.builds(
        LedgerEntry,
        id=ids("led"),
        account_id=ids("acc"),
        seq=st.integers(1, 10**9),
        kind=st.sampled_from(EntryKind),
        points=st.integers(-(10**9), 10**9),
        at=utc_datetimes(),
        recorded_at=utc_datetimes(),
        lot_id=_optional(ids("led")),
        expires_at=_optional(utc_datetimes()),
        available_at=_optional(utc_datetimes()),
        source=_optional(identifiers()),
        reason=_optional(_short_text()),
        idempotency_key=_optional(identifiers()),
        allocations=st.lists(allocations(), max_size=3).map(tuple),
        debt=st.integers(0, 10**9),
        rate=_optional(st.decimals(min_value="0.000001", max_value="1000", places=6)),
        source_currency=_optional(st.sampled_from(["USD", "GBP", "JPY"])),
    )


def timeline_entries() -> SearchStrategy[TimelineEntry]:
    """Draw timeline lines of every kind."""
    return st.builds(
        TimelineEntry,
        at=utc_datetimes(),
        kind=st.sampled_from(_TIMELINE_KINDS),
        ref=identifiers(),
        summary=_short_text(200),
        customer_id=_optional(ids("cus")),
    )


def models() -> SearchStrategy[Any]:
    """Draw any model: account, customer, stage change or span, interaction, ..."""
    return st.one_of(
        accounts(),
        customers(),
        stage_changes(),
        stage_spans(),
        interactions(),
        line_items(),
        purchases(),
        refunds(),
        ledger_entries(),
        allocations(),
        timeline_entries(),
    )
