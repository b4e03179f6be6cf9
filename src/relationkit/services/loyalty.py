"""Loyalty: a lot-based points ledger with earning rules, expiry, tiers, referrals.

Every write is idempotent, locks the account, settles what is due (pending
points that unlocked, lots that expired) as of the clock before anything else,
and appends entries; no entry is ever changed or deleted. Balances, pending
and expiring amounts and tiers are derived from the entries.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

import attrs
import pendulum

from relationkit import _validate as v
from relationkit._currencies import MINOR_UNITS
from relationkit._tx import Tx
from relationkit.domain.customers import Account
from relationkit.domain.ledger import Allocation, EntryKind, LedgerEntry
from relationkit.domain.loyalty import LoyaltyProgram
from relationkit.domain.purchases import Purchase, Refund
from relationkit.errors import (
    Conflict,
    IdempotencyConflict,
    InsufficientPoints,
    ValidationError,
)
from relationkit.events import TierChanged
from relationkit.services._base import Service
from relationkit.services._book import Book, proportion
from relationkit.services._ledger_checks import verify_book
from relationkit.storage.ports import IdempotencyRecord

__all__ = ["DueResult", "LoyaltyService", "LoyaltySummary", "VerifyReport"]

T = TypeVar("T")
_PAGE = 200


@attrs.frozen(kw_only=True)
class LoyaltySummary:
    """An account's loyalty position at one instant."""

    account_id: str
    balance: int
    pending: int
    expiring_soon: int
    debt: int
    tier: str | None
    as_of: pendulum.DateTime


@attrs.frozen(kw_only=True)
class DueResult:
    """What :meth:`LoyaltyService.process_due` did."""

    accounts: int = 0
    activated: int = 0
    expired: int = 0
    tier_changes: int = 0


