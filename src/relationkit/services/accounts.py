"""Accounts: B2C (one person) or B2B (a company with contacts and roles)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from relationkit import _validate as v
from relationkit._runtime import Context, Runner
from relationkit._tx import Tx
from relationkit.domain.customers import Account, AccountKind, Customer
from relationkit.domain.lifecycle import StageChange
from relationkit.errors import ValidationError
from relationkit.events import AccountCreated, StageChanged
from relationkit.services._paging import walk
from relationkit.services._refs import resolve
from relationkit.storage.fallback import queries
from relationkit.storage.ports.queries import AccountQuery

__all__ = ["AccountsService"]


def coerce_kind(kind: object) -> AccountKind:
    """Return ``kind`` as an :class:`AccountKind`."""
    try:
        return AccountKind(str(kind)) if not isinstance(kind, AccountKind) else kind
    except ValueError:
        raise ValidationError("kind", "must be AccountKind.B2C or AccountKind.B2B") from None


class AccountsService:
    """``kit.accounts``: create and read accounts and their contacts."""

    def __init__(self, runner: Runner, ctx: Context) -> None:
        self._run = runner
        self._ctx = ctx

    def __repr__(self) -> str:
        return "<AccountsService>"

    def create(self, *, name: str, kind: AccountKind | str = AccountKind.B2B) -> Account:
        """Create an account in the graph's initial stage.

        Args:
            name: display name (a company name).
            kind: ``AccountKind.B2B`` (default) or ``AccountKind.B2C``.

        Raises:
            ValidationError: on an empty or over-long name or an unknown kind.
        """
        clean_name = v.text(name, "name")
        clean_kind = coerce_kind(kind)
        return self._run.write(lambda tx: self._insert(tx, clean_name, clean_kind))

    def _insert(self, tx: Tx, name: str, kind: AccountKind) -> Account:
        """Insert a new account with its first stage; return it."""
        initial = self._ctx.stages.initial
        account = Account(
            id=tx.ids.new("acc"),
            name=name,
            kind=kind,
            stage=initial,
            stage_since=tx.now,
            created_at=tx.now,
            version=0,
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

    def get(self, ref: str) -> Account:
        """Return an account by its id, or the account of a customer id.

        Raises:
            NotFound: if neither exists.
        """
        return self._run.read(lambda tx: tx.account(resolve(tx, ref), lock=False))

    def search(
        self,
        *,
        name_prefix: str | None = None,
        kind: AccountKind | str | None = None,
        stage: str | None = None,
        tier: str | None = None,
        limit: int = 100,
        after: Account | None = None,
    ) -> list[Account]:
        """Return a page of accounts matching every filter given, in id (creation) order.

        Args:
            name_prefix: the name starts with this (case-insensitive).
            kind: B2C or B2B.
            stage: the account's stage.
            tier: the account's tier.
            limit: the page size (at most 10,000).
            after: the last account of the previous page.

        Raises:
            ValidationError: on a malformed filter.
        """
        query = AccountQuery(
            name_prefix=v.text(name_prefix, "name_prefix").strip().lower()
            if name_prefix is not None
            else None,
            kind=coerce_kind(kind) if kind is not None else None,
            stage=v.identifier(stage, "stage", max_length=64) if stage is not None else None,
            tier=v.text(tier, "tier", max_length=64) if tier is not None else None,
        )
        size = v.positive_int(limit, "limit", maximum=10_000)
        cursor = after.id if after is not None else None
        return self._run.read(
            lambda tx: queries(tx.uow).search_accounts(query, after=cursor, limit=size)
        )

    def iter_search(self, *, page_size: int = 1000, **filters: Any) -> Iterator[Account]:
        """Yield every account matching ``filters`` (as :meth:`search`), a page at a time."""
        size = v.positive_int(page_size, "page_size", maximum=10_000)
        return walk(lambda last: self.search(limit=size, after=last, **filters), size)

    def contacts(self, ref: str) -> list[Customer]:
        """Return the people of an account with their roles (``customer.role``)."""
        return self._run.read(lambda tx: tx.uow.customers.for_account(resolve(tx, ref)))
