"""Row mapping: attrs models to column dicts and back.

The models stay unmapped (no ORM); each ``*_row`` function returns the
parameters of one INSERT, each ``to_*`` function builds a model from a result
row. Money is stored as integer minor units plus a currency code, so what is
read back is exactly what was written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from relationkit._validate import email_key
from relationkit.domain.customers import Account, AccountKind, Customer
from relationkit.domain.interactions import Channel, Direction, Interaction
from relationkit.domain.ledger import Allocation, EntryKind, LedgerEntry
from relationkit.domain.lifecycle import StageChange
from relationkit.domain.purchases import LineItem, Purchase, Refund
from relationkit.money import Money
from relationkit.storage.ports import IdempotencyRecord

__all__ = [
    "account_row",
    "account_update_row",
    "allocation_rows",
    "customer_row",
    "entry_row",
    "idempotency_row",
    "interaction_row",
    "line_rows",
    "purchase_row",
    "refund_row",
    "stage_row",
    "to_account",
    "to_allocation",
    "to_customer",
    "to_entry",
    "to_idempotency",
    "to_interaction",
    "to_line",
    "to_purchase",
    "to_refund",
    "to_stage",
]

# Rows are read by attribute name: SQLAlchemy rows, or the named tuples of the
# direct path (see relationkit.storage.sql.direct).
AnyRow = Any


def account_row(a: Account) -> dict[str, Any]:
    """Return the INSERT parameters of an account."""
    return {
        "id": a.id,
        "name": a.name,
        "kind": a.kind.value,
        "stage": a.stage,
        "stage_since": a.stage_since,
        "created_at": a.created_at,
        "version": a.version,
        "tier": a.tier,
    }


def account_update_row(a: Account) -> dict[str, Any]:
    """Return the UPDATE parameters of an account (the fields that may change)."""
    return {
        "b_id": a.id,
        "b_name": a.name,
        "b_stage": a.stage,
        "b_stage_since": a.stage_since,
        "b_version": a.version,
        "b_tier": a.tier,
    }


def to_account(r: AnyRow) -> Account:
    """Build an account from its row."""
    return Account(
        id=r.id,
        name=r.name,
        kind=AccountKind(r.kind),
        stage=r.stage,
        stage_since=r.stage_since,
        created_at=r.created_at,
        version=r.version,
        tier=r.tier,
    )


def customer_row(c: Customer) -> dict[str, Any]:
    """Return the INSERT (or full UPDATE) parameters of a customer."""
    return {
        "id": c.id,
        "account_id": c.account_id,
        "email": c.email,
        "email_key": email_key(c.email) if c.email else None,
        "name": c.name,
        "external_id": c.external_id,
        "role": c.role,
        "attributes": c.attributes,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def to_customer(r: AnyRow) -> Customer:
    """Build a customer from its row."""
    return Customer(
        id=r.id,
        account_id=r.account_id,
        email=r.email,
        name=r.name,
        external_id=r.external_id,
        role=r.role,
        attributes=r.attributes,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def stage_row(s: StageChange) -> dict[str, Any]:
    """Return the INSERT parameters of a stage change."""
    return {
        "account_id": s.account_id,
        "from_stage": s.from_stage,
        "to_stage": s.to_stage,
        "at": s.at,
        "reason": s.reason,
        "automatic": s.automatic,
    }


def to_stage(r: AnyRow) -> StageChange:
    """Build a stage change from its row."""
    return StageChange(
        account_id=r.account_id,
        from_stage=r.from_stage,
        to_stage=r.to_stage,
        at=r.at,
        reason=r.reason,
        automatic=bool(r.automatic),
    )


def interaction_row(i: Interaction) -> dict[str, Any]:
    """Return the INSERT parameters of an interaction."""
    return {
        "id": i.id,
        "account_id": i.account_id,
        "customer_id": i.customer_id,
        "channel": i.channel.value,
        "direction": i.direction.value,
        "occurred_at": i.occurred_at,
        "subject": i.subject,
        "notes": i.notes,
        "outcome": i.outcome,
        "recorded_at": i.recorded_at,
    }


def to_interaction(r: AnyRow) -> Interaction:
    """Build an interaction from its row."""
    return Interaction(
        id=r.id,
        account_id=r.account_id,
        customer_id=r.customer_id,
        channel=Channel(r.channel),
        direction=Direction(r.direction),
        occurred_at=r.occurred_at,
        subject=r.subject,
        notes=r.notes,
        outcome=r.outcome,
        recorded_at=r.recorded_at,
    )


def purchase_row(p: Purchase) -> dict[str, Any]:
    """Return the INSERT parameters of a purchase (its lines go separately)."""
    return {
        "id": p.id,
        "order_id": p.order_id,
        "account_id": p.account_id,
        "customer_id": p.customer_id,
        "occurred_at": p.occurred_at,
        "total_minor": p.total.minor,
        "currency": p.total.currency,
        "points_used": p.points_used,
        "recorded_at": p.recorded_at,
    }


def line_rows(p: Purchase) -> Iterable[dict[str, Any]]:
    """Yield the INSERT parameters of a purchase's lines, numbered in order."""
    for position, line in enumerate(p.lines):
        yield {
            "order_id": p.order_id,
            "position": position,
            "sku": line.sku,
            "quantity": line.quantity,
            "unit_price_minor": line.unit_price.minor,
            "currency": line.unit_price.currency,
            "category": line.category,
        }


