"""People inside a transaction: creating, refreshing and updating customers.

Shared by ``kit.customers`` and ``kit.purchases`` (which creates customers
from an order's ``customer_external_id`` or ``email``): the one place where a
customer row, its B2C account and their events are made.

The webhook rules live here too (see :meth:`People.upsert`): data older than
what the customer already holds changes nothing, attributes merge by key,
and an event is emitted only for a real change. The fields these writes
take, and the date comparisons they rest on, are
:mod:`relationkit.services._customer_fields`' (re-exported here).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import pendulum

from relationkit import _validate as v
from relationkit._runtime import Context
from relationkit._tx import Tx
from relationkit.domain.customers import Account, AccountKind, Customer
from relationkit.domain.lifecycle import StageChange
from relationkit.errors import Conflict, DuplicateKey, ValidationError
from relationkit.events import (
    AccountCreated,
    AccountUpdated,
    ContactAdded,
    CustomerCreated,
    CustomerUpdated,
    StageChanged,
)
from relationkit.services._customer_fields import Fields, as_new, b2c_name, fields, is_stale
from relationkit.services._customer_fields import newest as newest_stamp
from relationkit.services._pinned import pinned

__all__ = ["Fields", "People", "as_new", "b2c_account", "b2c_name", "fields", "is_stale"]


def b2c_account(
    tx: Tx, person: Fields, initial: str, entered: pendulum.DateTime
) -> tuple[Account, StageChange]:
    """Return a new B2C account for ``person`` and its first stage change (not stored)."""
    account = Account(
        id=tx.ids.new("acc"),
        name=b2c_name(person.name, person.external_id),
        kind=AccountKind.B2C,
        stage=initial,
        stage_since=entered,
        created_at=tx.now,
        timezone=person.timezone,
    )
    change = StageChange(
        account_id=account.id, from_stage=None, to_stage=initial, at=entered, automatic=True
    )
    return account, change


class People:
    """Customer writes inside a transaction, for the services that need them.

    Args:
        ctx: the kit's context.
        max_attribute_bytes: the cap on a customer's attributes, as compact
            JSON (see :func:`relationkit._validate.attributes_size`).
    """

    def __init__(self, ctx: Context, *, max_attribute_bytes: int = v.MAX_ATTRIBUTE_BYTES) -> None:
        self._ctx = ctx
        self.max_attribute_bytes = max_attribute_bytes

    @property
    def context(self) -> Context:
        """The kit's context (clock, ids, stage graph)."""
        return self._ctx

    def sized(self, attributes: dict[str, Any], field: str = "attributes") -> dict[str, Any]:
        """Return ``attributes`` if they fit the kit's cap."""
        return v.attributes_size(attributes, field, max_bytes=self.max_attribute_bytes)

    def create(
        self,
        tx: Tx,
        fields: Fields,
        account_id: str | None,
        *,
        stamp: pendulum.DateTime | None = None,
        racing: bool = False,
    ) -> Customer:
        """Create one customer: in a B2C account of their own, or joining ``account_id``.

        ``racing`` as in :meth:`create_b2c_many`.
        """
        if account_id is None:
            if fields.role is not None:
                raise ValidationError("role", "only contacts of a B2B account have a role")
            return self.create_b2c_many(tx, [fields], stamps=[stamp], racing=racing)[0]
        self.check_unique(tx, fields, None, racing=racing)
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
            attributes=self.sized(fields.attributes or {}),
            created_at=tx.now,
            updated_at=tx.now,
            timezone=fields.timezone,
            source_updated_at=stamp,
        )
        tx.uow.customers.add_many([customer])
        tx.emit(
            account.id, CustomerCreated, customer_id=customer.id, external_id=customer.external_id
        )
        if account.kind is AccountKind.B2B:
            tx.emit(account.id, ContactAdded, customer_id=customer.id, role=customer.role)
        return customer

    def create_b2c_many(
        self,
        tx: Tx,
        people: list[Fields],
        *,
        since: Sequence[pendulum.DateTime | None] = (),
        stamps: Sequence[pendulum.DateTime | None] = (),
        racing: bool = False,
    ) -> list[Customer]:
        """Create customers, each with a B2C account of their own, in bulk.

        The bulk twin of :meth:`create` for backfills: the same rows, events
        and checks, written with one insert per table.

        Args:
            tx: the transaction.
            people: the new customers' fields.
            since: per person, the earliest thing known of them (their first
                order): the first stage is dated then when that is before
                now, so a backfilled history reads in order.
            stamps: per person, the ``source_updated_at`` of their data.
            racing: the caller looked these people up in this transaction
                and found none: an email or external id taken now was taken
                by a concurrent writer since, so raise ``DuplicateKey`` (the
                runner retries, and the retry finds them) instead of
                ``Conflict``.
        """
        if not people:
            return []
        externals = [f.external_id for f in people if f.external_id is not None]
        if len(set(externals)) != len(externals):
            raise ValidationError("external_id", "appears twice among the new customers")
        taken = tx.uow.customers.by_external_ids(externals) if externals else {}
        if taken:
            if racing:
                raise DuplicateKey("external_id")
            holder = next(iter(taken.values()))
            raise Conflict(f"external_id is already used by customer {holder.id}")
        emails = [v.email_key(f.email) for f in people if f.email is not None]
        if len(set(emails)) != len(emails):
            raise Conflict("two new customers share one email")
        for key in emails:
            owner = tx.uow.customers.by_email(key)
            if owner is not None:
                if racing:
                    raise DuplicateKey("email")
                raise Conflict(f"email is already used by customer {owner.id}")
        initial = self._ctx.stages.initial
        accounts, changes, customers = [], [], []
        for i, person in enumerate(people):
            first = since[i] if i < len(since) else None
            entered = first if first is not None and first < tx.now else tx.now
            account, change = b2c_account(tx, person, initial, entered)
            accounts.append(account)
            changes.append(change)
            customers.append(
                Customer(
                    id=tx.ids.new("cus"),
                    account_id=account.id,
                    email=person.email,
                    name=person.name,
                    external_id=person.external_id,
                    attributes=self.sized(person.attributes or {}),
                    created_at=tx.now,
                    updated_at=tx.now,
                    timezone=person.timezone,
                    source_updated_at=stamps[i] if i < len(stamps) else None,
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

    def check_unique(
        self, tx: Tx, fields: Fields, own_id: str | None, *, racing: bool = False
    ) -> None:
        """Raise Conflict if the email or external id belongs to another customer.

        With ``racing``, raise ``DuplicateKey`` instead (see :meth:`create_b2c_many`).
        """
        if fields.email is not None:
            holder = tx.uow.customers.by_email(v.email_key(fields.email))
            if holder is not None and holder.id != own_id:
                if racing:
                    raise DuplicateKey("email")
                raise Conflict(f"email is already used by customer {holder.id}")
        if fields.external_id is not None:
            found = tx.uow.customers.by_external_ids([fields.external_id])
            holder = found.get(fields.external_id)
            if holder is not None and holder.id != own_id:
                if racing:
                    raise DuplicateKey("external_id")
                raise Conflict(f"external_id is already used by customer {holder.id}")

    def update(
        self,
        tx: Tx,
        customer_id: str,
        changes: dict[str, Any],
        *,
        stamp: pendulum.DateTime | None = None,
        stamp_unchanged: bool = True,
    ) -> Customer:
        """Apply validated ``changes``; no event when nothing differs.

        A newer ``stamp`` is stored with the changes; with
        ``stamp_unchanged`` also when no field differs (silently: it only
        makes later, older data stale).
        """
        current = pinned(tx, customer_id)
        differing = {k: val for k, val in changes.items() if getattr(current, k) != val}
        newest = newest_stamp(stamp, current.source_updated_at)
        if not differing:
            if stamp_unchanged and newest != current.source_updated_at:
                quiet = attrs.evolve(current, source_updated_at=newest)
                tx.uow.customers.update(quiet)
                return quiet
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
        account = tx.account(current.account_id)
        if differing.get("role") is not None and account.kind is not AccountKind.B2B:
            raise ValidationError("role", "only contacts of a B2B account have a role")
        if "attributes" in differing:
            self.sized(differing["attributes"])
        updated = attrs.evolve(current, updated_at=tx.now, source_updated_at=newest, **differing)
        tx.uow.customers.update(updated)
        tx.emit(
            current.account_id,
            CustomerUpdated,
            customer_id=current.id,
            fields=tuple(sorted(differing)),
        )
        if account.kind is AccountKind.B2C:
            self.follow(tx, account, updated)
        return updated

    def new_b2c_account(self, tx: Tx, person: Fields) -> Account:
        """Insert, lock and announce a B2C account for ``person``, in the initial stage now."""
        initial = self._ctx.stages.initial
        account, change = b2c_account(tx, person, initial, tx.now)
        tx.uow.accounts.add_many([account])
        tx.uow.stages.add_many([change])
        tx.adopt(account)
        tx.put(account)
        tx.emit(account.id, AccountCreated, kind=account.kind.value, name=account.name)
        tx.emit(account.id, StageChanged, from_stage=None, to_stage=initial, automatic=True)
        return account

    @staticmethod
    def follow(tx: Tx, account: Account, person: Customer) -> None:
        """Keep a B2C account's name and time zone those of its person."""
        wanted: dict[str, Any] = {
            "name": b2c_name(person.name, person.external_id),
            "timezone": person.timezone,
        }
        moved = {k: val for k, val in wanted.items() if getattr(account, k) != val}
        if moved:
            tx.put(attrs.evolve(tx.account(account.id), **moved))
            tx.emit(account.id, AccountUpdated, fields=tuple(sorted(moved)))

    def refresh(
        self,
        tx: Tx,
        customer: Customer,
        person: Fields,
        *,
        stamp: pendulum.DateTime | None = None,
        stamp_unchanged: bool = True,
    ) -> Customer:
        """Apply what an order or an upsert carries to an existing customer.

        Nothing changes when ``stamp`` is older than the customer's
        ``source_updated_at``. An email that differs only in letter case is
        no change (lookups ignore case); attributes merge by key. An order
        passes ``stamp_unchanged=False``: its date is stored only when its
        data changed the customer, so an order that merely names its buyer
        never makes a later-arriving profile change look stale.
        """
        if is_stale(stamp, customer.source_updated_at):
            return customer
        changes: dict[str, Any] = {}
        if person.email is not None and (
            customer.email is None or v.email_key(person.email) != v.email_key(customer.email)
        ):
            changes["email"] = person.email
        for key in ("name", "role", "timezone", "external_id"):
            given = getattr(person, key)
            if given is not None:
                changes[key] = given
        if person.attributes is not None:
            changes["attributes"] = v.merge_patch(customer.attributes, person.attributes)
        return self.update(tx, customer.id, changes, stamp=stamp, stamp_unchanged=stamp_unchanged)

    def upsert(
        self,
        tx: Tx,
        fields: Fields,
        account_id: str | None,
        *,
        stamp: pendulum.DateTime | None = None,
    ) -> Customer:
        """Create the customer with ``fields.external_id``, or refresh it (see :meth:`refresh`).

        A guest (a customer with this email and no external id yet) who
        registers is the same customer: the external id is added to them.
        """
        assert fields.external_id is not None
        existing = tx.uow.customers.by_external_ids([fields.external_id]).get(fields.external_id)
        if existing is None and fields.email is not None:
            guest = tx.uow.customers.by_email(v.email_key(fields.email))
            if guest is not None and guest.external_id is None:
                existing = guest
        if existing is None:
            return self.create(tx, as_new(fields), account_id, stamp=stamp, racing=True)
        if account_id is not None and account_id != existing.account_id:
            raise Conflict(f"customer {existing.id} belongs to another account")
        return self.refresh(tx, existing, fields, stamp=stamp)
