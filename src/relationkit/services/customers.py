"""Customers: the people, each in a B2C account of their own or a B2B account."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from typing import Any

from relationkit import _validate as v
from relationkit._runtime import Runner
from relationkit.domain.customers import Customer
from relationkit.errors import NotFound, ValidationError
from relationkit.services import _refs
from relationkit.services._paging import walk
from relationkit.services._people import People, fields
from relationkit.storage.fallback import queries
from relationkit.storage.ports.queries import CustomerQuery

__all__ = ["UNSET", "CustomersService"]


class _Unset(enum.Enum):
    UNSET = "UNSET"


UNSET = _Unset.UNSET
"""Marks an argument of :meth:`CustomersService.update` that was not given."""


class CustomersService:
    """``kit.customers``: create, find, update and upsert people."""

    def __init__(self, runner: Runner, people: People) -> None:
        self._run = runner
        self._people = people

    def __repr__(self) -> str:
        return "<CustomersService>"

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
        given = fields(
            email=email, name=name, external_id=external_id, role=role, attributes=attributes
        )
        target = v.identifier(account_id, "account_id") if account_id is not None else None
        if given.email is None and given.name is None and given.external_id is None:
            raise ValidationError("customer", "needs at least an email, a name or an external_id")
        return self._run.write(lambda tx: self._people.create(tx, given, target))

    def get(self, customer_id: str) -> Customer:
        """Return a customer by id.

        Raises:
            NotFound: if there is none.
        """
        return self._run.read(lambda tx: _refs.customer(tx, customer_id, "id"))

    def get_by_email(self, email: str) -> Customer:
        """Return the customer with this email, compared case-insensitively.

        Raises:
            NotFound: if there is none (the message does not repeat the email).
        """
        key = v.email_key(v.email(email))
        found = self._run.read(lambda tx: tx.uow.customers.by_email(key))
        if found is None:
            raise NotFound("customer", "(by email)")
        return found

    def get_by_external_id(self, external_id: str) -> Customer:
        """Return the customer with this external id.

        Raises:
            NotFound: if there is none.
        """
        key = v.identifier(external_id, "external_id")
        found = self._run.read(lambda tx: tx.uow.customers.by_external_ids([key]))
        if key not in found:
            raise NotFound("customer", f"external_id={key}")
        return found[key]

    def find(self, ref: str) -> Customer | None:
        """Return the customer for an id, or None."""
        key = v.identifier(ref, "id")
        return self._run.read(lambda tx: tx.uow.customers.get_many([key]).get(key))

    def search(
        self,
        *,
        email_prefix: str | None = None,
        name_prefix: str | None = None,
        external_id: str | None = None,
        stage: str | None = None,
        tier: str | None = None,
        limit: int = 100,
        after: Customer | None = None,
    ) -> list[Customer]:
        """Return a page of customers matching every filter given, in id (creation) order.

        Args:
            email_prefix: the email starts with this (case-insensitive).
            name_prefix: the name starts with this (case-insensitive).
            external_id: the host's id equals this.
            stage: the customer's account is in this stage.
            tier: the customer's account holds this tier.
            limit: the page size (at most 10,000).
            after: the last customer of the previous page.

        Raises:
            ValidationError: on a malformed filter.
        """
        query = CustomerQuery(
            email_prefix=_lower(email_prefix, "email_prefix"),
            name_prefix=_lower(name_prefix, "name_prefix"),
            external_id=v.identifier(external_id, "external_id")
            if external_id is not None
            else None,
            stage=v.identifier(stage, "stage", max_length=64) if stage is not None else None,
            tier=v.text(tier, "tier", max_length=64) if tier is not None else None,
        )
        size = v.positive_int(limit, "limit", maximum=10_000)
        cursor = after.id if after is not None else None
        return self._run.read(
            lambda tx: queries(tx.uow).search_customers(query, after=cursor, limit=size)
        )

    def iter_search(self, *, page_size: int = 1000, **filters: Any) -> Iterator[Customer]:
        """Yield every customer matching ``filters`` (as :meth:`search`), a page at a time."""
        size = v.positive_int(page_size, "page_size", maximum=10_000)
        return walk(lambda last: self.search(limit=size, after=last, **filters), size)

    def count(self) -> int:
        """Return the number of customers."""
        return self._run.read(lambda tx: queries(tx.uow).count_customers())

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
        return self._run.write(lambda tx: self._people.update(tx, customer_id, changes))

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
        given = fields(
            email=email, name=name, external_id=external_id, role=role, attributes=attributes
        )
        target = v.identifier(account_id, "account_id") if account_id is not None else None
        return self._run.write(lambda tx: self._people.upsert(tx, given, target))


def _lower(value: str | None, field: str) -> str | None:
    """A search prefix: validated text, compared lower-cased."""
    return v.text(value, field).strip().lower() if value is not None else None
