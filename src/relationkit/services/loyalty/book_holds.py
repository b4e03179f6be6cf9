"""A book's holds: read from the store as the work needs them, written when changed.

The holds an account's ledger opened are folded into the book's state
(:attr:`~relationkit.domain.ledger.LedgerState.holds`); a partial book
holds only those it read, and counts the points all open holds reserve
in ``running_held``. After the work, the holds opened or closed here are
written as rows of derived state (:class:`~relationkit.domain.holds.Hold`)
and the state row's ``next_release`` follows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pendulum

from relationkit._tx import Tx
from relationkit.domain.holds import Hold, held_points, hold_of
from relationkit.domain.ledger import HeldPoints
from relationkit.services._checkout import checkout, has_checkout

if TYPE_CHECKING:
    from relationkit.services.loyalty.book import Book

__all__ = ["adopt_holds", "hold_changes", "load_due_holds", "load_hold", "next_release"]


def adopt_holds(book: Book, holds: Sequence[Hold]) -> None:
    """Add holds read from the store, unless ``book`` already holds them."""
    for hold in holds:
        if hold.id not in book.state.holds and hold.account_id == book.account_id:
            book.state.holds[hold.id] = held_points(hold)
            book.loaded_holds[hold.id] = hold


def load_hold(book: Book, tx: Tx, hold_id: str) -> HeldPoints | None:
    """Return one of the account's holds (read from the store if need be), or None."""
    if hold_id not in book.state.holds and book.partial and has_checkout(tx):
        adopt_holds(book, list(checkout(tx).holds([hold_id]).values()))
    return book.state.holds.get(hold_id)


def load_due_holds(book: Book, tx: Tx, as_of: pendulum.DateTime) -> None:
    """Read the account's holds that lapse by ``as_of`` (a partial book with holds)."""
    stored = book.stored
    if stored is not None and stored.held and has_checkout(tx):
        adopt_holds(book, checkout(tx).due_holds(book.account_id, as_of))


def hold_changes(book: Book) -> list[Hold]:
    """Return the holds to write (opened or closed here), since the last call."""
    changed = []
    for held in book.state.holds.values():
        hold = hold_of(book.account_id, held)
        if book.loaded_holds.get(hold.id) != hold:
            changed.append(hold)
            book.holds_closed = book.holds_closed or not hold.open
            book.loaded_holds[hold.id] = hold
    return changed


def next_release(book: Book, tx: Tx, release: pendulum.DateTime | None) -> pendulum.DateTime | None:
    """Return when the next open hold of a partial book lapses.

    ``release`` is what the stored state row gives; once a hold was closed
    it is read from the store again.
    """
    if book.holds_closed:
        return checkout(tx).next_release(book.account_id)
    for held in book.state.holds.values():
        if held.status == "held" and (release is None or held.expires_at < release):
            release = held.expires_at
    return release
