"""Records for the port tests, built directly (no kit, no services).

Each factory fills every field the port stores with a plain, valid value, so
a test only spells out what it is about.
"""

from __future__ import annotations

from collections.abc import Sequence

import pendulum

from relationkit.domain.customers import Account, AccountKind, Customer
from relationkit.domain.interactions import Channel, Direction, Interaction
from relationkit.domain.ledger import Allocation, EntryKind, LedgerEntry
from relationkit.domain.lifecycle import StageChange
from relationkit.domain.purchases import LineItem, Purchase, Refund
from relationkit.money import Money
from relationkit.storage.ports import UnitOfWork
from relationkit.testing.base import T0, eur

__all__ = [
    "account",
    "customer",
    "entry",
    "interaction",
    "purchase",
    "refund",
    "seed",
    "stage_change",
]


def account(account_id: str, *, stage: str = "lead", at: pendulum.DateTime = T0) -> Account:
    """Return a B2B account named after its id."""
    return Account(
        id=account_id,
        name=f"Account {account_id}",
        kind=AccountKind.B2B,
        stage=stage,
        stage_since=at,
        created_at=at,
    )


def customer(
    customer_id: str,
    account_id: str,
    *,
    email: str | None = None,
    external_id: str | None = None,
    attributes: dict[str, object] | None = None,
) -> Customer:
    """Return a customer of ``account_id`` named after its id."""
    return Customer(
        id=customer_id,
        account_id=account_id,
        email=email,
        name=f"Person {customer_id}",
        external_id=external_id,
        attributes=attributes if attributes is not None else {},
        created_at=T0,
        updated_at=T0,
    )


def purchase(
    purchase_id: str,
    order_id: str,
    account_id: str,
    customer_id: str,
    *,
    at: pendulum.DateTime = T0,
    total: Money | None = None,
) -> Purchase:
    """Return a one-line purchase (10.00 EUR unless ``total`` says otherwise)."""
    return Purchase(
        id=purchase_id,
        order_id=order_id,
        account_id=account_id,
        customer_id=customer_id,
        occurred_at=at,
        total=total or eur("10.00"),
        lines=(LineItem(sku="SKU", quantity=1, unit_price=total or eur("10.00")),),
        recorded_at=T0,
    )


def refund(
    refund_id: str, order_id: str, amount: str = "1.00", *, at: pendulum.DateTime = T0
) -> Refund:
    """Return a refund of ``amount`` EUR."""
    return Refund(
        refund_id=refund_id, order_id=order_id, amount=eur(amount), occurred_at=at, recorded_at=T0
    )


def interaction(interaction_id: str, account_id: str, at: pendulum.DateTime = T0) -> Interaction:
    """Return an outbound email logged for the account."""
    return Interaction(
        id=interaction_id,
        account_id=account_id,
        customer_id=None,
        channel=Channel.EMAIL,
        direction=Direction.OUTBOUND,
        occurred_at=at,
        recorded_at=T0,
    )


def stage_change(
    account_id: str, to_stage: str = "lead", at: pendulum.DateTime = T0
) -> StageChange:
    """Return an account's first stage change (from no stage)."""
    return StageChange(account_id=account_id, from_stage=None, to_stage=to_stage, at=at)


def entry(
    entry_id: str,
    account_id: str,
    seq: int,
    *,
    kind: EntryKind = EntryKind.EARN,
    points: int = 10,
    at: pendulum.DateTime = T0,
    expires_at: pendulum.DateTime | None = None,
    available_at: pendulum.DateTime | None = None,
    lot_id: str | None = None,
    allocations: Sequence[Allocation] = (),
) -> LedgerEntry:
    """Return a ledger entry (an earn of 10 points unless told otherwise)."""
    return LedgerEntry(
        id=entry_id,
        account_id=account_id,
        seq=seq,
        kind=kind,
        points=points,
        at=at,
        recorded_at=T0,
        expires_at=expires_at,
        available_at=available_at,
        lot_id=lot_id,
        source=f"test:{entry_id}",
        allocations=tuple(allocations),
    )


def seed(uow: UnitOfWork) -> None:
    """Insert account acc_1 with customer cus_1 (alice@example.com, external id x1)."""
    uow.accounts.add_many([account("acc_1")])
    uow.customers.add_many(
        [customer("cus_1", "acc_1", email="alice@example.com", external_id="x1")]
    )
