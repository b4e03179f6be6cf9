"""Refunds: taking back an order's points in proportion, giving back points that paid it.

Runs inside the transaction that stores the refund (a reaction to
:class:`~relationkit.services._reactions.RefundStored`), on the buyer's
account and, for a first order that paid referral bonuses, on the
referrer's account too: every entry whose source is the order is reversed
in the same proportion, pending points first.
"""

from __future__ import annotations

from relationkit._tx import Tx
from relationkit.domain.ledger import Allocation, EntryKind, LedgerEntry
from relationkit.services._reactions import RefundStored
from relationkit.services.loyalty.book import Book, proportion
from relationkit.services.loyalty.earning import referrer_of
from relationkit.services.loyalty.ledgers import Ledgers
from relationkit.services.loyalty.tiers import Tiers

__all__ = ["Refunds"]

_EARNED = (EntryKind.EARN, EntryKind.PENDING)
_LOTS = (EntryKind.EARN, EntryKind.ACTIVATE)


class Refunds:
    """Reverses the loyalty effects of a refunded order."""

    def __init__(self, ledgers: Ledgers, tiers: Tiers) -> None:
        self._ledgers = ledgers
        self._tiers = tiers

    def on_refund(self, tx: Tx, fact: RefundStored) -> None:
        """Take back earned points in proportion and give back points that paid the order."""
        purchase, refund = fact.purchase, fact.refund
        source = f"order:{purchase.order_id}"
        refunded = purchase.refunded.minor + refund.amount.minor
        total = purchase.total.minor
        holder = purchase.points_account
        if holder != purchase.account_id:
            # The buyer moved: the order's points stay in the ledger that
            # holds them, and are taken back there.
            tx.account(holder)
        book = self._ledgers.book(tx, holder)
        program = self._ledgers.program
        if book.stored is None and not (program is not None and program.referral_bonus):
            # Nothing was ever earned or spent on this account, and no
            # referrer can hold a bonus of this order: nothing to take back
            # (a tier on spend may still drop).
            self._tiers.rate(tx, book)
            return
        books = [book]
        referrer = referrer_of(tx, holder)
        if referrer is not None and referrer != holder:
            tx.account(referrer)
            books.append(self._ledgers.book(tx, referrer))
        for each in books:
            entries = each.by_source(tx, source)
            if entries:
                self._take_back(tx, each, entries, refunded, total, source)
            if each is book and entries:
                self._give_back(tx, each, entries, refunded, total, source)
            self._ledgers.save(tx, [each])
            self._tiers.rate(tx, each)

    def _take_back(
        self,
        tx: Tx,
        book: Book,
        entries: list[LedgerEntry],
        refunded: int,
        total: int,
        source: str,
    ) -> None:
        awarded = sum(e.points for e in entries if e.kind in _EARNED)
        taken = -sum(
            e.points
            for e in entries
            if e.kind in (EntryKind.REVERSE, EntryKind.VOID) and e.points < 0
        )
        # Points of the order that expired were taken by the expiry already:
        # a refund never takes them a second time from the member's other lots.
        lots = {e.id for e in entries if e.kind in _LOTS}
        expired = -sum(e.points for e in entries if e.kind is EntryKind.EXPIRE and e.lot_id in lots)
        take = min(proportion(awarded, refunded, total), awarded - expired) - taken
        if take <= 0:
            return
        # The order's own lots go first: read them, wherever they stand.
        book.load_lots(tx, [e.id for e in entries if e.kind is EntryKind.PENDING] + sorted(lots))
        for pending in (e for e in entries if e.kind is EntryKind.PENDING):
            lot = book.state.pending.get(pending.id)
            if lot is None or lot.settled or lot.remaining <= 0:
                continue
            voided = min(take, lot.remaining)
            book.entry(
                tx,
                EntryKind.VOID,
                -voided,
                at=tx.now,
                allocations=(Allocation(lot_id=pending.id, points=voided),),
                source=source,
                reason="refund",
            )
            take -= voided
            if take == 0:
                return
        entry = book.debit(
            tx, EntryKind.REVERSE, take, at=tx.now, prefer=lots, source=source, reason="refund"
        )
        self._ledgers.write_off(tx, book, entry, source)

    def _give_back(
        self,
        tx: Tx,
        book: Book,
        entries: list[LedgerEntry],
        refunded: int,
        total: int,
        source: str,
    ) -> None:
        used = -sum(e.points for e in entries if e.kind is EntryKind.REDEEM)
        returned = sum(e.points for e in entries if e.kind is EntryKind.REVERSE and e.points > 0)
        give = proportion(used, refunded, total) - returned
        if give > 0:
            book.credit(
                tx,
                EntryKind.REVERSE,
                give,
                at=tx.now,
                expires_at=self._ledgers.expires(tx.now, book.timezone),
                source=source,
                reason="points paid on a refunded order",
            )
