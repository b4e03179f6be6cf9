"""The plain model of the loyalty ledger that the ledger machine checks against.

Written from the loyalty issue's rules, not from the engine's code.

Added in 0.1.0.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from collections.abc import Callable
from fractions import Fraction
from typing import Literal
from zoneinfo import ZoneInfo

import attrs

import relationkit as rk

__all__ = ["PROFILES", "START", "LedgerModel", "LedgerView", "ModelProfile", "Refused"]


START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
"""The instant every machine run starts at."""

_FAR = dt.datetime.max.replace(tzinfo=dt.UTC)

ExpiryRule = tuple[Literal["never", "after_days", "end_of_month", "end_of_year"], int]


# -- the model ------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ModelProfile:
    """A program the machine runs, described in the model's own terms.

    Attributes:
        name: shown in Hypothesis' output.
        first_purchase_bonus: extra points on an account's first purchase.
        pending_days: the return window (0: points are spendable at once).
        expiry: ``(kind, count)`` as in :class:`relationkit.Expiry`.
        timezone: the zone expiry boundaries are computed in.
        negative_balance: ``"debt"`` or ``"write_off"``.
    """

    name: str
    first_purchase_bonus: int = 0
    pending_days: int = 0
    expiry: ExpiryRule = ("never", 0)
    timezone: str = "UTC"
    negative_balance: Literal["debt", "write_off"] = "debt"

    def program(self) -> rk.LoyaltyProgram:
        """Return the engine's program for this profile (one point per whole euro)."""
        kind, count = self.expiry
        if kind == "after_days":
            expiry = rk.Expiry.after_days(count)
        elif kind == "end_of_month":
            expiry = rk.Expiry.end_of_month(count)
        elif kind == "end_of_year":
            expiry = rk.Expiry.end_of_year(count)
        else:
            expiry = rk.Expiry.never()
        return rk.LoyaltyProgram(
            currency="EUR",
            points_per_unit=1,
            first_purchase_bonus=self.first_purchase_bonus,
            pending_days=self.pending_days,
            expiry=expiry,
            timezone=self.timezone,
            negative_balance=self.negative_balance,
        )

    def __str__(self) -> str:
        return self.name


PROFILES: tuple[ModelProfile, ...] = (
    ModelProfile(
        name="pending+expiry",
        first_purchase_bonus=10,
        pending_days=14,
        expiry=("after_days", 30),
        timezone="Europe/Paris",
    ),
    ModelProfile(name="plain"),
    ModelProfile(
        name="write_off+end_of_month",
        expiry=("end_of_month", 1),
        timezone="America/Los_Angeles",
        negative_balance="write_off",
    ),
)
"""The programs the machine picks from: pending points with expiry, the plain
one-line program, and expiry at month ends under the write-off policy."""


class Refused(Exception):
    """The model refuses an operation; ``kind`` says how the engine must refuse it."""

    def __init__(self, kind: Literal["insufficient", "invalid"]) -> None:
        self.kind = kind
        super().__init__(kind)


@attrs.define(eq=False)
class _Lot:
    seq: int
    remaining: int
    expires_at: dt.datetime | None


@attrs.define(eq=False)
class _Pending:
    seq: int
    remaining: int
    available_at: dt.datetime
    order_id: str
    settled: bool = False


@attrs.define(eq=False)
class _Order:
    order_id: str
    total_minor: int
    awarded: int
    used: int
    pending: _Pending | None = None
    lot: _Lot | None = None
    refunded_minor: int = 0
    taken: int = 0
    returned: int = 0
    expired: int = 0


@attrs.define(eq=False)
class _Account:
    lots: list[_Lot] = attrs.field(factory=list)
    pending: list[_Pending] = attrs.field(factory=list)
    orders: dict[str, _Order] = attrs.field(factory=dict)
    debt: int = 0
    purchases: int = 0
    earned: int = 0
    redeemed: int = 0
    expired: int = 0
    reversed: int = 0
    returned: int = 0
    adjusted: int = 0


def _half_even(points: int, part: int, whole: int) -> int:
    """``points * part / whole``, rounded half to even; all of it once part reaches whole."""
    if whole <= 0 or part >= whole:
        return points
    return round(Fraction(points * part, whole))  # round() on a Fraction is half-even


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


class LedgerModel:
    """The plain model of several accounts' ledgers under one profile."""

    def __init__(self, profile: ModelProfile, accounts: int, now: dt.datetime) -> None:
        self.profile = profile
        self.now = now
        self.accounts = [_Account() for _ in range(accounts)]
        self._seq = itertools.count()

    # -- rules ------------------------------------------------------------------

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

    def _alive(self, account: _Account) -> list[_Lot]:
        lots = [
            lot
            for lot in account.lots
            if lot.remaining > 0 and (lot.expires_at is None or lot.expires_at > self.now)
        ]
        lots.sort(key=lambda lot: (lot.expires_at is None, lot.expires_at or _FAR, lot.seq))
        return lots

    def _credit(self, account: _Account, points: int, expires_at: dt.datetime | None) -> _Lot:
        paid = min(account.debt, points)
        account.debt -= paid
        lot = _Lot(seq=next(self._seq), remaining=points - paid, expires_at=expires_at)
        account.lots.append(lot)
        return lot

    def _debit(self, account: _Account, points: int, prefer: _Lot | None = None) -> int:
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

    def _settle(self, account: _Account) -> int:
        """Activate and expire what is due, strictly in time order; return points activated."""
        activated = 0
        while True:
            due: list[tuple[dt.datetime, int, int, _Pending | _Lot]] = [
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
            if isinstance(item, _Pending):
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

    def _balance(self, account: _Account) -> int:
        return sum(lot.remaining for lot in self._alive(account)) - account.debt

    def _write(
        self, index: int, change: Callable[[_Account], None], *, settle: bool = True
    ) -> None:
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

        def change(a: _Account) -> None:
            self._credit(a, points, self.expiry(self.now))
            a.earned += points

        self._write(index, change)

    def redeem(self, index: int, points: int) -> None:
        """Spend ``points``; refuse past the balance."""

        def change(a: _Account) -> None:
            if self._balance(a) < points:
                raise Refused("insufficient")
            self._debit(a, points)
            a.redeemed += points

        self._write(index, change)

    def adjust(self, index: int, points: int) -> None:
        """Correct by ``points`` (signed); a debit past the balance is debt, or refused
        under write-off."""

        def change(a: _Account) -> None:
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

        def change(a: _Account) -> None:
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
                order = _Order(
                    order_id=order_id, total_minor=total_minor, awarded=points, used=used
                )
                if points > 0 and self.profile.pending_days:
                    order.pending = _Pending(
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

        def change(a: _Account) -> None:
            order = a.orders[order_id]
            order.refunded_minor += amount_minor
            done, total = order.refunded_minor, order.total_minor
            # What expired is gone already: a refund never takes it twice.
            ceiling = order.awarded - order.expired
            take = min(_half_even(order.awarded, done, total), ceiling) - order.taken
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
            give = _half_even(order.used, done, total) - order.returned
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
