"""People inside a transaction: creating, refreshing and updating customers.

Shared by ``kit.customers`` and ``kit.purchases`` (which creates customers
from an order's ``customer_external_id``): the one place where a customer
row, its B2C account and their events are made.
"""

from __future__ import annotations

from typing import Any

import attrs

from relationkit import _validate as v
from relationkit._runtime import Context
from relationkit._tx import Tx
from relationkit.domain.customers import Account, AccountKind, Customer
from relationkit.domain.lifecycle import StageChange
from relationkit.errors import Conflict, ValidationError
from relationkit.events import (
    AccountCreated,
    ContactAdded,
    CustomerCreated,
    CustomerUpdated,
    StageChanged,
)
from relationkit.services import _refs

__all__ = ["Fields", "People", "fields"]


@attrs.frozen(kw_only=True)
class Fields:
    """Validated customer fields (None: not given)."""

    email: str | None
    name: str | None
    external_id: str | None
    role: str | None
    attributes: dict[str, Any] | None


def fields(
    *,
    email: object = None,
    name: object = None,
    external_id: object = None,
    role: object = None,
    attributes: object = None,
) -> Fields:
    return Fields(
        email=v.email(email) if email is not None else None,
        name=v.text(name, "name") if name is not None else None,
        external_id=v.identifier(external_id, "external_id") if external_id is not None else None,
        role=v.text(role, "role", max_length=64) if role is not None else None,
        attributes=v.attributes(attributes) if attributes is not None else None,
    )


