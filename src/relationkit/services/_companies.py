"""Accounts inserted inside a transaction, and companies found or created by the shop's id.

:func:`insert_account` is the one place a new account row, its first stage
and their events are made for ``kit.accounts``. :func:`company` serves a
customer webhook that names its company by the shop's own id before the
company's webhook has arrived: the company is found, or created as a B2B
account named ``name`` (else the external id itself), with no
``source_updated_at`` of its own, so the company's own
``accounts.upsert(external_id=..., name=...)`` fills in the real name
whatever its date.

Two writers creating the same company at once collide on the accounts'
external id unique key; the runner retries the loser, which then finds it.
"""

from __future__ import annotations

from typing import Any

import attrs
import pendulum

from relationkit import _validate as v
from relationkit._tx import Tx
from relationkit.domain.customers import Account, AccountKind
from relationkit.domain.lifecycle import StageChange
from relationkit.errors import ValidationError
from relationkit.events import AccountCreated, StageChanged

__all__ = ["Target", "company", "insert_account"]


def insert_account(
    tx: Tx,
    initial: str,
    *,
    name: str,
    kind: AccountKind,
    external_id: str | None,
    attributes: dict[str, Any],
    timezone: str | None,
    stamp: pendulum.DateTime | None,
) -> Account:
    """Insert a new account in stage ``initial`` now, lock and announce it; return it."""
    account = Account(
        id=tx.ids.new("acc"),
        name=name,
        kind=kind,
        stage=initial,
        stage_since=tx.now,
        created_at=tx.now,
        version=0,
        external_id=external_id,
        attributes=attributes,
        timezone=timezone,
        source_updated_at=stamp,
    )
    tx.uow.accounts.add_many([account])
    tx.uow.stages.add_many(
        [
            StageChange(
                account_id=account.id,
                from_stage=None,
                to_stage=initial,
                at=tx.now,
                automatic=True,
            )
        ]
    )
    tx.adopt(account)
    tx.put(account)
    tx.emit(account.id, AccountCreated, kind=kind.value, name=name)
    tx.emit(account.id, StageChanged, from_stage=None, to_stage=initial, automatic=True)
    return tx.current(account.id)


def company(tx: Tx, initial: str, external_id: str, name: str | None) -> str:
    """Return the id of the account with ``external_id``, creating a B2B one if none.

    Args:
        tx: the transaction.
        initial: the stage graph's initial stage, for a new account.
        external_id: the shop's id of the company (validated).
        name: the new account's name (validated; None: the external id).
            An existing account keeps its own name.
    """
    found = tx.uow.accounts.by_external_ids([external_id]).get(external_id)
    if found is not None:
        return found.id
    created = insert_account(
        tx,
        initial,
        name=name or external_id,
        kind=AccountKind.B2B,
        external_id=external_id,
        attributes={},
        timezone=None,
        stamp=None,
    )
    return created.id


@attrs.frozen(kw_only=True)
class Target:
    """The account a customer write names: by id, by the shop's id, or none (B2C)."""

    account_id: str | None
    external_id: str | None
    name: str | None

    @classmethod
    def of(cls, account_id: object, external_id: object, name: object) -> Target:
        """Validate the account keywords of a create or an upsert."""
        if account_id is not None and external_id is not None:
            raise ValidationError("account_id", "give account_id or account_external_id, not both")
        if name is not None and external_id is None:
            raise ValidationError("account_name", "is only used with account_external_id")
        return cls(
            account_id=v.identifier(account_id, "account_id") if account_id is not None else None,
            external_id=v.identifier(external_id, "account_external_id")
            if external_id is not None
            else None,
            name=v.text(name, "account_name") if name is not None else None,
        )

    def account(self, tx: Tx, initial: str) -> str | None:
        """Return the id of the account to join, creating the company if needed.

        None means a B2C account of the customer's own.
        """
        if self.external_id is None:
            return self.account_id
        return company(tx, initial, self.external_id, self.name)
