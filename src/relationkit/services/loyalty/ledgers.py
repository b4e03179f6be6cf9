"""What every part of the loyalty service shares: the program and the books.

:class:`Ledgers` holds the program in force and loads, settles and saves
account books inside a transaction. Earning, refunds, tiers and settlement
each receive it, so none of them reaches into another.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pendulum

from relationkit._tx import Tx
from relationkit.domain.ledger import EntryKind, LedgerEntry
from relationkit.domain.loyalty import LoyaltyProgram
from relationkit.domain.points import OpenLot
from relationkit.services._checkout import checkout
from relationkit.services.loyalty.book import Book

__all__ = ["Ledgers"]


class Ledgers:
    """The loyalty program in force and the account books of a transaction."""

    def __init__(self, kit_timezone: str) -> None:
        self._kit_timezone = kit_timezone
        self.program: LoyaltyProgram | None = None

    @property
    def timezone(self) -> str:
        """The zone expiry dates are counted in: the program's, else the kit's."""
        if self.program is not None and self.program.timezone is not None:
            return self.program.timezone
        return self._kit_timezone

    def policy(self) -> str:
        """What a debit beyond the balance becomes: ``"debt"`` or ``"write_off"``."""
        return self.program.negative_balance if self.program else "debt"

    def write_off(self, tx: Tx, book: Book, debit: LedgerEntry, source: str) -> None:
        """Under ``"write_off"``, credit back the debt ``debit`` left (an ADJUST entry)."""
        if debit.debt and self.policy() == "write_off":
            book.credit(
                tx,
                EntryKind.ADJUST,
                debit.debt,
                at=tx.now,
                expires_at=None,
                source=source,
                reason="write_off",
            )

    def zone(self, tx: Tx, account_id: str) -> str:
        """The zone an account's expiry dates are counted in.

        The account's own ``timezone`` (a B2C account has its customer's),
        else the program's, else the kit's.
        """
        own = tx.account(account_id, lock=False).timezone
        return own if own is not None else self.timezone

    def expires(self, at: pendulum.DateTime, zone: str | None = None) -> pendulum.DateTime | None:
        """When points credited at ``at`` expire under the program (None: never).

        ``zone`` is the account's (:meth:`zone`; a book's ``timezone``).
        """
        if self.program is None:
            return None
        return self.program.expiry.expires_at(at, zone or self.timezone)

    def books(self, tx: Tx, account_ids: Sequence[str], *, settle: bool = True) -> dict[str, Book]:
        """Load the books of locked accounts from their stored state, settled as of now.

        A book reads the account's state row, and then only the lots the
        work needs, never its history. Every write settles first, so a redemption never spends
        points that expired a second ago only because ``process_due`` has
        not run yet.
        """
        wanted = list(account_ids)
        states = tx.uow.points.get_many(wanted)
        books = {a: Book.from_store(a, states.get(a), self.zone(tx, a)) for a in wanted}
        if settle:
            for book in books.values():
                book.settle(tx, tx.now, self.program)
        return books

    def book(self, tx: Tx, account_id: str) -> Book:
        """Load and settle one locked account's book."""
        return self.books(tx, [account_id])[account_id]

    def emit(self, tx: Tx, books: Iterable[Book]) -> list[LedgerEntry]:
        """Emit the events of the books' new entries; return the entries to insert."""
        new: list[LedgerEntry] = []
        for book in books:
            new.extend(book.flush(tx))
        return new

    def save(self, tx: Tx, books: Iterable[Book]) -> None:
        """Insert the books' new entries and write their state, in one go per table."""
        chosen = list(books)
        self.store(tx, chosen, self.emit(tx, chosen))

    @staticmethod
    def store(tx: Tx, books: Sequence[Book], entries: Sequence[LedgerEntry]) -> None:
        """Insert ``entries`` and write the state rows and open lots the books changed."""
        if entries:
            tx.uow.ledger.add_many(entries)
        put: list[OpenLot] = []
        close: list[str] = []
        for book in books:
            lots, gone = book.lot_changes()
            put += lots
            close += gone
        if close:
            tx.uow.points.close_lots(close)
        if put:
            tx.uow.points.put_lots(put)
        holds = [hold for book in books for hold in book.hold_changes()]
        if holds:
            checkout(tx).put_holds(holds)
        states = [state for book in books if (state := book.new_state(tx)) is not None]
        if states:
            tx.uow.points.put_many(states)