class People:
    """Customer writes inside a transaction, for the services that need them."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def create(self, tx: Tx, fields: Fields, account_id: str | None) -> Customer:
        """Create one customer: in a B2C account of their own, or joining ``account_id``."""
        if account_id is None:
            if fields.role is not None:
                raise ValidationError("role", "only contacts of a B2B account have a role")
            return self.create_b2c_many(tx, [fields])[0]
        self.check_unique(tx, fields, None)
        account = tx.account(account_id)
        if account.kind is AccountKind.B2C:
            if tx.uow.customers.for_account(account.id):
                raise Conflict(f"account {account.id} is B2C and already has its customer")
            if fields.role is not None:
                raise ValidationError("role", "only contacts of a B2B account have a role")
        customer = Customer(
            id=tx.ids.new("cus"),
            account_id=account.id,
            email=fields.email,
            name=fields.name,
            external_id=fields.external_id,
            role=fields.role,
            attributes=fields.attributes or {},
            created_at=tx.now,
            updated_at=tx.now,
        )
        tx.uow.customers.add_many([customer])
        tx.emit(
            account.id, CustomerCreated, customer_id=customer.id, external_id=customer.external_id
        )
        if account.kind is AccountKind.B2B:
            tx.emit(account.id, ContactAdded, customer_id=customer.id, role=customer.role)
        return customer

    def create_b2c_many(self, tx: Tx, people: list[Fields]) -> list[Customer]:
        """Create customers, each with a B2C account of their own, in bulk.

        The bulk twin of :meth:`create` for backfills: the same rows, events
        and checks, written with one insert per table.
        """
        if not people:
            return []
        externals = [f.external_id for f in people if f.external_id is not None]
        if len(set(externals)) != len(externals):
            raise ValidationError("external_id", "appears twice among the new customers")
        taken = tx.uow.customers.by_external_ids(externals) if externals else {}
        if taken:
            holder = next(iter(taken.values()))
            raise Conflict(f"external_id is already used by customer {holder.id}")
        emails = [v.email_key(f.email) for f in people if f.email is not None]
        if len(set(emails)) != len(emails):
            raise Conflict("two new customers share one email")
        for key in emails:
            owner = tx.uow.customers.by_email(key)
            if owner is not None:
                raise Conflict(f"email is already used by customer {owner.id}")
        initial = self._ctx.stages.initial
        accounts, changes, customers = [], [], []
        for fields in people:
            account = Account(
                id=tx.ids.new("acc"),
                name=fields.name or fields.external_id or "customer",
                kind=AccountKind.B2C,
                stage=initial,
                stage_since=tx.now,
                created_at=tx.now,
            )
            accounts.append(account)
            changes.append(
                StageChange(
                    account_id=account.id,
                    from_stage=None,
                    to_stage=initial,
                    at=tx.now,
                    automatic=True,
                )
            )
            customers.append(
                Customer(
                    id=tx.ids.new("cus"),
                    account_id=account.id,
                    email=fields.email,
                    name=fields.name,
                    external_id=fields.external_id,
                    attributes=fields.attributes or {},
                    created_at=tx.now,
                    updated_at=tx.now,
                )
            )
        tx.uow.accounts.add_many(accounts)
        tx.uow.stages.add_many(changes)
        tx.uow.customers.add_many(customers)
        for account, customer in zip(accounts, customers, strict=True):
            tx.adopt(account)
            tx.put(account)
            tx.emit(account.id, AccountCreated, kind=account.kind.value, name=account.name)
            tx.emit(account.id, StageChanged, from_stage=None, to_stage=initial, automatic=True)
            tx.emit(
                account.id,
                CustomerCreated,
                customer_id=customer.id,
                external_id=customer.external_id,
            )
        return customers

    def refresh(self, tx: Tx, customer: Customer, person: Fields) -> Customer:
        """Apply the email and name an order row carries to an existing customer."""
        changes = {
            k: getattr(person, k)
            for k in ("email", "name")
            if getattr(person, k) is not None and getattr(person, k) != getattr(customer, k)
        }
        return self.update(tx, customer.id, changes) if changes else customer

    def check_unique(self, tx: Tx, fields: Fields, own_id: str | None) -> None:
        if fields.email is not None:
            holder = tx.uow.customers.by_email(v.email_key(fields.email))
            if holder is not None and holder.id != own_id:
                raise Conflict(f"email is already used by customer {holder.id}")
        if fields.external_id is not None:
            found = tx.uow.customers.by_external_ids([fields.external_id])
            holder = found.get(fields.external_id)
            if holder is not None and holder.id != own_id:
                raise Conflict(f"external_id is already used by customer {holder.id}")

    def update(self, tx: Tx, customer_id: str, changes: dict[str, Any]) -> Customer:
        """Apply validated ``changes``; no write and no event when nothing differs."""
        current = _refs.customer(tx, customer_id, "customer_id")
        differing = {k: val for k, val in changes.items() if getattr(current, k) != val}
        if not differing:
            return current
        self.check_unique(
            tx,
            Fields(
                email=differing.get("email"),
                name=None,
                external_id=differing.get("external_id"),
                role=None,
                attributes=None,
            ),
            current.id,
        )
        if "role" in differing and differing["role"] is not None:
            account = tx.account(current.account_id)
            if account.kind is not AccountKind.B2B:
                raise ValidationError("role", "only contacts of a B2B account have a role")
        updated = attrs.evolve(current, updated_at=tx.now, **differing)
        tx.uow.customers.update(updated)
        tx.emit(
            current.account_id,
            CustomerUpdated,
            customer_id=current.id,
            fields=tuple(sorted(differing)),
        )
        return updated

    def upsert(self, tx: Tx, fields: Fields, account_id: str | None) -> Customer:
        """Create the customer with ``fields.external_id``, or update what is given."""
        assert fields.external_id is not None
        existing = tx.uow.customers.by_external_ids([fields.external_id]).get(fields.external_id)
        if existing is None:
            return self.create(tx, fields, account_id)
        changes: dict[str, Any] = {
            k: getattr(fields, k)
            for k in ("email", "name", "role", "attributes")
            if getattr(fields, k) is not None
        }
        if account_id is not None and account_id != existing.account_id:
            raise Conflict(f"customer {existing.id} belongs to another account")
        return self.update(tx, existing.id, changes)
