"""A partial book's lots: read from the store as the work needs them, written when changed.

A :class:`~relationkit.services.loyalty.book.Book` built from the store
holds no lot at first. The work reads what it needs: the lots due at a
settlement, the first lots in consumption order for a debit (a page at a
time), an order's own lots for a refund. After the work, the lots whose
remaining points changed are written and the spent ones closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pendulum

from relationkit._tx import Tx
from relationkit.domain.points import LotKey, OpenLot, lot_key, open_lots_of, state_of
from relationkit.services.loyalty.book_holds import load_due_holds

if TYPE_CHECKING:
    from relationkit.services.loyalty.book import Book

__all__ = [
    "adopt_lots",
    "load_due",
    "load_lots",
    "load_spendable",
    "lot_bounds",
    "lot_changes",
    "read_expiring",
]


def adopt_lots(book: Book, lots: Sequence[OpenLot]) -> None:
    """Add lots read from the store, unless ``book`` already holds them."""
    state, loaded_ids = book.state, book.loaded_lots
    new = [
        lot
        for lot in lots
        if lot.id not in loaded_ids and lot.id not in state.lots and lot.id not in state.pending
    ]
    if not new:
        return
    loaded = state_of(new, 0)
    state.lots.update(loaded.lots)
    state.pending.update(loaded.pending)
    loaded_ids.update((lot.id, lot.remaining) for lot in new)


def load_lots(book: Book, tx: Tx, lot_ids: Sequence[str]) -> None:
    """Read these lots (an order's own, for a refund) if they are still open."""
    if not book.partial:
        return
    wanted = [i for i in lot_ids if i not in book.loaded_lots]
    if wanted:
        adopt_lots(book, list(tx.uow.points.lots_by_id(wanted).values()))


def load_due(book: Book, tx: Tx, as_of: pendulum.DateTime) -> None:
    """Read the lots (and holds) that fall due by ``as_of``, once per instant."""
    stored = book.stored
    if not book.partial or stored is None or stored.next_due is None:
        return
    if stored.next_due > as_of or (book.due_loaded is not None and book.due_loaded >= as_of):
        return
    adopt_lots(book, tx.uow.points.due_lots(book.account_id, as_of))
    load_due_holds(book, tx, as_of)
    book.due_loaded = as_of


def load_spendable(book: Book, tx: Tx, points: int, as_of: pendulum.DateTime) -> None:
    """Read lots in consumption order until those held cover ``points``.

    A lot this transaction opened may sort after lots not read yet; so
    reading goes on until the lots needed all sort before the last key read.
    """
    if not book.partial:
        return
    # Most debits take one lot or a few: start with one, grow fast.
    page = 1
    while not book.exhausted:
        needed: LotKey | None = None
        left = points
        for lot in book.state.spendable(as_of):
            left -= lot.remaining
            if left <= 0:
                needed = lot_key(lot)
                break
        if needed is not None and book.cursor is not None and needed <= book.cursor:
            return
        _read_page(book, tx, page)
        page = min(page * 4, 1000)


def read_expiring(book: Book, tx: Tx, until: pendulum.DateTime) -> None:
    """Read lots in consumption order until past those that expire by ``until``."""
    # Lots that expire come first in consumption order: read until past ``until``.
    page = 64
    while not book.exhausted and not (
        book.cursor is not None and (book.cursor[0] or book.cursor[1] > until)
    ):
        _read_page(book, tx, page)
        page = min(page * 4, 1000)


def _read_page(book: Book, tx: Tx, size: int) -> None:
    found = tx.uow.points.spendable_lots(book.account_id, after=book.cursor, limit=size)
    adopt_lots(book, found)
    if found:
        book.cursor = lot_key(found[-1])
    if len(found) < size:
        book.exhausted = True


def lot_changes(book: Book) -> tuple[list[OpenLot], list[str]]:
    """Return the lots to write and the stored lots to close, since the last call."""
    current = {lot.id: lot for lot in open_lots_of(book.account_id, book.state)}
    put = [lot for lot_id, lot in current.items() if book.loaded_lots.get(lot_id) != lot.remaining]
    close = [lot_id for lot_id in book.loaded_lots if lot_id not in current]
    book.lots_closed = book.lots_closed or bool(close)
    book.loaded_lots = {lot_id: lot.remaining for lot_id, lot in current.items()}
    # Closed lots are dropped, so the book never carries what is spent.
    for lot_id in close:
        book.state.lots.pop(lot_id, None)
        book.state.pending.pop(lot_id, None)
    return put, close


def lot_bounds(
    book: Book,
    tx: Tx,
    activation: pendulum.DateTime | None,
    expiry: pendulum.DateTime | None,
) -> tuple[pendulum.DateTime | None, pendulum.DateTime | None]:
    """Return the next activation and the next expiry of a partial book's open lots.

    ``activation`` and ``expiry`` are those the stored state row gives;
    once a lot was closed they are read from the store again.
    """
    if book.lots_closed:
        return tx.uow.points.lot_bounds(book.account_id)
    # The open lots of open_lots_of(), read in place.
    for lot in book.state.lots.values():
        if lot.remaining > 0 and lot.expires_at is not None:
            expiry = sooner(expiry, lot.expires_at)
    for p in book.state.pending.values():
        if not p.settled and p.remaining > 0:
            activation = sooner(activation, p.available_at)
    return activation, expiry


def sooner(a: pendulum.DateTime | None, b: pendulum.DateTime) -> pendulum.DateTime:
    """Return the earlier of ``a`` (None: none yet) and ``b``."""
    return b if a is None or b < a else a