def to_line(r: AnyRow) -> LineItem:
    """Build a line item from its row."""
    return LineItem(
        sku=r.sku,
        quantity=r.quantity,
        unit_price=Money.from_minor(r.unit_price_minor, r.currency),
        category=r.category,
    )


def to_purchase(
    r: AnyRow, lines: Iterable[LineItem] = (), refunds: Iterable[Refund] = ()
) -> Purchase:
    """Build a purchase from its row, its lines and its refunds."""
    return Purchase(
        id=r.id,
        order_id=r.order_id,
        account_id=r.account_id,
        customer_id=r.customer_id,
        occurred_at=r.occurred_at,
        total=Money.from_minor(r.total_minor, r.currency),
        lines=tuple(lines),
        points_used=r.points_used,
        recorded_at=r.recorded_at,
        refunds=tuple(refunds),
    )


def refund_row(f: Refund) -> dict[str, Any]:
    """Return the INSERT parameters of a refund."""
    return {
        "refund_id": f.refund_id,
        "order_id": f.order_id,
        "amount_minor": f.amount.minor,
        "currency": f.amount.currency,
        "occurred_at": f.occurred_at,
        "reason": f.reason,
        "recorded_at": f.recorded_at,
    }


def to_refund(r: AnyRow) -> Refund:
    """Build a refund from its row."""
    return Refund(
        refund_id=r.refund_id,
        order_id=r.order_id,
        amount=Money.from_minor(r.amount_minor, r.currency),
        occurred_at=r.occurred_at,
        reason=r.reason,
        recorded_at=r.recorded_at,
    )


def entry_row(e: LedgerEntry) -> dict[str, Any]:
    """Return the INSERT parameters of a ledger entry (allocations go separately)."""
    return {
        "id": e.id,
        "account_id": e.account_id,
        "kind": e.kind.value,
        "points": e.points,
        "at": e.at,
        "recorded_at": e.recorded_at,
        "lot_id": e.lot_id,
        "expires_at": e.expires_at,
        "available_at": e.available_at,
        "source": e.source,
        "reason": e.reason,
        "idempotency_key": e.idempotency_key,
        "debt": e.debt,
    }


def allocation_rows(e: LedgerEntry) -> Iterable[dict[str, Any]]:
    """Yield the INSERT parameters of an entry's allocations, numbered in order."""
    for position, allocation in enumerate(e.allocations):
        yield {
            "entry_id": e.id,
            "position": position,
            "lot_id": allocation.lot_id,
            "points": allocation.points,
        }


def to_allocation(r: AnyRow) -> Allocation:
    """Build an allocation from its row."""
    return Allocation(lot_id=r.lot_id, points=r.points)


def to_entry(r: AnyRow, allocations: Iterable[Allocation] = ()) -> LedgerEntry:
    """Build a ledger entry from its row and its allocations."""
    return LedgerEntry(
        id=r.id,
        account_id=r.account_id,
        kind=EntryKind(r.kind),
        points=r.points,
        at=r.at,
        recorded_at=r.recorded_at,
        lot_id=r.lot_id,
        expires_at=r.expires_at,
        available_at=r.available_at,
        source=r.source,
        reason=r.reason,
        idempotency_key=r.idempotency_key,
        allocations=tuple(allocations),
        debt=r.debt,
    )


def idempotency_row(i: IdempotencyRecord) -> dict[str, Any]:
    """Return the INSERT parameters of an idempotency record."""
    return {
        "scope": i.scope,
        "key": i.key,
        "payload_hash": i.payload_hash,
        "result": i.result,
        "created_at": i.created_at,
    }


def to_idempotency(r: AnyRow) -> IdempotencyRecord:
    """Build an idempotency record from its row."""
    return IdempotencyRecord(
        scope=r.scope,
        key=r.key,
        payload_hash=r.payload_hash,
        result=r.result,
        created_at=r.created_at,
    )
