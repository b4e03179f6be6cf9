"""Customers (people) and accounts (the party that buys: one person or a company)."""

from __future__ import annotations

import enum
from typing import Any

import attrs
import pendulum

__all__ = ["Account", "AccountKind", "Customer"]


class AccountKind(enum.StrEnum):
    """Whether an account is one consumer (B2C) or a company with contacts (B2B).

    Attributes:
        B2C: ``"b2c"``, one person; the account follows its customer's name
            and time zone.
        B2B: ``"b2b"``, a company; its contacts are customers with a role.
    """

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
        created_at: when the account was stored (the kit's clock).
        version: the sequence number of the account's last event.
        tier: the loyalty tier the account holds (None: none, or no program).
        external_id: the host's own id for the account (a shop's company id),
            unique among accounts, or None.
        attributes: JSON-safe custom fields.
        timezone: the IANA zone whose calendar counts this account's point
            expiry (None: the program's, else the kit's). A B2C account
            takes its customer's.
        source_updated_at: the newest ``source_updated_at`` an upsert applied
            (the host's own modification time); an upsert carrying an older
            one changes nothing. None: no upsert gave one.
    """

    id: str
    name: str
    kind: AccountKind
    stage: str
    stage_since: pendulum.DateTime
    created_at: pendulum.DateTime
    version: int = 0
    tier: str | None = None
    external_id: str | None = None
    attributes: dict[str, Any] = attrs.field(factory=dict)
    timezone: str | None = None
    source_updated_at: pendulum.DateTime | None = None


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
        created_at: when the customer was stored (the kit's clock).
        updated_at: when a field last changed (the kit's clock).
        timezone: the person's IANA zone, or None. On a B2C customer it is
            also the account's (expiry is counted in it).
        source_updated_at: the newest ``source_updated_at`` an upsert or an
            order applied; data older than it changes nothing. None: none
            given yet.
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
    timezone: str | None = None
    source_updated_at: pendulum.DateTime | None = None
