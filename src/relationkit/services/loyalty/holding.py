"""Points held at checkout: placing a hold, releasing it, reading it.

A hold is a ``hold`` entry in the ledger (its id is the hold's id) and a
row of derived state (:class:`~relationkit.domain.holds.Hold`, kept by the
store's checkout repository); the account's state row counts the points
open holds reserve (``held``) and when the next one lapses
(``next_release``, part of ``next_due``). A hold is closed by exactly one
entry: the ``redeem`` of the order that captures it
(:mod:`~relationkit.services.loyalty.paying`), a ``release`` written by
:meth:`Holding.release`, or a ``release`` with ``reason="expired"`` written
by the next write or read of the account or by ``process_due`` once it
lapsed. Every write locks the account, so two checkouts never reserve the
same points.
"""

from __future__ import annotations

import datetime as dt

import pendulum

from relationkit import _validate as v
from relationkit._runtime import Runner
from relationkit._tx import Tx
from relationkit.domain.holds import Hold, hold_of
from relationkit.domain.ledger import EntryKind
from relationkit.errors import Conflict, InsufficientPoints, NotFound, StorageError, ValidationError
from relationkit.services._checkout import checkout
from relationkit.services._refs import resolve
from relationkit.services.loyalty.keyed import remember, replay
from relationkit.services.loyalty.ledgers import Ledgers
from relationkit.services.loyalty.tiers import Tiers

__all__ = ["MAX_HOLD", "Holding"]

MAX_HOLD = pendulum.duration(days=366)
"""The longest a hold may last (``expires_in``)."""


def _duration(value: object) -> dt.timedelta:
    if not isinstance(value, dt.timedelta):
        raise ValidationError("expires_in", "must be a duration (pendulum.duration(minutes=30))")
    if value <= dt.timedelta(0) or value > MAX_HOLD:
        raise ValidationError("expires_in", "must be positive and at most 366 days")
    return value


class Holding:
    """Places, releases and reads holds."""

    def __init__(self, runner: Runner, ledgers: Ledgers, tiers: Tiers) -> None:
        self._run = runner
        self._ledgers = ledgers
        self._tiers = tiers

    def hold(
        self, ref: str, points: int, *, idempotency_key: str, expires_in: dt.timedelta
    ) -> Hold:
        """See :meth:`~relationkit.services.loyalty.service.LoyaltyService.hold`."""
        amount = v.positive_int(points, "points")
        key = v.identifier(idempotency_key, "idempotency_key")
        lasts = _duration(expires_in)

        def work(tx: Tx) -> Hold:
            account_id = resolve(tx, ref)
            tx.account(account_id)
            repo = checkout(tx)
            full = {
                "op": "hold",
                "account_id": account_id,
                "points": amount,
                "expires_in": lasts.total_seconds(),
            }
            stored = tx.uow.idempotency.get("loyalty", key)
            if stored is not None:
                entry = replay(tx, stored, full, key)
                found = repo.holds([entry.id]).get(entry.id)
                if found is None:
                    raise StorageError(f"the hold of loyalty request {key!r} is missing")
                # Read through the book: a hold that lapsed is released first.
                book = self._ledgers.book(tx, account_id)
                self._ledgers.save(tx, [book])
                held = book.load_hold(tx, entry.id)
                return hold_of(account_id, held) if held is not None else found
            book = self._ledgers.book(tx, account_id)
            free = book.available(tx.now)
            if free < amount:
                raise InsufficientPoints(account_id, amount, max(free, 0))
            entry = book.entry(
                tx,
                EntryKind.HOLD,
                amount,
                at=tx.now,
                expires_at=tx.now + lasts,
                idempotency_key=key,
                source=f"hold:{key}",
                reason="checkout",
            )
            self._ledgers.save(tx, [book])
            self._tiers.rate(tx, book)
            remember(tx, key, full, entry)
            return hold_of(account_id, book.state.holds[entry.id])

        return self._run.write(work)

    def release(self, hold_id: str) -> Hold:
        """See :meth:`~relationkit.services.loyalty.service.LoyaltyService.release`."""
        clean = v.identifier(hold_id, "hold_id")

        def work(tx: Tx) -> Hold:
            found = checkout(tx).holds([clean]).get(clean)
            if found is None:
                raise NotFound("hold", clean)
            tx.account(found.account_id)
            book = self._ledgers.book(tx, found.account_id)
            held = book.load_hold(tx, clean)
            if held is None:
                raise NotFound("hold", clean)
            if held.status == "captured":
                raise Conflict(f"hold {clean} was captured by order {held.order_id}")
            if held.status == "held":
                book.entry(
                    tx,
                    EntryKind.RELEASE,
                    -held.points,
                    at=tx.now,
                    lot_id=clean,
                    reason="released",
                    source=f"hold:{held.idempotency_key}",
                )
            self._ledgers.save(tx, [book])
            self._tiers.rate(tx, book)
            return hold_of(found.account_id, held)

        return self._run.write(work)

    def get(self, hold_id: str) -> Hold:
        """See :meth:`~relationkit.services.loyalty.service.LoyaltyService.get_hold`."""
        clean = v.identifier(hold_id, "hold_id")

        def work(tx: Tx) -> Hold:
            found = checkout(tx).holds([clean]).get(clean)
            if found is None:
                raise NotFound("hold", clean)
            book = self._ledgers.books(tx, [found.account_id], settle=False)[found.account_id]
            book.adopt_holds([found])
            # Answer as the next write would leave it, without writing.
            book.settle(tx, tx.now, self._ledgers.program)
            return hold_of(found.account_id, book.state.holds[clean])

        return self._run.read(work)