@attrs.frozen(kw_only=True)
class VerifyReport:
    """The outcome of :meth:`LoyaltyService.verify`."""

    accounts: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when no invariant is broken."""
        return not self.problems


def _hash(payload: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _points(value: object, field: str = "points") -> int:
    return v.positive_int(value, field)


class LoyaltyService(Service):
    """``kit.loyalty``: balances, earning, redemption, expiry, tiers, referrals."""

    def __init__(self, kit: object) -> None:
        super().__init__(kit)  # type: ignore[arg-type]
        self._program: LoyaltyProgram | None = None

    # -- configuration ----------------------------------------------------------

    @property
    def program(self) -> LoyaltyProgram | None:
        """The program in force (None: purchases earn nothing)."""
        return self._program

    def configure(self, program: LoyaltyProgram | None) -> None:
        """Set the program purchases earn under from now on (None: no earning).

        Raises:
            ValidationError: if ``program`` is not a LoyaltyProgram.
        """
        if program is not None and not isinstance(program, LoyaltyProgram):
            raise ValidationError("program", "must be a relationkit.LoyaltyProgram")
        self._program = program

    @property
    def _timezone(self) -> str:
        """The zone expiry dates are counted in: the program's, else the kit's."""
        if self._program is not None and self._program.timezone is not None:
            return self._program.timezone
        return self._kit.timezone

    # -- reading ------------------------------------------------------------------

    def summary(self, ref: str, *, expiring_within_days: int = 30) -> LoyaltySummary:
        """Return balance, pending, expiring-soon points, debt and tier, as of the clock."""
        days = v.positive_int(expiring_within_days, "expiring_within_days")

        def work(tx: Tx) -> LoyaltySummary:
            account = tx.account(self._kit.accounts._resolve(tx, ref), lock=False)
            book = Book.load(account.id, tx.uow.ledger.for_account(account.id), self._timezone)
            now = tx.now
            # Answer as process_due would leave it, without writing: settle a copy.
            book.settle(tx, now, self._program)
            return LoyaltySummary(
                account_id=account.id,
                balance=book.state.balance(now),
                pending=book.state.pending_points(),
                expiring_soon=book.state.expiring(now, now.add(days=days)),
                debt=book.state.debt,
                tier=account.tier,
                as_of=now,
            )

        return self._kit._read(work)

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
        return self._kit.accounts.get(ref).tier

    def history(self, ref: str) -> list[LedgerEntry]:
        """Return the account's ledger entries, oldest first."""
        return self._kit._read(
            lambda tx: tx.uow.ledger.for_account(self._kit.accounts._resolve(tx, ref))
        )

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
        amount = _points(points)
        why = v.text(reason, "reason", max_length=200)

        def op(tx: Tx, book: Book) -> LedgerEntry:
            expires = self._expires(tx.now)
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

        return self._keyed(ref, "earn", idempotency_key, {"points": amount, "reason": why}, op)

    def redeem(
        self, ref: str, points: int, *, idempotency_key: str, reason: str | None = None
    ) -> LedgerEntry:
        """Spend points, soonest-expiring lots first; never more than the balance.

        Raises:
            InsufficientPoints: if the balance (as of the clock) is smaller.
            ValidationError: on non-positive points or a bad key.
            IdempotencyConflict: if the key was used with another payload.
        """
        amount = _points(points)
        why = v.optional_text(reason, "reason", max_length=200)

        def op(tx: Tx, book: Book) -> LedgerEntry:
            available = book.state.balance(tx.now)
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

        return self._keyed(ref, "redeem", idempotency_key, {"points": amount, "reason": why}, op)

    def adjust(self, ref: str, points: int, *, idempotency_key: str, reason: str) -> LedgerEntry:
        """Correct a balance by hand: positive credits, negative debits.

        A debit beyond the balance becomes debt under the ``"debt"`` policy
        and is refused under ``"write_off"``.

        Raises:
            ValidationError: on zero points, a missing reason or a bad key.
            InsufficientPoints: a debit beyond the balance under ``"write_off"``.
            IdempotencyConflict: if the key was used with another payload.
        """
        if isinstance(points, bool) or not isinstance(points, int) or points == 0:
            raise ValidationError("points", "must be a non-zero integer")
        why = v.text(reason, "reason", max_length=200)

        def op(tx: Tx, book: Book) -> LedgerEntry:
            if points > 0:
                return book.credit(
                    tx,
                    EntryKind.ADJUST,
                    points,
                    at=tx.now,
                    expires_at=self._expires(tx.now),
                    reason=why,
                    idempotency_key=idempotency_key,
                    source=f"adjust:{idempotency_key}",
                )
            available = book.state.balance(tx.now)
            if self._policy() == "write_off" and available < -points:
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

        return self._keyed(ref, "adjust", idempotency_key, {"points": points, "reason": why}, op)

    def refer(self, referrer: str, referred: str) -> None:
        """Record that ``referrer`` brought ``referred``; bonuses come with its first purchase.

        Recording the same referral again does nothing.

        Raises:
            ValidationError: if both designate the same account.
            Conflict: if ``referred`` has purchased already, or was referred by
                another account.
            NotFound: if either does not exist.
        """

        def work(tx: Tx) -> None:
            source = self._kit.accounts._resolve(tx, referrer)
            target = self._kit.accounts._resolve(tx, referred)
            if source == target:
                raise ValidationError("referred", "an account cannot refer itself")
            tx.account(target)
            payload_hash = _hash({"referrer": source})
            existing = tx.uow.idempotency.get("referral", target)
            if existing is not None:
                if existing.payload_hash != payload_hash:
                    raise Conflict(f"account {target} was referred by another account")
                return
            if tx.uow.purchases.counts([target])[target]:
                raise Conflict(f"account {target} has purchased already; referrals come first")
            tx.uow.idempotency.add(
                IdempotencyRecord(
                    scope="referral",
                    key=target,
                    payload_hash=payload_hash,
                    result=source,
                    created_at=tx.now,
                )
            )

        self._kit._write(work)

    def process_due(self) -> DueResult:
        """Activate pending points and expire lots due as of the clock; re-rate tiers.

        Idempotent: running it twice at the same instant does nothing the
        second time. Works in transactions of a few hundred accounts.
        """
        result = DueResult()
        after: str | None = None
        program = self._program
        rerate = bool(program and program.tiers)
        every = "accounts" if program and program.tier_basis == "spend" else "ledger"
        while True:
            page = self._kit._read(
                functools.partial(self._due_page, after=after, every=every if rerate else None)
            )
            if not page:
                return result
            after = page[-1]
            step = self._kit._write(functools.partial(self._process_page, account_ids=page))
            result = DueResult(
                accounts=result.accounts + step.accounts,
                activated=result.activated + step.activated,
                expired=result.expired + step.expired,
                tier_changes=result.tier_changes + step.tier_changes,
            )

    def _due_page(self, tx: Tx, *, after: str | None, every: str | None) -> list[str]:
        """Return the next accounts process_due looks at.

        With tiers to re-rate that is every account with a ledger (points
        basis) or every account (spend basis: the window rolls for all).
        """
        if every == "accounts":
            return tx.uow.accounts.ids(after=after, limit=_PAGE)
        if every == "ledger":
            return tx.uow.ledger.account_ids(after=after, limit=_PAGE)
        return tx.uow.ledger.due_accounts(tx.now, after=after, limit=_PAGE)

    def _process_page(self, tx: Tx, account_ids: Sequence[str]) -> DueResult:
        tx.accounts(account_ids)
        books = self._books(tx, account_ids, settle=False)
        accounts = activated = expired = changes = 0
        for book in books.values():
            got, lost = book.settle(tx, tx.now, self._program)
            self._save(tx, [book])
            changed = self._rate(tx, book)
            if got or lost or changed:
                accounts += 1
            activated += got
            expired += lost
            changes += int(changed)
        return DueResult(
            accounts=accounts, activated=activated, expired=expired, tier_changes=changes
        )

    def verify(self, ref: str | None = None) -> VerifyReport:
        """Check every ledger invariant for one account, or for all.

        Checks: allocations point at existing lots and never consume a lot
        past zero; debits add up to their allocations and debt; credits pay
        debt first; redemptions took the soonest-expiring lots; expiry took
        exactly what a lot had left, no earlier than its expiry; pending lots
        settle once; refunds never took back more than an order earned nor
        returned more points than paid it; idempotency keys are unique; under
        ``"write_off"`` no debt remains.
        """

        def one(tx: Tx, account_id: str) -> list[str]:
            book = Book.load(account_id, tx.uow.ledger.for_account(account_id), self._timezone)
            return verify_book(book, self._program)

        if ref is not None:
            problems = self._kit._read(lambda tx: one(tx, self._kit.accounts._resolve(tx, ref)))
            return VerifyReport(accounts=1, problems=tuple(problems))
        found: list[str] = []
        count = 0
        after: str | None = None
        while True:
            page = self._kit._read(functools.partial(self._ledger_page, after=after))
            if not page:
                return VerifyReport(accounts=count, problems=tuple(found))
            after = page[-1]
            found += self._kit._read(functools.partial(self._check_page, account_ids=page))
            count += len(page)

    def _ledger_page(self, tx: Tx, *, after: str | None) -> list[str]:
        return tx.uow.ledger.account_ids(after=after, limit=_PAGE)

    def _check_page(self, tx: Tx, *, account_ids: Sequence[str]) -> list[str]:
        books = tx.uow.ledger.for_accounts(account_ids)
        found: list[str] = []
        for account_id in account_ids:
            found += verify_book(
                Book.load(account_id, books[account_id], self._timezone), self._program
            )
        return found

    # -- purchases and refunds (called by the purchases service, same transaction) --

    def _on_purchases(self, tx: Tx, purchases: Sequence[Purchase]) -> None:
        """Earn points for new purchases and redeem the points that paid them."""
        program = self._program
        spending = [p for p in purchases if p.points_used]
        if program is None and not spending:
            return
        account_ids = sorted({p.account_id for p in purchases})
        books = self._books(tx, account_ids)
        counts = tx.uow.purchases.counts(account_ids)
        fresh: dict[str, int] = defaultdict(int)
        for p in purchases:
            fresh[p.account_id] += 1
        seen: set[str] = set()
        emitted: list[LedgerEntry] = []
        for purchase in sorted(purchases, key=lambda p: (p.occurred_at, p.id)):
            book = books[purchase.account_id]
            source = f"order:{purchase.order_id}"
            if purchase.points_used:
                available = book.state.balance(tx.now)
                if available < purchase.points_used:
                    raise InsufficientPoints(
                        purchase.account_id, purchase.points_used, max(available, 0)
                    )
                book.debit(
                    tx,
                    EntryKind.REDEEM,
                    purchase.points_used,
                    at=tx.now,
                    source=source,
                    reason="order payment",
                )
            if program is None:
                emitted += self._emit(tx, [book])
                continue
            first = (
                counts[purchase.account_id] == fresh[purchase.account_id]
                and purchase.account_id not in seen
            )
            seen.add(purchase.account_id)
            account = tx.account(purchase.account_id)
            tier = program.tier_named(account.tier)
            lines = [(line.sku, line.category, line.subtotal) for line in purchase.lines]
            points = program.base_points(purchase.total, lines, tier)
            if first and program.qualifies(purchase.total):
                points += program.first_purchase_bonus
            points = program.cap(points)
            if points > 0:
                self._award(tx, book, points, purchase.occurred_at, source, "purchase")
            touched = [book]
            if first:
                touched += self._referral(tx, books, purchase)
            # Re-rate after every order, so the next order of the batch earns
            # at the tier this one reached, exactly as record() one by one.
            emitted += self._emit(tx, touched)
            for each in touched:
                self._rate(tx, each)
        if emitted:
            tx.uow.ledger.add_many(emitted)

    def _award(
        self, tx: Tx, book: Book, points: int, at: pendulum.DateTime, source: str, reason: str
    ) -> None:
        program = self._program
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
            )
        else:
            book.credit(
                tx,
                EntryKind.EARN,
                points,
                at=at,
                expires_at=program.expiry.expires_at(at, self._timezone),
                source=source,
                reason=reason,
            )

    def _referral(self, tx: Tx, books: dict[str, Book], purchase: Purchase) -> list[Book]:
        """Credit the referral bonuses of a first purchase; return the referrer's book."""
        program = self._program
        assert program is not None
        if not (program.referral_bonus or program.referred_bonus):
            return []
        record = tx.uow.idempotency.get("referral", purchase.account_id)
        if record is None:
            return []
        referrer = record.result
        if program.referred_bonus:
            self._bonus(
                tx, books[purchase.account_id], program.referred_bonus, purchase, "referred"
            )
        if program.referral_bonus:
            if referrer not in books:
                tx.account(referrer)
                books.update(self._books(tx, [referrer]))
            self._bonus(tx, books[referrer], program.referral_bonus, purchase, "referral")
            return [books[referrer]]
        return []

    def _bonus(self, tx: Tx, book: Book, points: int, purchase: Purchase, reason: str) -> None:
        """Credit a referral bonus earned by ``purchase`` (kept if the order is refunded)."""
        book.credit(
            tx,
            EntryKind.EARN,
            points,
            at=purchase.occurred_at,
            expires_at=self._expires(purchase.occurred_at),
            source=f"referral:{purchase.account_id}",
            reason=reason,
        )

    def _on_refund(self, tx: Tx, purchase: Purchase, refund: Refund) -> None:
        """Take back earned points in proportion and give back points that paid the order."""
        source = f"order:{purchase.order_id}"
        book = self._books(tx, [purchase.account_id])[purchase.account_id]
        entries = book.by_source(source)
        if not entries:
            self._save(tx, [book])
            self._rate(tx, book)
            return
        refunded = purchase.refunded.minor + refund.amount.minor
        total = purchase.total.minor
        awarded = sum(e.points for e in entries if e.kind in (EntryKind.EARN, EntryKind.PENDING))
        taken = -sum(
            e.points
            for e in entries
            if e.kind in (EntryKind.REVERSE, EntryKind.VOID) and e.points < 0
        )
        # Points of the order that expired were taken by the expiry already:
        # a refund never takes them a second time from the member's other lots.
        earned_lots = {e.id for e in entries if e.kind in (EntryKind.EARN, EntryKind.ACTIVATE)}
        expired = -sum(
            e.points for e in entries if e.kind is EntryKind.EXPIRE and e.lot_id in earned_lots
        )
        take = min(proportion(awarded, refunded, total), awarded - expired) - taken
        if take > 0:
            self._take_back(tx, book, entries, take, source)
        used = -sum(e.points for e in entries if e.kind is EntryKind.REDEEM)
        returned = sum(e.points for e in entries if e.kind is EntryKind.REVERSE and e.points > 0)
        give = proportion(used, refunded, total) - returned
        if give > 0:
            book.credit(
                tx,
                EntryKind.REVERSE,
                give,
                at=tx.now,
                expires_at=self._expires(tx.now),
                source=source,
                reason="points paid on a refunded order",
            )
        self._save(tx, [book])
        self._rate(tx, book)

    def _take_back(
        self, tx: Tx, book: Book, entries: list[LedgerEntry], take: int, source: str
    ) -> None:
        pending = next((e for e in entries if e.kind is EntryKind.PENDING), None)
        if pending is not None:
            lot = book.state.pending.get(pending.id)
            if lot is not None and not lot.settled and lot.remaining > 0:
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
        if take <= 0:
            return
        own = next(
            (
                e.id
                for e in book.entries
                if e.source == source and e.kind in (EntryKind.EARN, EntryKind.ACTIVATE)
            ),
            None,
        )
        entry = book.debit(
            tx, EntryKind.REVERSE, take, at=tx.now, prefer=own, source=source, reason="refund"
        )
        if entry.debt and self._policy() == "write_off":
            book.credit(
                tx,
                EntryKind.ADJUST,
                entry.debt,
                at=tx.now,
                expires_at=None,
                source=source,
                reason="write_off",
            )

    # -- shared machinery -------------------------------------------------------------

    def _policy(self) -> str:
        return self._program.negative_balance if self._program else "debt"

    def _expires(self, at: pendulum.DateTime) -> pendulum.DateTime | None:
        if self._program is None:
            return None
        return self._program.expiry.expires_at(at, self._timezone)

    def _books(self, tx: Tx, account_ids: Sequence[str], *, settle: bool = True) -> dict[str, Book]:
        """Load the books of locked accounts, settled as of now unless told otherwise.

        Every write settles first, so a redemption never spends points that
        expired a second ago only because ``process_due`` has not run yet.
        """
        loaded = tx.uow.ledger.for_accounts(list(account_ids))
        books = {a: Book.load(a, loaded.get(a, []), self._timezone) for a in account_ids}
        if settle:
            for book in books.values():
                book.settle(tx, tx.now, self._program)
        return books

    def _emit(self, tx: Tx, books: Iterable[Book]) -> list[LedgerEntry]:
        """Emit the events of the books' new entries; return the entries to insert."""
        new: list[LedgerEntry] = []
        for book in books:
            new.extend(book.flush(tx))
        return new

    def _save(self, tx: Tx, books: Iterable[Book]) -> None:
        """Emit the events of the books' new entries and insert them in one go."""
        new = self._emit(tx, books)
        if new:
            tx.uow.ledger.add_many(new)

    def _keyed(
        self,
        ref: str,
        op_name: str,
        idempotency_key: str,
        payload: dict[str, object],
        op: Callable[[Tx, Book], LedgerEntry],
    ) -> LedgerEntry:
        """Run a single-entry ledger write once per key, with its account locked."""
        key = v.identifier(idempotency_key, "idempotency_key")

        def work(tx: Tx) -> LedgerEntry:
            account_id = self._kit.accounts._resolve(tx, ref)
            tx.account(account_id)
            full = {"op": op_name, "account_id": account_id, **payload}
            stored = tx.uow.idempotency.get("loyalty", key)
            if stored is not None:
                return self._replay(tx, stored, full, key)
            book = self._books(tx, [account_id])[account_id]
            entry = op(tx, book)
            self._save(tx, [book])
            self._rate(tx, book)
            tx.uow.idempotency.add(
                IdempotencyRecord(
                    scope="loyalty",
                    key=key,
                    payload_hash=_hash(full),
                    result=json.dumps({"payload": full, "entry_id": entry.id}),
                    created_at=tx.now,
                )
            )
            return entry

        return self._kit._write(work)

    def _replay(
        self, tx: Tx, stored: IdempotencyRecord, payload: dict[str, object], key: str
    ) -> LedgerEntry:
        result = json.loads(stored.result)
        if stored.payload_hash != _hash(payload):
            before = result["payload"]
            differing = sorted(
                k for k in set(before) | set(payload) if before.get(k) != payload.get(k)
            )
            raise IdempotencyConflict(key, differing, what="loyalty request")
        account_id = str(result["payload"]["account_id"])
        entry_id = result["entry_id"]
        return next(e for e in tx.uow.ledger.for_account(account_id) if e.id == entry_id)

    def _rate(self, tx: Tx, book: Book) -> bool:
        """Re-rate the account's tier; emit TierChanged when it moves. Return whether it did."""
        program = self._program
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
        """Points earned (net of refunds) or whole units spent within the window."""
        if program.tier_basis == "spend":
            net = 0
            for purchase in tx.uow.purchases.for_account(account.id):
                if (
                    purchase.total.currency == program.currency
                    and since < purchase.occurred_at <= tx.now
                ):
                    net += purchase.total.minor - purchase.refunded.minor
            return int(net // 10 ** MINOR_UNITS[program.currency])
        earned = 0
        for e in book.entries:
            if not since < e.at <= tx.now:
                continue
            if e.kind in (EntryKind.EARN, EntryKind.ACTIVATE) or (
                e.kind is EntryKind.REVERSE and e.points < 0
            ):
                earned += e.points
        return earned


@functools.lru_cache(maxsize=16)
def _window_start(now: pendulum.DateTime, days: int) -> pendulum.DateTime:
    """The start of a tier window ending ``now`` (cached: one per transaction)."""
    return now.subtract(days=days)
