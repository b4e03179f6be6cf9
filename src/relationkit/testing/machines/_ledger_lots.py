"""The ledger model's lots, pending lots, orders and accounts, and how they move (not public).

:class:`LotBook` holds the mechanics every operation of
:class:`~relationkit.testing.machines.ledger_model.LedgerModel` is built
from: when a credit expires, which lots are alive, crediting (debt first),
debiting (soonest expiry first) and settling what is due in time order.
"""

from __future__ import annotations

import datetime as dt
import itertools
from fractions import Fraction
from zoneinfo import ZoneInfo

import attrs

from relationkit.testing.machines._ledger_profiles import ModelProfile

__all__ = ["Account", "Lot", "LotBook", "Order", "Pending", "half_even"]

_FAR = dt.datetime.max.replace(tzinfo=dt.UTC)


@attrs.define(eq=False)
class Lot:
    """Spendable points, with their expiry (``None``: never)."""

    seq: int
    remaining: int
    expires_at: dt.datetime | None


@attrs.define(eq=False)
class Pending:
    """An order's points still in their return window."""

    seq: int
    remaining: int
    available_at: dt.datetime
    order_id: str
    settled: bool = False


@attrs.define(eq=False)
class Order:
    """What one order earned and used, and what its refunds took and gave back."""

    order_id: str
    total_minor: int
    awarded: int
    used: int
    pending: Pending | None = None
    lot: Lot | None = None
    refunded_minor: int = 0
    taken: int = 0
    returned: int = 0
    expired: int = 0


@attrs.define(eq=False)
class Account:
    """One account's lots, pending lots, orders, debt and counters."""

    lots: list[Lot] = attrs.field(factory=list)
    pending: list[Pending] = attrs.field(factory=list)
    orders: dict[str, Order] = attrs.field(factory=dict)
    debt: int = 0
    purchases: int = 0
    earned: int = 0
    redeemed: int = 0
    expired: int = 0
    reversed: int = 0
    returned: int = 0
    adjusted: int = 0


def half_even(points: int, part: int, whole: int) -> int:
    """``points * part / whole``, rounded half to even; all of it once part reaches whole."""
    if whole <= 0 or part >= whole:
        return points
    return round(Fraction(points * part, whole))  # round() on a Fraction is half-even


class LotBook:
    """The lot mechanics under one profile, as of the model's clock ``now``."""

    def __init__(self, profile: ModelProfile, now: dt.datetime) -> None:
        self.profile = profile
        self.now = now
        self._seq = itertools.count()

    def expiry(self, at: dt.datetime) -> dt.datetime | None:
        """Return when points credited at ``at`` expire (local midnight, in UTC)."""
        kind, count = self.profile.expiry
        if kind == "never":
            return None
        zone = ZoneInfo(self.profile.timezone)
        day = at.astimezone(zone).date()
        if kind == "after_days":
            boundary = day + dt.timedelta(days=count + 1)
        elif kind == "end_of_month":
            months = day.year * 12 + (day.month - 1) + count + 1
            boundary = dt.date(months // 12, months % 12 + 1, 1)
        else:
            boundary = dt.date(day.year + count + 1, 1, 1)
        return dt.datetime.combine(boundary, dt.time(0), tzinfo=zone).astimezone(dt.UTC)

    def _alive(self, account: Account) -> list[Lot]:
        lots = [
            lot
            for lot in account.lots
            if lot.remaining > 0 and (lot.expires_at is None or lot.expires_at > self.now)
        ]
        lots.sort(key=lambda lot: (lot.expires_at is None, lot.expires_at or _FAR, lot.seq))
        return lots

    def _credit(self, account: Account, points: int, expires_at: dt.datetime | None) -> Lot:
        paid = min(account.debt, points)
        account.debt -= paid
        lot = Lot(seq=next(self._seq), remaining=points - paid, expires_at=expires_at)
        account.lots.append(lot)
        return lot

    def _debit(self, account: Account, points: int, prefer: Lot | None = None) -> int:
        """Take ``points`` from lots; return the shortfall (added to the debt)."""
        lots = self._alive(account)
        if prefer is not None and prefer in lots:
            lots.remove(prefer)
            lots.insert(0, prefer)
        left = points
        for lot in lots:
            used = min(lot.remaining, left)
            lot.remaining -= used
            left -= used
        account.debt += left
        return left

    def _settle(self, account: Account) -> int:
        """Activate and expire what is due, strictly in time order; return points activated."""
        activated = 0
        while True:
            due: list[tuple[dt.datetime, int, int, Pending | Lot]] = [
                (p.available_at, 0, p.seq, p)
                for p in account.pending
                if not p.settled and p.available_at <= self.now
            ]
            due += [
                (lot.expires_at, 1, lot.seq, lot)
                for lot in account.lots
                if lot.remaining > 0 and lot.expires_at is not None and lot.expires_at <= self.now
            ]
            if not due:
                return activated
            when, _, _, item = min(due, key=lambda d: d[:3])
            if isinstance(item, Pending):
                item.settled = True
                if item.remaining > 0:
                    lot = self._credit(account, item.remaining, self.expiry(when))
                    account.orders[item.order_id].lot = lot
                    account.earned += item.remaining
                    activated += item.remaining
            else:
                account.expired += item.remaining
                for order in account.orders.values():
                    if order.lot is item:
                        order.expired += item.remaining
                item.remaining = 0

    def _balance(self, account: Account) -> int:
        return sum(lot.remaining for lot in self._alive(account)) - account.debt
