"""Paying an order with points: ``points_used``, and the hold it captures (``hold_id``).

Runs in the transaction that stores the purchase, on the buyer's settled
book. An order that names an open hold spends the points the hold
reserved and closes it: its ``redeem`` entry names the hold in ``lot_id``
(the rest of the hold, if the order spends less, is free again). An order
whose hold lapsed or was released spends what the account has free.

When the points are gone (spent through a refund's reversal, expired), the
program's ``checkout_shortfall`` decides, before anything is written:
``"error"`` raises :class:`~relationkit.errors.InsufficientPoints` (the
transaction writes nothing, so the order can be recorded later, for
instance without ``points_used``), ``"debt"`` records the order and the
missing points become debt (written off at once under
``negative_balance="write_off"``). Points other holds reserve are never
taken for it.
"""

from __future__ import annotations

from relationkit._tx import Tx
from relationkit.domain.ledger import EntryKind
from relationkit.domain.purchases import Purchase
from relationkit.errors import Conflict, InsufficientPoints, NotFound
from relationkit.services.loyalty.book import Book
from relationkit.services.loyalty.ledgers import Ledgers

__all__ = ["pay"]


def pay(tx: Tx, book: Book, purchase: Purchase, ledgers: Ledgers) -> None:
    """Redeem the points that paid ``purchase``, capturing its hold if it names one.

    Raises:
        InsufficientPoints: the points are not there and the program's
            ``checkout_shortfall`` is ``"error"``.
        NotFound: ``hold_id`` names no hold of the buyer's account.
        Conflict: the hold was captured by another order.
    """
    points = purchase.points_used
    source = f"order:{purchase.order_id}"
    reserved = 0
    captures: str | None = None
    if purchase.hold_id is not None:
        held = book.load_hold(tx, purchase.hold_id)
        if held is None:
            raise NotFound("hold", purchase.hold_id)
        if held.status == "captured":
            raise Conflict(f"hold {held.id} was captured by order {held.order_id}")
        if held.status == "held":
            reserved, captures = held.points, held.id
    free = book.available(tx.now) + reserved
    program = ledgers.program
    shortfall_policy = program.checkout_shortfall if program is not None else "error"
    if free < points and shortfall_policy == "error":
        raise InsufficientPoints(purchase.account_id, points, max(free, 0))
    entry = book.debit(
        tx,
        EntryKind.REDEEM,
        points,
        at=tx.now,
        cover=free,
        source=source,
        reason="order payment",
        lot_id=captures,
    )
    ledgers.write_off(tx, book, entry, source)
