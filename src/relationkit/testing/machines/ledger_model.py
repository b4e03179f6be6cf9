"""The plain model of the loyalty ledger that the ledger machine checks against.

Written from the loyalty issue's rules, not from the engine's code. The
programs it runs are :class:`ModelProfile` (from ``_ledger_profiles``); the
lots, orders and accounts it keeps, and the mechanics it moves them with,
are in ``_ledger_lots``; this module holds the operations.

Added in 0.1.0.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Literal

import attrs

from relationkit.testing.machines._ledger_lots import (
    Account,
    LotBook,
    Order,
    Pending,
    half_even,
)
from relationkit.testing.machines._ledger_profiles import PROFILES, ModelProfile

__all__ = ["PROFILES", "START", "LedgerModel", "LedgerView", "ModelProfile", "Refused"]


START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
"""The instant every machine run starts at."""


class Refused(Exception):
    """The model refuses an operation; ``kind`` says how the engine must refuse it."""

    def __init__(self, kind: Literal["insufficient", "invalid"]) -> None:
        self.kind = kind
        super().__init__(kind)


@attrs.define
class LedgerView:
    """What an account looks like as of the model's clock (read-only)."""

    balance: int
    pending: int
    debt: int
    earned: int
    redeemed: int
    expired: int
    reversed: int
    returned: int
    adjusted: int


class LedgerModel(LotBook):
    """The plain model of several accounts' ledgers under one profile."""

    def __init__(self, profile: ModelProfile, accounts: int, now: dt.datetime) -> None:
        super().__init__(profile, now)
        self.accounts = [Account() for _ in range(accounts)]

    def _write(self, index: int, change: Callable[[Account], None], *, settle: bool = True) -> None:
        """Apply ``change`` to a settled copy of the account; keep it only if nothing refused."""
        work = copy.deepcopy(self.accounts[index])
        if settle:
            self._settle(work)
        change(work)
        self.accounts[index] = work

    # -- operations -------------------------------------------------------------

    def view(self, index: int) -> LedgerView:
        """Return the account as a read would show it now."""
        a = copy.deepcopy(self.accounts[index])
        self._settle(a)
        return LedgerView(
            balance=self._balance(a),
            pending=sum(p.remaining for p in a.pending if not p.settled),
            debt=a.debt,
            earned=a.earned,
            redeemed=a.redeemed,
            expired=a.expired,
            reversed=a.reversed,
            returned=a.returned,
            adjusted=a.adjusted,
        )

    def earn(self, index: int, points: int) -> None:
        """Credit ``points`` with the program's expiry."""

        def change(a: Account) -> None:
            self._credit(a, points, self.expiry(self.now))
            a.earned += points

        self._write(index, change)

    def redeem(self, index: int, points: int) -> None:
        """Spend ``points``; refuse past the balance."""

        def change(a: Account) -> None:
            if self._balance(a) < points:
                raise Refused("insufficient")
            self._debit(a, points)
            a.redeemed += points

        self._write(index, change)

    def adjust(self, index: int, points: int) -> None:
        """Correct by ``points`` (signed); a debit past the balance is debt, or refused
        under write-off."""

        def change(a: Account) -> None:
            if points > 0:
                self._credit(a, points, self.expiry(self.now))
            else:
                if self.profile.negative_balance == "write_off" and self._balance(a) < -points:
                    raise Refused("insufficient")
                self._debit(a, -points)
            a.adjusted += points

        self._write(index, change)

    def purchase(self, index: int, orders: list[tuple[str, int, int, dt.datetime]]) -> None:
        """Record ``(order_id, total_minor, points_used, occurred_at)`` rows in one transaction.

        The rows are taken in ``occurred_at`` order (then as given): the
        earliest is the account's first purchase, and each one's points pay
        the next one's ``points_used``.
        """

        def change(a: Account) -> None:
            ordered = sorted(enumerate(orders), key=lambda row: (row[1][3], row[0]))
            for _, (order_id, total_minor, used, at) in ordered:
                if used:
                    if self._balance(a) < used:
                        raise Refused("insufficient")
                    self._debit(a, used)
                    a.redeemed += used
                a.purchases += 1
                points = total_minor // 100
                if a.purchases == 1:
                    points += self.profile.first_purchase_bonus
                order = Order(order_id=order_id, total_minor=total_minor, awarded=points, used=used)
                if points > 0 and self.profile.pending_days:
                    order.pending = Pending(
                        seq=next(self._seq),
                        remaining=points,
                        available_at=at + dt.timedelta(days=self.profile.pending_days),
                        order_id=order_id,
                    )
                    a.pending.append(order.pending)
                elif points > 0:
                    order.lot = self._credit(a, points, self.expiry(at))
                    a.earned += points
                a.orders[order_id] = order

        self._write(index, change)

    def refundable(self, index: int, order_id: str) -> int:
        """Return what is left to refund on an order, in minor units."""
        order = self.accounts[index].orders[order_id]
        return order.total_minor - order.refunded_minor

    def refund(self, index: int, order_id: str, amount_minor: int) -> None:
        """Refund part of an order: take back earned points, give back used ones."""
        if amount_minor > self.refundable(index, order_id):
            raise Refused("invalid")

        def change(a: Account) -> None:
            order = a.orders[order_id]
            order.refunded_minor += amount_minor
            done, total = order.refunded_minor, order.total_minor
            # What expired is gone already: a refund never takes it twice.
            ceiling = order.awarded - order.expired
            take = min(half_even(order.awarded, done, total), ceiling) - order.taken
            if take > 0:
                pending = order.pending
                if pending is not None and not pending.settled and pending.remaining > 0:
                    voided = min(take, pending.remaining)
                    pending.remaining -= voided
                    order.taken += voided
                    take -= voided
            if take > 0:
                short = self._debit(a, take, prefer=order.lot)
                order.taken += take
                a.reversed += take
                if short and self.profile.negative_balance == "write_off":
                    self._credit(a, short, None)
                    a.adjusted += short
            give = half_even(order.used, done, total) - order.returned
            if give > 0:
                self._credit(a, give, self.expiry(self.now))
                order.returned += give
                a.returned += give

        self._write(index, change)

    def process_due(self) -> int:
        """Settle every account; return the points activated."""
        activated = 0
        for a in self.accounts:
            activated += self._settle(a)
        return activated
