"""Customers (people) and accounts (the party that buys: one person or a company)."""

from __future__ import annotations

import enum
from typing import Any

import attrs
import pendulum

__all__ = ["Account", "AccountKind", "Customer"]


class AccountKind(enum.StrEnum):
    """Whether an account is one consumer (B2C) or a company with contacts (B2B)."""

    B2C = "b2c"
    B2B = "b2b"


@attrs.frozen(kw_only=True)
class Account:
    """The party whose stage, ledger, purchases and scores are tracked.

    Attributes:
        id: ``acc_...``.
        name: display name (a company name, or the person's name for B2C).
        kind: B2C (one person) or B2B (a company with contacts).
        stage: current lifecycle stage.
        stage_since: when the current stage was entered.
        version: the sequence number of the account's last event.
        tier: the loyalty tier the account holds (None: none, or no program).
    """

    id: str
    name: str
    kind: AccountKind
    stage: str
    stage_since: pendulum.DateTime
    created_at: pendulum.DateTime
    version: int = 0
    tier: str | None = None


@attrs.frozen(kw_only=True)
class Customer:
    """A person: a B2C account's owner or a contact of a B2B account.

    Attributes:
        id: ``cus_...``.
        account_id: the account the person belongs to.
        email: as given; looked up case-insensitively.
        name: display name.
        external_id: the host's own id for this person (a shop user id).
        role: the contact's role in a B2B account (``"buyer"``, ...), or None.
        attributes: JSON-safe custom fields.
    """

    id: str
    account_id: str
    email: str | None = None
    name: str | None = None
    external_id: str | None = None
    role: str | None = None
    attributes: dict[str, Any] = attrs.field(factory=dict)
    created_at: pendulum.DateTime
    updated_at: pendulum.DateTime
