"""Customers: the people, each in a B2C account of their own or a B2B account."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import attrs

from relationkit import _validate as v
from relationkit._tx import Tx
from relationkit.domain.customers import Account, AccountKind, Customer
from relationkit.domain.lifecycle import StageChange
from relationkit.errors import Conflict, NotFound, ValidationError
from relationkit.events import (
    AccountCreated,
    ContactAdded,
    CustomerCreated,
    CustomerUpdated,
    StageChanged,
)
from relationkit.services._base import Service

__all__ = ["UNSET", "CustomersService"]


class _Unset(enum.Enum):
    UNSET = "UNSET"


UNSET = _Unset.UNSET
"""Marks an argument of :meth:`CustomersService.update` that was not given."""


@attrs.frozen(kw_only=True)
class _Fields:
    """Validated customer fields (None: not given)."""

    email: str | None
    name: str | None
    external_id: str | None
    role: str | None
    attributes: dict[str, Any] | None


def _fields(
    *,
    email: object = None,
    name: object = None,
    external_id: object = None,
    role: object = None,
    attributes: object = None,
) -> _Fields:
    return _Fields(
        email=v.email(email) if email is not None else None,
        name=v.text(name, "name") if name is not None else None,
        external_id=v.identifier(external_id, "external_id") if external_id is not None else None,
        role=v.text(role, "role", max_length=64) if role is not None else None,
        attributes=v.attributes(attributes) if attributes is not None else None,
    )


class CustomersService(Service):
    """``kit.customers``: create, find, update and upsert people."""

    def create(
        self,
        *,
        email: str | None = None,
        name: str | None = None,
        external_id: str | None = None,
        account_id: str | None = None,
        role: str | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> Customer:
        """Create a customer.

        Without ``account_id`` the customer gets a B2C account of their own;
        with it, they join that account (a B2B account's contact, with a
        ``role``).

        Args:
            email: unique (case-insensitively) among customers, optional.
            name: display name, optional.
            external_id: the host's id for this person, unique, optional.
            account_id: an existing B2B account to join.
            role: the contact's role in the B2B account (``"buyer"``).
            attributes: JSON-safe custom fields.

        Raises:
            ValidationError: on malformed input, or a role without a B2B account.
            NotFound: if ``account_id`` does not exist.
            Conflict: if the email or external id is taken, or the account is
                a B2C account that already has its person.
        """
        fields = _fields(
            email=email, name=name, external_id=external_id, role=role, attributes=attributes
        )
        target = v.identifier(account_id, "account_id") if account_id is not None else None
        if fields.email is None and fields.name is None and fields.external_id is None:
            raise ValidationError("customer", "needs at least an email, a name or an external_id")
        return self._kit._write(lambda tx: self._create(tx, fields, target))

    def _create(self, tx: Tx, fields: _Fields, account_id: str | None) -> Customer:
        if account_id is None:
            if fields.role is not None:
                raise ValidationError("role", "only contacts of a B2B account have a role")
            return self._create_b2c_many(tx, [fields])[0]
        self._check_unique(tx, fields, None)
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

    def _create_b2c_many(self, tx: Tx, people: list[_Fields]) -> list[Customer]:
        """Create customers, each with a B2C account of their own, in bulk.

        The bulk twin of :meth:`_create` for backfills: the same rows, events
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
        initial = self._kit.stages.initial
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

    def _refresh(self, tx: Tx, customer: Customer, person: _Fields) -> Customer:
        """Apply the email and name an order row carries to an existing customer."""
        changes = {
            k: getattr(person, k)
            for k in ("email", "name")
            if getattr(person, k) is not None and getattr(person, k) != getattr(customer, k)
        }
        return self._update(tx, customer.id, changes) if changes else customer

    def _check_unique(self, tx: Tx, fields: _Fields, own_id: str | None) -> None:
        if fields.email is not None:
            holder = tx.uow.customers.by_email(v.email_key(fields.email))
            if holder is not None and holder.id != own_id:
                raise Conflict(f"email is already used by customer {holder.id}")
        if fields.external_id is not None:
            found = tx.uow.customers.by_external_ids([fields.external_id])
            holder = found.get(fields.external_id)
            if holder is not None and holder.id != own_id:
                raise Conflict(f"external_id is already used by customer {holder.id}")

    def get(self, customer_id: str) -> Customer:
        """Return a customer by id.

        Raises:
            NotFound: if there is none.
        """
        return self._kit._read(lambda tx: self._kit.accounts._customer(tx, customer_id, "id"))

    def get_by_email(self, email: str) -> Customer:
        """Return the customer with this email, compared case-insensitively.

        Raises:
            NotFound: if there is none (the message does not repeat the email).
        """
        key = v.email_key(v.email(email))
        found = self._kit._read(lambda tx: tx.uow.customers.by_email(key))
        if found is None:
            raise NotFound("customer", "(by email)")
        return found

    def get_by_external_id(self, external_id: str) -> Customer:
        """Return the customer with this external id.

        Raises:
            NotFound: if there is none.
        """
        key = v.identifier(external_id, "external_id")
        found = self._kit._read(lambda tx: tx.uow.customers.by_external_ids([key]))
        if key not in found:
            raise NotFound("customer", f"external_id={key}")
        return found[key]

    def find(self, ref: str) -> Customer | None:
        """Return the customer for an id, or None."""
        return self._kit._read(lambda tx: tx.uow.customers.get(v.identifier(ref, "id")))

    def count(self) -> int:
        """Return the number of customers."""
        return self._kit._read(lambda tx: tx.uow.customers.count())

    def update(
        self,
        customer_id: str,
        *,
        email: str | _Unset | None = UNSET,
        name: str | _Unset | None = UNSET,
        external_id: str | _Unset | None = UNSET,
        role: str | _Unset | None = UNSET,
        attributes: Mapping[str, Any] | _Unset = UNSET,
    ) -> Customer:
        """Change some fields of a customer; ``None`` clears an optional field.

        Returns:
            The updated customer (unchanged, and no event, if nothing differs).

        Raises:
            NotFound: if the customer does not exist.
            ValidationError: on malformed input.
            Conflict: if the new email or external id belongs to someone else.
        """
        changes: dict[str, Any] = {}
        if email is not UNSET:
            changes["email"] = v.email(email) if email is not None else None
        if name is not UNSET:
            changes["name"] = v.text(name, "name") if name is not None else None
        if external_id is not UNSET:
            changes["external_id"] = (
                v.identifier(external_id, "external_id") if external_id is not None else None
            )
        if role is not UNSET:
            changes["role"] = v.text(role, "role", max_length=64) if role is not None else None
        if attributes is not UNSET:
            changes["attributes"] = v.attributes(attributes)
        return self._kit._write(lambda tx: self._update(tx, customer_id, changes))

    def _update(self, tx: Tx, customer_id: str, changes: dict[str, Any]) -> Customer:
        current = self._kit.accounts._customer(tx, customer_id, "customer_id")
        differing = {k: val for k, val in changes.items() if getattr(current, k) != val}
        if not differing:
            return current
        self._check_unique(
            tx,
            _Fields(
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

    def upsert(
        self,
        *,
        external_id: str,
        email: str | None = None,
        name: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        account_id: str | None = None,
        role: str | None = None,
    ) -> Customer:
        """Create the customer with this external id, or update the given fields.

        Made for order webhooks: call it with what the shop knows each time.
        Fields left as None are not touched on an existing customer.

        Raises:
            ValidationError: on malformed input.
            Conflict: if the email belongs to another customer.
        """
        fields = _fields(
            email=email, name=name, external_id=external_id, role=role, attributes=attributes
        )
        target = v.identifier(account_id, "account_id") if account_id is not None else None
        return self._kit._write(lambda tx: self._upsert(tx, fields, target))

    def _upsert(self, tx: Tx, fields: _Fields, account_id: str | None) -> Customer:
        assert fields.external_id is not None
        existing = tx.uow.customers.by_external_ids([fields.external_id]).get(fields.external_id)
        if existing is None:
            return self._create(tx, fields, account_id)
        changes: dict[str, Any] = {
            k: getattr(fields, k)
            for k in ("email", "name", "role", "attributes")
            if getattr(fields, k) is not None
        }
        if account_id is not None and account_id != existing.account_id:
            raise Conflict(f"customer {existing.id} belongs to another account")
        return self._update(tx, existing.id, changes)
