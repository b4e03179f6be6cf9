"""What every part of the loyalty service shares: the program and the books.

:class:`Ledgers` holds the program in force and loads, settles and saves
account books inside a transaction. Earning, refunds, tiers and settlement
each receive it, so none of them reaches into another.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pendulum

from relationkit._tx import Tx
from relationkit.domain.ledger import LedgerEntry
from relationkit.domain.loyalty import LoyaltyProgram
from relationkit.services.loyalty.book import Book
from relationkit.storage.fallback import queries

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

    def expires(self, at: pendulum.DateTime) -> pendulum.DateTime | None:
        """When points credited at ``at`` expire under the program (None: never)."""
        if self.program is None:
            return None
        return self.program.expiry.expires_at(at, self.timezone)

    def books(self, tx: Tx, account_ids: Sequence[str], *, settle: bool = True) -> dict[str, Book]:
        """Load the books of locked accounts, settled as of now unless told otherwise.

        Every write settles first, so a redemption never spends points that
        expired a second ago only because ``process_due`` has not run yet.
        """
        wanted = list(account_ids)
        if len(wanted) == 1:
            loaded = {wanted[0]: tx.uow.ledger.for_account(wanted[0])}
        else:
            loaded = queries(tx.uow).ledgers(wanted)
        zone = self.timezone
        books = {a: Book.load(a, loaded.get(a, []), zone) for a in wanted}
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
        """Emit the events of the books' new entries and insert them in one go."""
        new = self.emit(tx, books)
        if new:
            tx.uow.ledger.add_many(new)
