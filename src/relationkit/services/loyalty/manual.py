"""Ledger writes outside a purchase: ``earn``, ``redeem`` and ``adjust`` by hand.

Each is one entry, written once per idempotency key through
:class:`~relationkit.services.loyalty.keyed.KeyedWrites`; the public
methods and their documentation are
:class:`~relationkit.services.loyalty.service.LoyaltyService`'s.
"""

from __future__ import annotations

from relationkit import _validate as v
from relationkit._tx import Tx
from relationkit.domain.ledger import EntryKind, LedgerEntry
from relationkit.errors import InsufficientPoints, ValidationError
from relationkit.services.loyalty.book import Book
from relationkit.services.loyalty.keyed import KeyedWrites
from relationkit.services.loyalty.ledgers import Ledgers

__all__ = ["ManualWrites"]


def _points(value: object, field: str = "points") -> int:
    return v.positive_int(value, field)


class ManualWrites:
    """Credits, redemptions and corrections a host asks for by hand."""

    def __init__(self, ledgers: Ledgers, keyed: KeyedWrites) -> None:
        self._ledgers = ledgers
        self._keyed = keyed

    def earn(
        self, ref: str, points: int, *, idempotency_key: str, reason: str = "manual"
    ) -> LedgerEntry:
        """See :meth:`~relationkit.services.loyalty.service.LoyaltyService.earn`."""
        amount = _points(points)
        why = v.text(reason, "reason", max_length=200)
        idempotency_key = v.identifier(idempotency_key, "idempotency_key")

        def op(tx: Tx, book: Book) -> LedgerEntry:
            expires = self._ledgers.expires(tx.now, book.timezone)
            return book.credit(
                tx,
                EntryKind.EARN,
                amount,
                at=tx.now,
                expires_at=expires,
                reason=why,
                idempotency_key=idempotency_key,
                source=f"earn:{idempotency_key}",
            )

        return self._keyed.run(ref, "earn", idempotency_key, {"points": amount, "reason": why}, op)

    def redeem(
        self, ref: str, points: int, *, idempotency_key: str, reason: str | None = None
    ) -> LedgerEntry:
        """See :meth:`~relationkit.services.loyalty.service.LoyaltyService.redeem`."""
        amount = _points(points)
        why = v.optional_text(reason, "reason", max_length=200)
        idempotency_key = v.identifier(idempotency_key, "idempotency_key")

        def op(tx: Tx, book: Book) -> LedgerEntry:
            # Points that open holds reserve are not spendable here.
            available = book.available(tx.now)
            if available < amount:
                raise InsufficientPoints(book.account_id, amount, max(available, 0))
            return book.debit(
                tx,
                EntryKind.REDEEM,
                amount,
                at=tx.now,
                reason=why,
                idempotency_key=idempotency_key,
                source=f"redeem:{idempotency_key}",
            )

        return self._keyed.run(
            ref, "redeem", idempotency_key, {"points": amount, "reason": why}, op
        )

    def adjust(self, ref: str, points: int, *, idempotency_key: str, reason: str) -> LedgerEntry:
        """See :meth:`~relationkit.services.loyalty.service.LoyaltyService.adjust`."""
        if isinstance(points, bool) or not isinstance(points, int) or points == 0:
            raise ValidationError("points", "must be a non-zero integer")
        v.positive_int(abs(points), "points")
        why = v.text(reason, "reason", max_length=200)
        idempotency_key = v.identifier(idempotency_key, "idempotency_key")

        def op(tx: Tx, book: Book) -> LedgerEntry:
            if points > 0:
                return book.credit(
                    tx,
                    EntryKind.ADJUST,
                    points,
                    at=tx.now,
                    expires_at=self._ledgers.expires(tx.now, book.timezone),
                    reason=why,
                    idempotency_key=idempotency_key,
                    source=f"adjust:{idempotency_key}",
                )
            available = book.balance(tx.now)
            if self._ledgers.policy() == "write_off" and available < -points:
                raise InsufficientPoints(book.account_id, -points, max(available, 0))
            return book.debit(
                tx,
                EntryKind.ADJUST,
                -points,
                at=tx.now,
                reason=why,
                idempotency_key=idempotency_key,
                source=f"adjust:{idempotency_key}",
            )

        return self._keyed.run(
            ref, "adjust", idempotency_key, {"points": points, "reason": why}, op
        )
