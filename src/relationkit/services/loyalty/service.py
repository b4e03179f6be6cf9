"""``kit.loyalty``: balances, earning, redemption, expiry, tiers, referrals.

Every write is idempotent, locks the account, settles what is due (pending
points that unlocked, lots that expired) as of the clock before anything else,
and appends entries; no entry is ever changed or deleted. Balances, pending
and expiring amounts and tiers are derived from the entries.

The service is a facade over its parts, each in a module of its own:
:mod:`.earning` (purchases), :mod:`.refunds`, :mod:`.tiers`,
:mod:`.settlement` (``process_due`` and ``verify``), :mod:`.manual`
(``earn``, ``redeem``, ``adjust``), :mod:`.holding` (points at checkout),
:mod:`.referrals`, sharing
:class:`~relationkit.services.loyalty.ledgers.Ledgers`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import attrs
import pendulum

from relationkit import _validate as v
from relationkit._runtime import Context, Runner
from relationkit._tx import Tx
from relationkit.domain.holds import Hold
from relationkit.domain.ledger import LedgerEntry
from relationkit.domain.loyalty import EarningOutcome, LoyaltyProgram
from relationkit.domain.points import PointsState
from relationkit.errors import (
    ValidationError,
)
from relationkit.services._paging import walk
from relationkit.services._reactions import PurchasesStored, Reactions, RefundStored
from relationkit.services._refs import resolve
from relationkit.services.loyalty.earning import Earning
from relationkit.services.loyalty.holding import Holding
from relationkit.services.loyalty.keyed import KeyedWrites
from relationkit.services.loyalty.ledgers import Ledgers
from relationkit.services.loyalty.manual import ManualWrites
from relationkit.services.loyalty.outcomes import read_outcome
from relationkit.services.loyalty.referrals import Referrals
from relationkit.services.loyalty.refunds import Refunds
from relationkit.services.loyalty.settlement import (
    DueResult,
    RebuildReport,
    Settlement,
    VerifyReport,
)
from relationkit.services.loyalty.tiers import Tiers
from relationkit.storage.fallback import queries

__all__ = ["DueResult", "LoyaltyService", "LoyaltySummary", "RebuildReport", "VerifyReport"]


@attrs.frozen(kw_only=True)
class LoyaltySummary:
    """An account's loyalty position at one instant.

    Attributes:
        account_id: the account.
        balance: spendable points (negative while a refund's debt is unpaid).
        pending: points awarded and still locked in their return window.
        expiring_soon: spendable points that expire within the window asked
            for (``expiring_within_days``, 30 by default) unless spent.
        debt: points owed after a refund took back points already spent.
        tier: the account's tier name, or None.
        as_of: the instant the figures hold for (the kit's clock).
        held: points reserved by open holds (part of ``balance``).
        available: what a redemption or a new hold may take: ``balance - held``.
    """

    account_id: str
    balance: int
    pending: int
    expiring_soon: int
    debt: int
    tier: str | None
    as_of: pendulum.DateTime
    held: int = 0
    available: int = 0


class LoyaltyService:
    """``kit.loyalty``: balances, earning, redemption, expiry, tiers, referrals."""

    def __init__(self, runner: Runner, ctx: Context, reactions: Reactions) -> None:
        self._run = runner
        self._ledgers = Ledgers(ctx.timezone)
        self._tiers = Tiers(self._ledgers)
        self._settlement = Settlement(runner, self._ledgers, self._tiers)
        self._keyed = KeyedWrites(runner, self._ledgers, self._tiers)
        self._holding = Holding(runner, self._ledgers, self._tiers)
        self._manual = ManualWrites(self._ledgers, self._keyed)
        self._referrals = Referrals(runner)
        earning = Earning(self._ledgers, self._tiers)
        refunds = Refunds(self._ledgers, self._tiers)
        reactions.on(PurchasesStored, earning.on_purchases)
        reactions.on(RefundStored, refunds.on_refund)

    def __repr__(self) -> str:
        return "<LoyaltyService>"

    # -- configuration ----------------------------------------------------------

    @property
    def program(self) -> LoyaltyProgram | None:
        """The program in force (None: purchases earn nothing)."""
        return self._ledgers.program

    def configure(self, program: LoyaltyProgram | None) -> None:
        """Set the program purchases earn under from now on (None: no earning).

        Raises:
            ValidationError: if ``program`` is not a LoyaltyProgram.
        """
        if program is not None and not isinstance(program, LoyaltyProgram):
            raise ValidationError("program", "must be a relationkit.LoyaltyProgram")
        self._ledgers.program = program

    # -- reading ------------------------------------------------------------------

    def summary(self, ref: str, *, expiring_within_days: int = 30) -> LoyaltySummary:
        """Return balance, pending, expiring-soon points, debt and tier, as of the clock."""
        # A window longer than a century would reach past the supported range.
        days = v.positive_int(expiring_within_days, "expiring_within_days", maximum=36_525)

        def work(tx: Tx) -> LoyaltySummary:
            account = tx.account(resolve(tx, ref), lock=False)
            book = self._ledgers.books(tx, [account.id], settle=False)[account.id]
            now = tx.now
            # Answer as process_due would leave it, without writing: settle a copy.
            book.settle(tx, now, self._ledgers.program)
            return LoyaltySummary(
                account_id=account.id,
                balance=book.balance(now),
                pending=book.pending_points(),
                expiring_soon=book.expiring(tx, now, now.add(days=days)),
                debt=book.state.debt,
                tier=account.tier,
                as_of=now,
                held=book.balance(now) - book.available(now),
                available=book.available(now),
            )

        return self._run.read(work)

    def balance(self, ref: str) -> int:
        """Return the spendable points now (negative while a refund's debt is unpaid)."""
        return self.summary(ref).balance

    def pending(self, ref: str) -> int:
        """Return the points awarded but still locked in their return window."""
        return self.summary(ref).pending

    def expiring(self, ref: str, *, within_days: int = 30) -> int:
        """Return the points that expire within ``within_days`` unless spent."""
        return self.summary(ref, expiring_within_days=within_days).expiring_soon

    def tier(self, ref: str) -> str | None:
        """Return the account's tier (None: no tier)."""
        return self._run.read(lambda tx: tx.account(resolve(tx, ref), lock=False).tier)

    def earning(self, order_id: str) -> EarningOutcome:
        """Return what an order earned: its rate, or that it earned nothing, and its points.

        An order in another currency than the program's carries the outcome
        recorded with it (see :class:`~relationkit.CurrencyRule`).

        Raises:
            NotFound: no order has this id.
        """
        key = v.identifier(order_id, "order_id")
        return self._run.read(lambda tx: read_outcome(tx, self._ledgers.program, key))

    def history(
        self, ref: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[LedgerEntry]:
        """Return the account's ledger entries in the order they were written.

        Args:
            ref: an account or customer id.
            after_seq: return the entries after this ``seq`` (a page's last).
            limit: at most this many (None: all that follow).
        """
        after = v.count(after_seq, "after_seq")
        size = v.positive_int(limit, "limit") if limit is not None else None
        return self._run.read(
            lambda tx: tx.uow.ledger.for_account(resolve(tx, ref), after_seq=after, limit=size)
        )

    def iter_history(self, ref: str, *, page_size: int = 1000) -> Iterator[LedgerEntry]:
        """Yield the account's whole ledger, one read transaction per page (for exports)."""
        size = v.positive_int(page_size, "page_size")
        return walk(
            lambda last: self.history(
                ref, after_seq=last.seq if last is not None else 0, limit=size
            ),
            size,
        )

    def state(self, ref: str) -> PointsState:
        """Return the loyalty state stored for the account, as its last write left it.

        Balances from :meth:`balance` and :meth:`summary` are as of the clock;
        this is what the store holds (and what SQL queries filter on) until
        the next write or :meth:`process_due`.
        """

        def work(tx: Tx) -> PointsState:
            account_id = resolve(tx, ref)
            found = tx.uow.points.get_many([account_id]).get(account_id)
            return found if found is not None else PointsState(account_id=account_id)

        return self._run.read(work)

    def top(self, limit: int = 10, *, after: PointsState | None = None) -> list[PointsState]:
        """Return the stored states of the accounts with the highest balances.

        Ordered by balance, highest first, then account id; pass the last
        row of a page as ``after`` for the next one.
        """
        size = v.positive_int(limit, "limit")
        cursor = (after.balance, after.account_id) if after is not None else None

        def work(tx: Tx) -> list[PointsState]:
            rows = queries(tx.uow).top_balances(limit=size, after=cursor)
            states = tx.uow.points.get_many([a for a, _ in rows])
            return [states[a] for a, _ in rows if a in states]

        return self._run.read(work)

    # -- writing --------------------------------------------------------------------

    def earn(
        self, ref: str, points: int, *, idempotency_key: str, reason: str = "manual"
    ) -> LedgerEntry:
        """Credit points outside a purchase (a goodwill gesture, a campaign).

        The points follow the program's expiry rule and pay any debt first.

        Raises:
            ValidationError: on non-positive points or a bad key.
            IdempotencyConflict: if the key was used with another payload.
        """
        return self._manual.earn(ref, points, idempotency_key=idempotency_key, reason=reason)

    def redeem(
        self, ref: str, points: int, *, idempotency_key: str, reason: str | None = None
    ) -> LedgerEntry:
        """Spend points, soonest-expiring lots first; never more than the balance.

        Raises:
            InsufficientPoints: if the balance (as of the clock) is smaller.
            ValidationError: on non-positive points or a bad key.
            IdempotencyConflict: if the key was used with another payload.
        """
        return self._manual.redeem(ref, points, idempotency_key=idempotency_key, reason=reason)

    def adjust(self, ref: str, points: int, *, idempotency_key: str, reason: str) -> LedgerEntry:
        """Correct a balance by hand: positive credits, negative debits.

        A debit beyond the balance becomes debt under the ``"debt"`` policy
        and is refused under ``"write_off"``.

        Raises:
            ValidationError: on zero points, a missing reason or a bad key.
            InsufficientPoints: a debit beyond the balance under ``"write_off"``.
            IdempotencyConflict: if the key was used with another payload.
        """
        return self._manual.adjust(ref, points, idempotency_key=idempotency_key, reason=reason)

    # -- points at checkout ----------------------------------------------------------

    def hold(
        self, ref: str, points: int, *, idempotency_key: str, expires_in: dt.timedelta
    ) -> Hold:
        """Reserve points for a checkout paid with them, until ``expires_in`` from now.

        The order-paid webhook captures the hold with
        ``kit.purchases.record(..., hold_id=hold.id)``; a cancelled
        checkout gives it up with :meth:`release`; a hold neither captured
        nor released lapses by itself at ``expires_at``. Held points stay in
        the balance but not in ``available``: no redemption and no other
        hold can take them. A retry with the same key returns the hold (as
        it stands now) and reserves nothing more.

        Raises:
            InsufficientPoints: fewer points are available (balance minus held).
            ValidationError: on non-positive points, a bad key or duration.
            IdempotencyConflict: the key was used with another payload.
            StorageError: the backend keeps no holds.
        """
        return self._holding.hold(
            ref, points, idempotency_key=idempotency_key, expires_in=expires_in
        )

    def release(self, hold_id: str) -> Hold:
        """Give up a hold (a cancelled checkout); its points are available again.

        Idempotent: releasing a released or lapsed hold returns it unchanged.

        Raises:
            NotFound: no such hold.
            Conflict: an order captured it already.
        """
        return self._holding.release(hold_id)

    def get_hold(self, hold_id: str) -> Hold:
        """Return a hold as of the clock (a lapsed one reads as expired).

        Raises:
            NotFound: no such hold.
        """
        return self._holding.get(hold_id)

    def refer(self, referrer: str, referred: str) -> None:
        """Record that ``referrer`` brought ``referred``; bonuses come with its first purchase.

        Recording the same referral again does nothing.

        Raises:
            ValidationError: if both designate the same account.
            Conflict: if ``referred`` has purchased already, or was referred by
                another account.
            NotFound: if either does not exist.
        """

        self._referrals.refer(referrer, referred)

    def process_due(self) -> DueResult:
        """Activate pending points and expire lots due as of the clock; re-rate tiers.

        Idempotent: running it twice at the same instant does nothing the
        second time. Works in transactions of a few hundred accounts.
        """
        return self._settlement.process_due()

    def verify(self, ref: str | None = None) -> VerifyReport:
        """Check every ledger invariant for one account, or for all.

        Checks: the stored state row and open lots equal what the entries
        give (each drift reported by account and field); entries are
        numbered 1..n; allocations point at existing lots and never consume
        a lot past zero; debits add up to their allocations and debt;
        credits pay debt first; redemptions took the soonest-expiring lots;
        expiry took exactly what a lot had left, no earlier than its expiry;
        pending lots settle once; refunds never took back more than an order
        earned nor returned more points than paid it; idempotency keys are
        unique; under ``"write_off"`` no debt remains.
        """
        if ref is not None:
            problems = self._run.read(lambda tx: self._settlement.verify_one(tx, resolve(tx, ref)))
            return VerifyReport(accounts=1, problems=tuple(problems))
        return self._settlement.verify_all()

    def rebuild(self, ref: str | None = None, *, after: str | None = None) -> RebuildReport:
        """Re-derive the stored loyalty state from the ledger: one account, or all.

        Writes the state row and open lots the entries give wherever they
        differ from what is stored. Idempotent (a second run repairs
        nothing), streaming (a page of accounts per transaction) and
        resumable: pass the ``last`` of an interrupted run as ``after``.
        """
        if ref is not None:
            account_id = self._run.read(lambda tx: resolve(tx, ref))
            return self._settlement.rebuild([account_id], None)
        return self._settlement.rebuild(None, after)
