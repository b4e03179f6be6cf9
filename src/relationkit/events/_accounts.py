"""Events of accounts and the people in them: created, joined, moved, left, updated."""

from __future__ import annotations

import attrs

from relationkit.events._base import AccountEvent

__all__ = [
    "AccountCreated",
    "AccountUpdated",
    "ContactAdded",
    "CustomerCreated",
    "CustomerLeft",
    "CustomerMoved",
    "CustomerUpdated",
]


@attrs.frozen(kw_only=True)
class AccountCreated(AccountEvent):
    """A new account; ``aggregate_id`` is its id.

    Attributes:
        kind: ``"b2c"`` or ``"b2b"`` (the value of :class:`~relationkit.AccountKind`).
        name: the account's display name when it was created.
    """

    kind: str
    name: str


@attrs.frozen(kw_only=True)
class CustomerCreated(AccountEvent):
    """A new customer in account ``aggregate_id``.

    Attributes:
        customer_id: the new customer's id (``cus_...``).
        external_id: the host's own id for the person, if one was given.
    """

    customer_id: str
    external_id: str | None = None


@attrs.frozen(kw_only=True)
class ContactAdded(AccountEvent):
    """A customer joined a B2B account as a contact with a role.

    Attributes:
        customer_id: the contact's customer id.
        role: the contact's role in the account (``"buyer"``, ...), or None.
    """

    customer_id: str
    role: str | None = None


@attrs.frozen(kw_only=True)
class CustomerMoved(AccountEvent):
    """A customer moved into account ``aggregate_id`` with their history.

    Emitted by ``kit.customers.move`` on the account joined; the account
    left gets :class:`CustomerLeft` in the same commit.

    Attributes:
        customer_id: the customer who moved.
        from_account_id: the account they left (it keeps its stage, ledger
            and points).
        role: their role in the account joined (a B2B account), or None.
        purchases: how many of their purchases moved with them.
        interactions: how many interactions naming them moved with them.
    """

    customer_id: str
    from_account_id: str
    role: str | None = None
    purchases: int = 0
    interactions: int = 0


@attrs.frozen(kw_only=True)
class CustomerLeft(AccountEvent):
    """A customer left account ``aggregate_id`` for another (``kit.customers.move``).

    Attributes:
        customer_id: the customer who left.
        to_account_id: the account they joined (it gets :class:`CustomerMoved`).
    """

    customer_id: str
    to_account_id: str


@attrs.frozen(kw_only=True)
class CustomerUpdated(AccountEvent):
    """Fields of a customer changed; ``fields`` names them (values are not copied).

    Attributes:
        customer_id: the customer that changed.
        fields: the names of the fields that changed (``"email"``,
            ``"attributes"``, ...); read the customer for the new values.
    """

    customer_id: str
    fields: tuple[str, ...]


@attrs.frozen(kw_only=True)
class AccountUpdated(AccountEvent):
    """Fields of account ``aggregate_id`` changed (values are not copied).

    Emitted by ``kit.accounts.update`` and ``upsert``, and when a B2C
    account follows its customer's new name or time zone.

    Attributes:
        fields: the names of the fields that changed, sorted (``"name"``,
            ``"attributes"``, ``"external_id"``, ``"timezone"``).
    """

    fields: tuple[str, ...]
