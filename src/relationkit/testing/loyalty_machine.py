"""A Hypothesis state machine that runs the loyalty ledger against a plain model.

The model below is written from the loyalty issue's rules, not from the
engine's code: it keeps, per account, the lots of spendable points (each with
its expiry), the pending lots still in their return window, the debt, and
what every order earned, used, had taken back and had given back. The machine
drives a real kit over any store with random earns, redemptions, adjustments,
gifts (a redemption and a credit in one ``kit.transaction()``), purchases
(with and without ``points_used``, back-dated or not, one by one or through
``record_many``), refunds (partial, full, too large), clock jumps,
``process_due()`` and replayed idempotency keys (same payload, then another
one), for a B2C customer and a B2B account reached through its id or either
of two contacts, and after every step checks:

- ``kit.loyalty.verify().ok``;
- each account's balance, pending points and debt equal the model's;
- the sum rule, from the model's counters alone:
  ``balance == earned - redeemed - expired - reversed + returned + adjusted``.

Usage, for an adapter author::

    from relationkit.testing.loyalty_machine import make_ledger_machine

    TestLedger = make_ledger_machine(MyStore).TestCase

or, to choose the settings and run it inside a pytest test that has fixtures::

    from hypothesis import settings
    from hypothesis.stateful import run_state_machine_as_test

    def test_ledger(tmp_path):
        machine = make_ledger_machine(lambda: MyStore(tmp_path / "x"), dispose=drop)
        run_state_machine_as_test(machine, settings=settings(max_examples=30))

Rules the model follows (the engine's documented behaviour):

- a purchase earns ``floor(total)`` points, plus the first-purchase bonus on
  the account's first purchase; with ``pending_days`` they are locked until
  ``occurred_at + pending_days`` and then open a lot whose expiry counts from
  that instant; without, they open a lot at once;
- a lot earned on local day D expires at local midnight after the rule's last
  day (``after_days``, ``end_of_month``, ``end_of_year``), in the program's zone;
- a credit pays debt first; a debit takes lots soonest expiry first (a
  refund's reversal takes the order's own lot first) and what no lot covers
  becomes debt (``"debt"``) or is forgiven by an explicit credit
  (``"write_off"``); a redemption never goes past the balance;
- a refund takes back ``round_half_even(awarded * refunded / total)`` (but
  never points of the order that already expired) minus what was already
  taken back (voiding pending points first) and gives back
  ``round_half_even(used * refunded / total)`` minus what was already given
  back, as a new lot with a fresh expiry;
- every write first settles what is due as of the clock (activations, then
  expiries, in time order); reads show the same without writing.

Added in 0.1.0.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from collections.abc import Callable
from fractions import Fraction
from typing import Any, Literal
from zoneinfo import ZoneInfo

import attrs
import pendulum
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import relationkit as rk
from relationkit.errors import IdempotencyConflict, InsufficientPoints, ValidationError
from relationkit.storage.ports import Storage

__all__ = ["PROFILES", "LedgerModel", "ModelProfile", "Refused", "make_ledger_machine"]

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


# -- the machine ----------------------------------------------------------------


@attrs.define
class _Done:
    """A successful keyed request, to replay: same payload, then another payload."""

    label: str
    same: Callable[[], object]
    expected: object
    other: Callable[[], object]


def _project(result: object) -> object:
    """What a replay must return unchanged (a purchase may have gained refunds since)."""
    if isinstance(result, rk.Purchase):
        return (result.id, result.order_id, result.total, result.points_used, result.occurred_at)
    return result


def make_ledger_machine(
    make_storage: Callable[[], Storage],
    *,
    dispose: Callable[[Storage], None] | None = None,
    profiles: tuple[ModelProfile, ...] = PROFILES,
) -> type[RuleBasedStateMachine]:
    """Return a state machine class that checks the ledger over stores from ``make_storage``.

    Args:
        make_storage: returns a fresh, empty store; called once per example.
        dispose: releases a store after its example (default: ``close()``);
            a SQL test may drop the example's tables here.
        profiles: the programs to pick from (one per example).

    Returns:
        A :class:`~hypothesis.stateful.RuleBasedStateMachine` subclass; use
        its ``TestCase`` attribute, or ``run_state_machine_as_test``.
    """
    release = dispose if dispose is not None else (lambda storage: storage.close())
    # A member of the machine: 0 is a B2C customer; 1, 2 and 3 all stand for one
    # B2B account (its id, then two of its contacts).
    accounts = st.integers(min_value=0, max_value=3)

    class LedgerMachine(RuleBasedStateMachine):
        """The loyalty ledger against :class:`LedgerModel`."""

        def __init__(self) -> None:
            super().__init__()
            self.storage: Storage | None = None
            self.kit: rk.RelationKit | None = None
            self.clock = rk.FrozenClock(pendulum.instance(START))
            self.model = LedgerModel(PROFILES[1], 2, START)
            self.members: list[tuple[int, str]] = []
            self.orders: list[tuple[int, str]] = []
            self.done: list[_Done] = []
            self.counter = itertools.count(1)

        # -- set-up ---------------------------------------------------------------

        @initialize(profile=st.sampled_from(profiles))
        def open_kit(self, profile: ModelProfile) -> None:
            self.storage = make_storage()
            self.model = LedgerModel(profile, 2, START)
            self.kit = rk.open(storage=self.storage, clock=self.clock, loyalty=profile.program())
            alice = self.kit.customers.create(name="Alice", email="alice@example.com")
            acme = self.kit.accounts.create(name="ACME SA", kind=rk.AccountKind.B2B)
            buyers = [
                self.kit.customers.create(name=f"Buyer {n}", account_id=acme.id, role="buyer")
                for n in range(2)
            ]
            self.members = [(0, alice.id), (1, acme.id)] + [(1, b.id) for b in buyers]

        def teardown(self) -> None:
            if self.kit is not None:
                self.kit.close()
            if self.storage is not None:
                release(self.storage)

        @property
        def k(self) -> rk.RelationKit:
            assert self.kit is not None
            return self.kit

        def _key(self, prefix: str) -> str:
            return f"{prefix}{next(self.counter)}"

        def _expect(self, model_step: Callable[[], None], engine_step: Callable[[], Any]) -> Any:
            """Run the model, then the engine; they must accept or refuse alike."""
            try:
                model_step()
            except Refused as refusal:
                error = InsufficientPoints if refusal.kind == "insufficient" else ValidationError
                try:
                    engine_step()
                except error:
                    return None
                raise AssertionError(
                    f"the engine accepted what the model refused ({refusal.kind})"
                ) from None
            return engine_step()

        # -- ledger writes ---------------------------------------------------------

        @rule(who=accounts, points=st.integers(min_value=1, max_value=300))
        def earn(self, who: int, points: int) -> None:
            key, loyalty = self._key("earn-"), self.k.loyalty
            account, customer = self.members[who]
            entry = self._expect(
                lambda: self.model.earn(account, points),
                lambda: loyalty.earn(customer, points, idempotency_key=key),
            )
            self.done.append(
                _Done(
                    label=f"earn {key}",
                    same=lambda: loyalty.earn(customer, points, idempotency_key=key),
                    expected=entry,
                    other=lambda: loyalty.earn(customer, points + 1, idempotency_key=key),
                )
            )

        @rule(who=accounts, points=st.integers(min_value=1, max_value=400))
        def redeem(self, who: int, points: int) -> None:
            key, loyalty = self._key("redeem-"), self.k.loyalty
            account, customer = self.members[who]
            entry = self._expect(
                lambda: self.model.redeem(account, points),
                lambda: loyalty.redeem(customer, points, idempotency_key=key),
            )
            if entry is not None:
                self.done.append(
                    _Done(
                        label=f"redeem {key}",
                        same=lambda: loyalty.redeem(customer, points, idempotency_key=key),
                        expected=entry,
                        other=lambda: loyalty.redeem(
                            customer, points, idempotency_key=key, reason="other"
                        ),
                    )
                )

        @rule(
            who=accounts,
            points=st.integers(min_value=-150, max_value=150).filter(lambda n: n != 0),
        )
        def adjust(self, who: int, points: int) -> None:
            key, loyalty = self._key("adjust-"), self.k.loyalty
            account, customer = self.members[who]
            entry = self._expect(
                lambda: self.model.adjust(account, points),
                lambda: loyalty.adjust(customer, points, idempotency_key=key, reason="fix"),
            )
            if entry is not None:
                self.done.append(
                    _Done(
                        label=f"adjust {key}",
                        same=lambda: loyalty.adjust(
                            customer, points, idempotency_key=key, reason="fix"
                        ),
                        expected=entry,
                        other=lambda: loyalty.adjust(
                            customer, -points, idempotency_key=key, reason="fix"
                        ),
                    )
                )

        @rule(
            giver=accounts,
            taker=accounts,
            points=st.integers(min_value=1, max_value=200),
        )
        def gift(self, giver: int, taker: int, points: int) -> None:
            """A redemption and a credit in one kit.transaction(): both or neither."""
            out_key, in_key, loyalty = self._key("gift-out-"), self._key("gift-in-"), self.k.loyalty
            (source, sender), (target, receiver) = self.members[giver], self.members[taker]

            def model() -> None:
                self.model.redeem(source, points)
                self.model.earn(target, points)

            def engine() -> tuple[rk.LedgerEntry, rk.LedgerEntry]:
                with self.k.transaction():
                    spent = loyalty.redeem(sender, points, idempotency_key=out_key)
                    got = loyalty.earn(receiver, points, idempotency_key=in_key, reason="gift")
                return spent, got

            entries = self._expect(model, engine)
            if entries is None:
                return
            spent, got = entries
            self.done.append(
                _Done(
                    label=f"gift {out_key}",
                    same=lambda: loyalty.redeem(sender, points, idempotency_key=out_key),
                    expected=spent,
                    other=lambda: loyalty.redeem(sender, points + 1, idempotency_key=out_key),
                )
            )
            self.done.append(
                _Done(
                    label=f"gift {in_key}",
                    same=lambda: loyalty.earn(
                        receiver, points, idempotency_key=in_key, reason="gift"
                    ),
                    expected=got,
                    other=lambda: loyalty.earn(receiver, points, idempotency_key=in_key),
                )
            )

        # -- purchases and refunds -------------------------------------------------

        @rule(
            who=accounts,
            totals=st.lists(st.integers(min_value=0, max_value=30_000), min_size=1, max_size=2),
            used=st.lists(
                st.one_of(st.just(0), st.integers(min_value=1, max_value=200)),
                min_size=2,
                max_size=2,
            ),
            late=st.lists(
                st.one_of(st.just(0), st.integers(min_value=1, max_value=24 * 45)),
                min_size=2,
                max_size=2,
            ),
            bulk=st.booleans(),
        )
        def purchase(
            self, who: int, totals: list[int], used: list[int], late: list[int], bulk: bool
        ) -> None:
            """Record orders; ``late`` hours back-dates them (a webhook that arrives late)."""
            # Orders name a person: the account itself (member 1) buys through a contact.
            account, customer = self.members[2 if who == 1 else who]
            purchases = self.k.purchases
            now = self.model.now
            rows = [
                (self._key("order-"), total, points, now - dt.timedelta(hours=hours))
                for total, points, hours in zip(
                    totals, used[: len(totals)], late[: len(totals)], strict=True
                )
            ]
            payloads: list[dict[str, Any]] = [
                {
                    "order_id": order_id,
                    "customer_id": customer,
                    "occurred_at": pendulum.instance(at),
                    "total": _eur_minor(total),
                    "points_used": points,
                }
                for order_id, total, points, at in rows
            ]
            if bulk or len(rows) > 1:
                result = self._expect(
                    lambda: self.model.purchase(account, rows),
                    lambda: purchases.record_many(payloads),
                )
                if result is None:
                    return
                assert rk.BulkResult(recorded=len(rows)) == result
                first = dict(payloads[0])
                first["total"] = _eur_minor(rows[0][1] + 1)
                self.done.append(
                    _Done(
                        label=f"record_many {[r[0] for r in rows]}",
                        same=lambda: purchases.record_many(payloads),
                        expected=rk.BulkResult(unchanged=len(rows)),
                        other=lambda: purchases.record_many([first]),
                    )
                )
            else:
                payload = payloads[0]
                stored = self._expect(
                    lambda: self.model.purchase(account, rows),
                    lambda: purchases.record(**payload),
                )
                if stored is None:
                    return
                changed = {**payload, "total": _eur_minor(rows[0][1] + 1)}
                self.done.append(
                    _Done(
                        label=f"record {rows[0][0]}",
                        same=lambda: purchases.record(**payload),
                        expected=_project(stored),
                        other=lambda: purchases.record(**changed),
                    )
                )
            self.orders += [(account, row[0]) for row in rows]

        @precondition(lambda self: bool(self.orders))
        @rule(
            pick=st.integers(min_value=0),
            share=st.sampled_from(["cent", "quarter", "third", "half", "rest", "too much"]),
        )
        def refund(self, pick: int, share: str) -> None:
            who, order_id = self.orders[pick % len(self.orders)]
            left = self.model.refundable(who, order_id)
            amount = {
                "cent": 1,
                "quarter": left // 4,
                "third": left // 3,
                "half": left // 2,
                "rest": left,
                "too much": left + 1,
            }[share]
            amount = max(amount, 1)
            refund_id, purchases = self._key("refund-"), self.k.purchases
            stored = self._expect(
                lambda: self.model.refund(who, order_id, amount),
                lambda: purchases.refund(order_id, refund_id=refund_id, amount=_eur_minor(amount)),
            )
            if stored is not None:
                self.done.append(
                    _Done(
                        label=f"refund {refund_id}",
                        same=lambda: purchases.refund(
                            order_id, refund_id=refund_id, amount=_eur_minor(amount)
                        ),
                        expected=stored,
                        other=lambda: purchases.refund(
                            order_id, refund_id=refund_id, amount=_eur_minor(amount + 1)
                        ),
                    )
                )

        # -- time ------------------------------------------------------------------

        @rule(
            hours=st.one_of(
                st.integers(min_value=1, max_value=48),
                # a week, past the return window, past a 30-day expiry, a quarter
                st.sampled_from([24 * 7, 24 * 15, 24 * 32, 24 * 91]),
                st.integers(min_value=1, max_value=24 * 40),
            )
        )
        def advance(self, hours: int) -> None:
            self.clock.advance(hours=hours)
            self.model.now += dt.timedelta(hours=hours)

        @rule()
        def process_due(self) -> None:
            result = self.k.loyalty.process_due()
            assert self.model.process_due() == result.activated

        # -- replays ---------------------------------------------------------------

        @precondition(lambda self: bool(self.done))
        @rule(pick=st.integers(min_value=0))
        def replay_same_payload(self, pick: int) -> None:
            done = self.done[pick % len(self.done)]
            assert done.expected == _project(done.same()), done.label

        @precondition(lambda self: bool(self.done))
        @rule(pick=st.integers(min_value=0))
        def replay_other_payload(self, pick: int) -> None:
            done = self.done[pick % len(self.done)]
            try:
                done.other()
            except IdempotencyConflict:
                return
            raise AssertionError(f"{done.label}: another payload under the same key was accepted")

        # -- invariants ------------------------------------------------------------

        @invariant()
        def ledger_verifies(self) -> None:
            if self.kit is not None:
                report = self.kit.loyalty.verify()
                assert () == report.problems

        @invariant()
        def balances_match_the_model(self) -> None:
            if self.kit is None:
                return
            for who, customer in [self.members[0], self.members[2]]:
                summary = self.kit.loyalty.summary(customer)
                view = self.model.view(who)
                assert (view.balance, view.pending, view.debt) == (
                    summary.balance,
                    summary.pending,
                    summary.debt,
                ), f"account {who}"
                assert summary.balance == (
                    view.earned
                    - view.redeemed
                    - view.expired
                    - view.reversed
                    + view.returned
                    + view.adjusted
                ), f"sum rule, account {who}"

    LedgerMachine.__name__ = LedgerMachine.__qualname__ = "LedgerMachine"
    return LedgerMachine


def _eur_minor(minor: int) -> rk.Money:
    """Return ``minor`` euro cents as Money."""
    return rk.Money(f"{minor // 100}.{minor % 100:02d}", "EUR")
