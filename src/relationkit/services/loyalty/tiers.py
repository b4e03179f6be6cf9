"""Tiers: re-rating an account on what it earned or spent in the window."""

from __future__ import annotations

import functools
from decimal import ROUND_FLOOR, Decimal

import attrs
import pendulum

from relationkit._currencies import MINOR_UNITS
from relationkit._tx import Tx
from relationkit.domain.customers import Account
from relationkit.domain.loyalty import LoyaltyProgram
from relationkit.events import TierChanged
from relationkit.services.loyalty.book import Book
from relationkit.services.loyalty.ledgers import Ledgers
from relationkit.services.loyalty.outcomes import stored_rate
from relationkit.storage.fallback import queries

__all__ = ["Tiers"]


class Tiers:
    """Re-rates tiers after every ledger write and in ``process_due``."""

    def __init__(self, ledgers: Ledgers) -> None:
        self._ledgers = ledgers

    def rate(self, tx: Tx, book: Book) -> bool:
        """Re-rate the account's tier; emit TierChanged when it moves. Return whether it did."""
        program = self._ledgers.program
        if program is None or not program.tiers:
            return False
        account = tx.account(book.account_id)
        since = _window_start(tx.now, program.tier_window_days)
        measure = self._measure(tx, program, book, account, since)
        qualified = program.qualified_tier(measure)
        new = qualified.name if qualified else None
        if program.downgrade == "never":
            current = program.tier_named(account.tier)
            if current is not None and (
                qualified is None or current.threshold > qualified.threshold
            ):
                new = current.name
        if new == account.tier:
            return False
        tx.put(attrs.evolve(account, tier=new))
        tx.emit(account.id, TierChanged, old_tier=account.tier, new_tier=new)
        return True

    def _measure(
        self,
        tx: Tx,
        program: LoyaltyProgram,
        book: Book,
        account: Account,
        since: pendulum.DateTime,
    ) -> int:
        """Points earned (net of refunds) or whole units spent within the window.

        One sum over the window (an indexed range on SQL backends), never
        the account's whole history. Spend in other currencies counts when
        the program converts them: each order's net spend at the rate it
        earned at, added unrounded; the sum is rounded down to whole units.
        """
        ask = queries(tx.uow)
        if program.tier_basis == "spend":
            net = ask.net_spend_between(account.id, program.currency, since, tx.now)
            spent = Decimal(net).scaleb(-MINOR_UNITS[program.currency])
            if program.other_currencies.kind != "earn_nothing":
                spent += _converted_spend(tx, program, account.id, since)
            return int(spent.to_integral_value(rounding=ROUND_FLOOR))
        return ask.points_earned_between(account.id, since, tx.now)


def _converted_spend(
    tx: Tx, program: LoyaltyProgram, account_id: str, since: pendulum.DateTime
) -> Decimal:
    """The net spend of the window's orders in other currencies, in the program's currency.

    Reads the window's orders a page at a time (never the history before
    it), and the stored rate of each order in another currency.
    """
    total = Decimal(0)
    after: tuple[pendulum.DateTime, str] | None = (since, "")
    while True:
        page = tx.uow.purchases.for_account(account_id, after=after, limit=_PAGE)
        for p in page:
            if p.occurred_at > tx.now:
                return total
            if p.total.currency == program.currency or not since < p.occurred_at:
                continue
            rate = stored_rate(tx, p.order_id)
            if rate is not None:
                total += (p.total - p.refunded).amount * rate
        if len(page) < _PAGE:
            return total
        after = (page[-1].occurred_at, page[-1].id)


_PAGE = 500


@functools.lru_cache(maxsize=16)
def _window_start(now: pendulum.DateTime, days: int) -> pendulum.DateTime:
    """The start of a tier window ending ``now`` (cached: one per transaction)."""
    return now.subtract(days=days)
