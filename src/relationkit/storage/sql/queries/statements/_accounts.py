"""The statements of the account directory: accounts, customers, stage changes, interactions.

Every table here is keyed by, or read by, its account. The UPDATEs set the
mutable fields a shape declares (see :mod:`~relationkit.storage.sql.mapping`).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from sqlalchemy import Select, Table, Update, bindparam, select, update

from relationkit.storage.sql import mapping
from relationkit.storage.sql.queries.statements._binds import limit, many
from relationkit.storage.sql.schema.tables import Tables

__all__ = ["AccountStatements"]


def _update(table: Table, shape: mapping.Shape) -> Update:
    keys = [table.c[k] == bindparam(f"b_{k}", type_=table.c[k].type) for k in shape.key]
    types = {c.key: c.type for c in table.columns}
    return update(table).where(*keys).values(shape.update_values(types))


class AccountStatements:
    """The statements of ``accounts``, ``customers``, ``stage_changes`` and ``interactions``."""

    _t: Tables

    @cached_property
    def account_update(self) -> Update:
        """Set an account's mutable fields; ``b_<column>`` binds (see the shape)."""
        return _update(self._t.accounts, mapping.ACCOUNT)

    @cached_property
    def account_version(self) -> Update:
        """Set an account's ``version`` alone; binds ``b_id`` and ``b_version``."""
        a = self._t.accounts
        return (
            update(a)
            .where(a.c.id == bindparam("b_id"))
            .values(version=bindparam("b_version", type_=a.c.version.type))
        )

    @cached_property
    def customer_update(self) -> Update:
        """Set a customer's mutable fields; ``b_<column>`` binds."""
        return _update(self._t.customers, mapping.CUSTOMER)

    @cached_property
    def account(self) -> Select[Any]:
        """An account by ``id``."""
        a = self._t.accounts
        return select(a).where(a.c.id == bindparam("id"))

    @cached_property
    def account_locked(self) -> Select[Any]:
        """An account by ``id``, locked (``FOR NO KEY UPDATE``; not rendered on SQLite).

        ``NO KEY``: the lock serialises writers of the account without
        blocking inserts of rows that only reference it.
        """
        return self.account.with_for_update(key_share=True)

    @cached_property
    def account_with_points(self) -> Select[Any]:
        """An account by ``id`` and its points state row (all None when it has none).

        The account's columns, then the state's: for serial-write
        transactions only (see :mod:`~relationkit.storage.sql.repositories.prefetch`).
        """
        a, p = self._t.accounts, self._t.points_state
        return (
            select(a, *p.c)
            .select_from(a.outerjoin(p, p.c.account_id == a.c.id))
            .where(a.c.id == bindparam("id"))
        )

    @cached_property
    def accounts(self) -> Select[Any]:
        """Accounts by ``ids`` (expanding), in id order."""
        a = self._t.accounts
        return select(a).where(a.c.id.in_(many("ids"))).order_by(a.c.id)

    @cached_property
    def accounts_locked(self) -> Select[Any]:
        """Accounts by ``ids`` (expanding), in id order, locked."""
        return self.accounts.with_for_update(key_share=True)

    @cached_property
    def account_ids(self) -> Select[Any]:
        """Account ids in id order, at most ``limit``."""
        a = self._t.accounts
        return select(a.c.id).order_by(a.c.id).limit(limit())

    @cached_property
    def account_ids_after(self) -> Select[Any]:
        """Account ids above ``after`` in id order, at most ``limit``."""
        a = self._t.accounts
        return select(a.c.id).where(a.c.id > bindparam("after")).order_by(a.c.id).limit(limit())

    @cached_property
    def account_ids_in(self) -> Select[Any]:
        """The ids among ``ids`` (expanding) that are stored."""
        a = self._t.accounts
        return select(a.c.id).where(a.c.id.in_(many("ids")))

    # -- customers ------------------------------------------------------------

    @cached_property
    def customer(self) -> Select[Any]:
        """A customer by ``id``."""
        c = self._t.customers
        return select(c).where(c.c.id == bindparam("id"))

    @cached_property
    def customers(self) -> Select[Any]:
        """Customers by ``ids`` (expanding)."""
        c = self._t.customers
        return select(c).where(c.c.id.in_(many("ids")))

    @cached_property
    def customer_by_email(self) -> Select[Any]:
        """A customer by ``email_key``."""
        c = self._t.customers
        return select(c).where(c.c.email_key == bindparam("email_key"))

    @cached_property
    def customer_by_external_id(self) -> Select[Any]:
        """A customer by ``external_id``."""
        c = self._t.customers
        return select(c).where(c.c.external_id == bindparam("external_id"))

    @cached_property
    def customers_by_external_ids(self) -> Select[Any]:
        """Customers by ``external_ids`` (expanding)."""
        c = self._t.customers
        return select(c).where(c.c.external_id.in_(many("external_ids")))

    @cached_property
    def customers_of_account(self) -> Select[Any]:
        """The customers of ``account_id``, in id order."""
        c = self._t.customers
        return select(c).where(c.c.account_id == bindparam("account_id")).order_by(c.c.id)

    # -- stages, interactions -------------------------------------------------

    @cached_property
    def stages_of_account(self) -> Select[Any]:
        """The stage changes of ``account_id``, in ``at`` then insertion order."""
        s = self._t.stage_changes
        return select(s).where(s.c.account_id == bindparam("account_id")).order_by(s.c.at, s.c.seq)

    @cached_property
    def interactions_of_account(self) -> Select[Any]:
        """The interactions of ``account_id``, in ``occurred_at`` then id order."""
        i = self._t.interactions
        return (
            select(i)
            .where(i.c.account_id == bindparam("account_id"))
            .order_by(i.c.occurred_at, i.c.id)
        )
