"""Customers: the people, each in a B2C account of their own or a B2B account."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pendulum

from relationkit import _validate as v
from relationkit._runtime import Runner
from relationkit.domain.customers import Customer
from relationkit.errors import NotFound, ValidationError
from relationkit.services import _refs
from relationkit.services._companies import Target
from relationkit.services._moves import Moves
from relationkit.services._paging import walk
from relationkit.services._people import People, fields
from relationkit.services._unset import UNSET
from relationkit.services._unset import Unset as _Unset
from relationkit.storage.fallback import queries
from relationkit.storage.ports.queries import CustomerQuery

__all__ = ["UNSET", "CustomersService"]


class CustomersService:
    """``kit.customers``: create, find, update and upsert people."""

    def __init__(self, runner: Runner, people: People) -> None:
        self._run = runner
        self._people = people
        self._moves = Moves(people)

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
        timezone: str | None = None,
        account_external_id: str | None = None,
        account_name: str | None = None,
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
            attributes: JSON-safe custom fields (at most the kit's
                ``max_attribute_bytes`` as compact JSON).
            timezone: the person's IANA zone (``"Europe/Paris"``); a B2C
                account counts point expiry in it.
            account_external_id: instead of ``account_id``, the shop's id of
                the account to join: found, or created in the same
                transaction as a B2B account (see :meth:`upsert`).
            account_name: the name of an account ``account_external_id``
                creates (default: the external id); an existing account
                keeps its name.

        Raises:
            ValidationError: on malformed input, a role without a B2B
                account, both ``account_id`` and ``account_external_id``,
                or ``account_name`` without ``account_external_id``.
            NotFound: if ``account_id`` does not exist.
            Conflict: if the email or external id is taken, or the account is
                a B2C account that already has its person.
        """
        given = fields(
            email=email,
            name=name,
            external_id=external_id,
            role=role,
            attributes=attributes,
            timezone=timezone,
        )
        target = Target.of(account_id, account_external_id, account_name)
        if given.email is None and given.name is None and given.external_id is None:
            raise ValidationError("customer", "needs at least an email, a name or an external_id")
        return self._run.write(
            lambda tx: self._people.create(
                tx, given, target.account(tx, self._people.context.stages.initial)
            )
        )

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
        attributes: Mapping[str, str | int | bool] | None = None,
        created_after: pendulum.DateTime | None = None,
        created_before: pendulum.DateTime | None = None,
        updated_after: pendulum.DateTime | None = None,
        updated_before: pendulum.DateTime | None = None,
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
            attributes: top-level attributes equal to these values (str,
                int or bool; ``True`` matches only a JSON ``true``).
            created_after: created at or after this instant.
            created_before: created before this instant.
            updated_after: last changed at or after this instant.
            updated_before: last changed before this instant.
            limit: the page size (at most 10,000).
            after: the last customer of the previous page (the cursor: ids
                sort by creation, so pages stay stable while customers are
                added).

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
            attributes=v.attribute_filter(attributes) if attributes is not None else None,
            created_after=_instant(created_after, "created_after"),
            created_before=_instant(created_before, "created_before"),
            updated_after=_instant(updated_after, "updated_after"),
            updated_before=_instant(updated_before, "updated_before"),
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
        timezone: str | _Unset | None = UNSET,
    ) -> Customer:
        """Change some fields of a customer; ``None`` clears an optional field.

        ``attributes`` replaces the whole mapping (:meth:`upsert` merges).
        A B2C account follows its customer's new name and time zone
        (:class:`~relationkit.events.AccountUpdated`).

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
        if timezone is not UNSET:
            changes["timezone"] = v.timezone(timezone) if timezone is not None else None
        return self._run.write(lambda tx: self._people.update(tx, customer_id, changes))

    def move(
        self, customer_id: str, *, account_id: str | None = None, role: str | None = None
    ) -> Customer:
        """Move a customer, with their history, into another account or one of their own.

        With ``account_id`` the customer joins that account: a B2B account
        as a contact with ``role``, or a B2C account that has no person (the
        one they left earlier, say). Without it they move into a new B2C
        account of their own. What moves with them:

        - their purchases (with lines and refunds) and the interactions
          naming them: the new account's history, spend and analytics
          include them, the old account's no longer do;
        - nothing of the loyalty program: points stay with the account they
          were earned in (its ledger, balance, pending points and tier),
          like its stage history, its scores and its interactions that name
          no one. A B2C account left without its person is kept as it is;
          moving the person back into it gives them those points again.

        The account joined moves forward in its lifecycle as a purchase
        would move it when purchases came along. The write costs what the
        person's records in the old account are (two set-based UPDATEs on
        SQL). Concurrent writers are safe: the move locks both accounts,
        and an order or update of the person that raced it is retried
        against the account they moved to.

        Events (after commit): :class:`~relationkit.events.CustomerLeft` on
        the old account, :class:`~relationkit.events.CustomerMoved` on the
        new one (with the counts of moved records), and
        :class:`~relationkit.events.ContactAdded` when it is B2B; a new B2C
        account also gets ``AccountCreated`` and ``StageChanged``.

        Args:
            customer_id: the customer to move.
            account_id: the account to join (None: a new B2C account of their own).
            role: the contact's role in a B2B account (``"buyer"``).

        Returns:
            The moved customer (``account_id`` is the new account). A call
            that asks for where the customer already is changes nothing and
            emits nothing (a B2C customer moved out, or a move into their
            own account), so a retried request is harmless.

        Raises:
            ValidationError: on malformed ids, or a role for a B2C account.
            NotFound: if the customer or the account does not exist.
            Conflict: if the account is B2C and already has its person.
            StorageError: if the storage backend cannot move records
                (:class:`~relationkit.storage.ports.moves.RecordMoves`).
        """
        key = v.identifier(customer_id, "customer_id")
        target = v.identifier(account_id, "account_id") if account_id is not None else None
        if target is not None and target.startswith("cus_"):
            raise ValidationError("account_id", "must be an account id (acc_...)")
        clean_role = v.text(role, "role", max_length=64) if role is not None else None
        return self._run.write(lambda tx: self._moves.move(tx, key, target, clean_role))

    def upsert(
        self,
        *,
        external_id: str,
        email: str | None = None,
        name: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        account_id: str | None = None,
        role: str | None = None,
        timezone: str | None = None,
        source_updated_at: pendulum.DateTime | None = None,
        account_external_id: str | None = None,
        account_name: str | None = None,
    ) -> Customer:
        """Create the customer with this external id, or update the given fields.

        Made for webhooks: call it with what the source knows each time.

        - Fields left as None are not touched on an existing customer.
        - ``attributes`` is a JSON merge patch (RFC 7386): given keys are set,
          a key set to None is removed, nested mappings merge, other keys
          stay.
        - Stale writes change nothing: pass the source's own modification
          time as ``source_updated_at``; when the customer already holds a
          later one, the call returns the customer as stored. An equal or
          later time is applied and kept. Without it, the call is applied.
        - An email that differs only in letter case is no change.
        - An event (:class:`~relationkit.events.CustomerUpdated`) is emitted
          only when a field really changed.
        - A guest (a customer with this email and no external id, created
          by an order) who registers becomes this external id's customer:
          the same customer, with their history.

        - ``account_external_id`` names the company by the shop's own id,
          for a contact whose webhook comes before the company's: the
          account with that external id is found, or created in the same
          transaction as a B2B account named ``account_name`` (else the
          external id). Such an account has no ``source_updated_at``, so the
          company's own ``accounts.upsert(external_id=..., name=...)``
          always fills in its real name; ``account_name`` never renames an
          existing account.

        Two workers upserting the same new customer (or company) at once
        both return the one customer (the loser of the insert retries and
        finds it).

        Raises:
            ValidationError: on malformed input, both ``account_id`` and
                ``account_external_id``, or ``account_name`` without
                ``account_external_id``.
            Conflict: if the email belongs to another customer, or the
                account named is not the customer's account.
        """
        given = fields(
            email=email,
            name=name,
            external_id=external_id,
            role=role,
            attributes=attributes,
            timezone=timezone,
        )
        target = Target.of(account_id, account_external_id, account_name)
        stamp = _instant(source_updated_at, "source_updated_at")
        return self._run.write(
            lambda tx: self._people.upsert(
                tx, given, target.account(tx, self._people.context.stages.initial), stamp=stamp
            )
        )


def _instant(value: object, field: str) -> pendulum.DateTime | None:
    return v.aware_utc(value, field) if value is not None else None


def _lower(value: str | None, field: str) -> str | None:
    """A search prefix: validated text, compared lower-cased."""
    return v.text(value, field).strip().lower() if value is not None else None
