"""Earning: points for new purchases, first-purchase and referral bonuses.

Runs inside the transaction that stores the purchases (a reaction to
:class:`~relationkit.services._reactions.PurchasesStored`). Every entry an
order causes, on the buyer's account and on the referrer's, carries the
order as its source (``"order:<id>"``): it waits out the same return window
and a refund of the order takes it back in the same proportion.

An order in another currency earns through the program's currency rule:
its rate, asked once, is stored with each of its entries (``rate``,
``source_currency``) and in its earning outcome
(:mod:`~relationkit.services.loyalty.outcomes`); an order that earns
nothing under the rule pays no bonus and leaves the first-purchase and
referral bonuses to the account's first order that earns.
"""

from __future__ import annotations

from collections import defaultdict

import pendulum

from relationkit._tx import Tx
from relationkit.domain.ledger import EntryKind, LedgerEntry
from relationkit.domain.purchases import Purchase
from relationkit.services._reactions import PurchasesStored
from relationkit.services.loyalty.book import Book
from relationkit.services.loyalty.ledgers import Ledgers
from relationkit.services.loyalty.outcomes import FirstOrders, record_outcome
from relationkit.services.loyalty.paying import pay
from relationkit.services.loyalty.tiers import Tiers
from relationkit.storage.fallback import queries

__all__ = ["Earning", "referrer_of"]


def referrer_of(tx: Tx, account_id: str) -> str | None:
    """Return the account that referred ``account_id``, if one did."""
    record = tx.uow.idempotency.get("referral", account_id)
    return record.result if record is not None else None


class Earning:
    """Earns points for purchases; redeems the points that paid them."""

    def __init__(self, ledgers: Ledgers, tiers: Tiers) -> None:
        self._ledgers = ledgers
        self._tiers = tiers

    def on_purchases(self, tx: Tx, fact: PurchasesStored) -> None:
        """Earn points for new purchases and redeem the points that paid them."""
        purchases = fact.purchases
        program = self._ledgers.program
        spending = [p for p in purchases if p.points_used]
        if program is None and not spending:
            return
        account_ids = sorted({p.account_id for p in purchases})
        books = self._ledgers.books(tx, account_ids)
        fresh: dict[str, int] = defaultdict(int)
        for p in purchases:
            fresh[p.account_id] += 1
        # A first purchase: the account has no purchase but this batch's.
        # Only a program with a first-purchase or referral bonus asks.
        firsts: FirstOrders | None = None
        if program is not None and (
            program.first_purchase_bonus or program.referral_bonus or program.referred_bonus
        ):
            counts = queries(tx.uow).purchase_counts(account_ids, at_most=max(fresh.values()) + 1)
            firsts = FirstOrders(tx, {a: counts[a] - fresh[a] for a in account_ids})
        emitted: list[LedgerEntry] = []
        for purchase in sorted(purchases, key=lambda p: (p.occurred_at, p.id)):
            book = books[purchase.account_id]
            source = f"order:{purchase.order_id}"
            if purchase.points_used:
                pay(tx, book, purchase, self._ledgers)
            if program is None:
                emitted += self._ledgers.emit(tx, [book])
                continue
            # Asked once per order, fixed from now on: a bad rate raises
            # before the transaction commits anything of the order.
            rate = program.rate_for(purchase.total, purchase.occurred_at)
            stamp: dict[str, object] = {}
            if purchase.total.currency != program.currency:
                record_outcome(tx, purchase, program, rate)
                if rate is not None:
                    stamp = {"rate": rate, "source_currency": purchase.total.currency}
            first = firsts is not None and firsts.claim(purchase, earns=rate is not None)
            account = tx.account(purchase.account_id)
            tier = program.tier_named(account.tier)
            lines = [(line.sku, line.category, line.subtotal) for line in purchase.lines]
            points = program.base_points(purchase.total, lines, tier, rate)
            points += program.points_paid_earning(purchase.points_used, tier)
            if first and program.qualifies(purchase.total, rate):
                points += program.first_purchase_bonus
            points = program.cap(points)
            if points > 0:
                self.award(tx, book, points, purchase.occurred_at, source, "purchase", **stamp)
            touched = [book]
            if first:
                touched += self._referral(tx, books, purchase, stamp)
            if program.tiers:
                # Re-rate after every order, so the next order of the batch
                # earns at the tier this one reached, exactly as record() one
                # by one; the tier measure reads the entries, so store them.
                self._ledgers.save(tx, touched)
                for each in touched:
                    self._tiers.rate(tx, each)
            else:
                emitted += self._ledgers.emit(tx, touched)
        self._ledgers.store(tx, list(books.values()), emitted)

    def award(
        self,
        tx: Tx,
        book: Book,
        points: int,
        at: pendulum.DateTime,
        source: str,
        reason: str,
        **stamp: object,
    ) -> None:
        """Credit ``points`` earned at ``at``: pending for the return window, if any.

        ``stamp`` holds the ``rate`` and ``source_currency`` of an order in
        another currency, stored with the entry.
        """
        program = self._ledgers.program
        assert program is not None
        if program.pending_days:
            book.entry(
                tx,
                EntryKind.PENDING,
                points,
                at=at,
                available_at=at.add(days=program.pending_days),
                source=source,
                reason=reason,
                **stamp,
            )
        else:
            book.credit(
                tx,
                EntryKind.EARN,
                points,
                at=at,
                expires_at=self._ledgers.expires(at, book.timezone),
                source=source,
                reason=reason,
                **stamp,
            )

    def _referral(
        self, tx: Tx, books: dict[str, Book], purchase: Purchase, stamp: dict[str, object]
    ) -> list[Book]:
        """Award the referral bonuses of a first earning order; return the referrer's book.

        Both bonuses are earned through the order: pending with it, and
        taken back with it when it is refunded.
        """
        program = self._ledgers.program
        assert program is not None
        if not (program.referral_bonus or program.referred_bonus):
            return []
        referrer = referrer_of(tx, purchase.account_id)
        if referrer is None:
            return []
        source = f"order:{purchase.order_id}"
        if program.referred_bonus:
            self.award(
                tx,
                books[purchase.account_id],
                program.referred_bonus,
                purchase.occurred_at,
                source,
                "referred",
                **stamp,
            )
        if program.referral_bonus:
            if referrer not in books:
                tx.account(referrer)
                books[referrer] = self._ledgers.book(tx, referrer)
            self.award(
                tx,
                books[referrer],
                program.referral_bonus,
                purchase.occurred_at,
                source,
                "referral",
                **stamp,
            )
            return [books[referrer]]
        return []
