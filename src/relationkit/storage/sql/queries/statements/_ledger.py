"""The statements of the loyalty ledger: entries and their allocations, by account and page."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from sqlalchemy import Select, bindparam, select

from relationkit.storage.sql.queries.statements._binds import limit, many
from relationkit.storage.sql.schema.tables import Tables

__all__ = ["LedgerStatements"]


class LedgerStatements:
    """The statements of ``ledger_entries`` and ``ledger_allocations``."""

    _t: Tables

    @cached_property
    def entries_of_account(self) -> Select[Any]:
        """The ledger entries of ``account_id``, in ``seq`` order."""
        e = self._t.ledger_entries
        return select(e).where(e.c.account_id == bindparam("account_id")).order_by(e.c.seq)

    @cached_property
    def entries_of_accounts(self) -> Select[Any]:
        """The ledger entries of ``account_ids`` (expanding), by account then ``seq``."""
        e = self._t.ledger_entries
        return (
            select(e)
            .where(e.c.account_id.in_(many("account_ids")))
            .order_by(e.c.account_id, e.c.seq)
        )

    @cached_property
    def allocations_of_account(self) -> Select[Any]:
        """The allocations of the entries of ``account_id``, by entry then position."""
        e, a = self._t.ledger_entries, self._t.ledger_allocations
        return (
            select(a)
            .join(e, e.c.id == a.c.entry_id)
            .where(e.c.account_id == bindparam("account_id"))
            .order_by(a.c.entry_id, a.c.position)
        )

    @cached_property
    def allocations_of_accounts(self) -> Select[Any]:
        """The allocations of the entries of ``account_ids`` (expanding)."""
        e, a = self._t.ledger_entries, self._t.ledger_allocations
        return (
            select(a)
            .join(e, e.c.id == a.c.entry_id)
            .where(e.c.account_id.in_(many("account_ids")))
            .order_by(a.c.entry_id, a.c.position)
        )

    @cached_property
    def entries_after(self) -> Select[Any]:
        """The entries of ``account_id`` with ``seq`` above ``after_seq``, in ``seq`` order."""
        e = self._t.ledger_entries
        return (
            select(e)
            .where(e.c.account_id == bindparam("account_id"), e.c.seq > bindparam("after_seq"))
            .order_by(e.c.seq)
        )

    @cached_property
    def entries_page(self) -> Select[Any]:
        """:attr:`entries_after`, at most ``limit``."""
        return self.entries_after.limit(limit())

    @cached_property
    def allocations_between(self) -> Select[Any]:
        """The allocations of ``account_id``'s entries with ``after_seq < seq <= last_seq``."""
        e, a = self._t.ledger_entries, self._t.ledger_allocations
        return (
            select(a)
            .join(e, e.c.id == a.c.entry_id)
            .where(
                e.c.account_id == bindparam("account_id"),
                e.c.seq > bindparam("after_seq"),
                e.c.seq <= bindparam("last_seq"),
            )
            .order_by(a.c.entry_id, a.c.position)
        )

    @cached_property
    def entries_by_source(self) -> Select[Any]:
        """The entries of ``account_id`` whose source is ``source``, in ``seq`` order."""
        e = self._t.ledger_entries
        return (
            select(e)
            .where(e.c.account_id == bindparam("account_id"), e.c.source == bindparam("source"))
            .order_by(e.c.seq)
        )

    @cached_property
    def entry(self) -> Select[Any]:
        """An entry by ``id``."""
        e = self._t.ledger_entries
        return select(e).where(e.c.id == bindparam("id"))

    @cached_property
    def allocations_of_entries(self) -> Select[Any]:
        """The allocations of ``entry_ids`` (expanding), by entry then position."""
        a = self._t.ledger_allocations
        return (
            select(a)
            .where(a.c.entry_id.in_(many("entry_ids")))
            .order_by(a.c.entry_id, a.c.position)
        )
