"""One account's ledger inside a transaction: folded state plus entries to append.

The loyalty service works on a :class:`Book` per account: it loads the
entries once, folds them into a :class:`~relationkit.domain.ledger.LedgerState`
in ``seq`` order, and every new entry is numbered with the next ``seq``
(the account is locked), applied to the state and queued for one bulk
insert, with its event numbered on the account. A new entry that the state
cannot take (a debit of an unknown lot, a lot consumed past zero) is refused
before anything is written.

A book built from the store reads its lots and holds as the work needs
them and writes back only what changed: :mod:`.book_lots` and
:mod:`.book_holds` keep that bookkeeping.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import ROUND_HALF_EVEN, Decimal

import attrs
import pendulum

from relationkit._tx import Tx
from relationkit.domain.holds import Hold
from relationkit.domain.ledger import EntryKind, HeldPoints, LedgerEntry, LedgerState
from relationkit.domain.loyalty import LoyaltyProgram
from relationkit.domain.points import LotKey, OpenLot, PointsState, derive
from relationkit.errors import StorageError
from relationkit.services.loyalty import book_holds, book_lots
from relationkit.services.loyalty.emitting import emit
from relationkit.services.loyalty.settling import settle

__all__ = ["Book", "earned_points", "proportion"]


def earned_points(entry: LedgerEntry) -> int:
    """Return what ``entry`` adds to the points an account earned over its life."""
    if entry.kind in (EntryKind.EARN, EntryKind.ACTIVATE):
        return entry.points
    if entry.kind is EntryKind.REVERSE and entry.points < 0:
        return entry.points
    return 0


def proportion(points: int, part_minor: int, whole_minor: int) -> int:
    """Return ``points * part / whole`` rounded half to even (all of it when part == whole)."""
    if whole_minor <= 0 or part_minor >= whole_minor:
        return points
    exact = Decimal(points) * Decimal(part_minor) / Decimal(whole_minor)
    return int(exact.to_integral_value(rounding=ROUND_HALF_EVEN))


@attrs.define
class Book:
    """An account's ledger as one transaction sees and extends it.

    Built from the stored state (:meth:`from_store`: the state row and the
    open lots, never the history) for writes and reads, or from the whole
    ledger (:meth:`from_entries`) for ``verify`` and ``rebuild``.
    ``entries`` holds what was loaded: every entry for :meth:`from_entries`,
    none for :meth:`from_store`; ``new`` the entries this transaction adds.
    """

    account_id: str
    entries: list[LedgerEntry]
    state: LedgerState
    timezone: str = "UTC"
    new: list[LedgerEntry] = attrs.field(factory=list)
    next_seq: int = 1
    stored: PointsState | None = None
    earned: int = 0
    loaded_lots: dict[str, int] = attrs.field(factory=dict)
    added: list[LedgerEntry] = attrs.field(factory=list)
    # Partial books (from the store) hold only the lots they loaded; these
    # running figures stand for the rest.
    partial: bool = False
    running_balance: int = 0
    running_pending: int = 0
    cursor: LotKey | None = None
    exhausted: bool = False
    due_loaded: pendulum.DateTime | None = None
    lots_closed: bool = False
    # Holds (see relationkit.domain.holds): the held points of a partial
    # book, and the stored rows of the holds it read (to write only changes).
    running_held: int = 0
    loaded_holds: dict[str, Hold] = attrs.field(factory=dict)
    holds_closed: bool = False

    @classmethod
    def from_entries(
        cls, account_id: str, entries: Sequence[LedgerEntry], timezone: str = "UTC"
    ) -> Book:
        """Fold stored entries into a book; ``timezone`` is where expiry dates are counted."""
        ordered = sorted(entries, key=lambda e: e.seq)
        return cls(
            account_id=account_id,
            entries=ordered,
            state=LedgerState.replay(ordered),
            timezone=timezone,
            next_seq=ordered[-1].seq + 1 if ordered else 1,
            earned=sum(earned_points(e) for e in ordered),
        )

    @classmethod
    def from_store(cls, account_id: str, stored: PointsState | None, timezone: str = "UTC") -> Book:
        """Build a book from the account's state row alone (no history, no lot read yet).

        Lots are read as the work needs them: the lots due at a settlement,
        the first lots in consumption order for a debit, an order's own lots
        for a refund.
        """
        state = stored if stored is not None else PointsState(account_id=account_id)
        return cls(
            account_id=account_id,
            entries=[],
            state=LedgerState(debt=state.debt),
            timezone=timezone,
            next_seq=state.last_seq + 1,
            stored=stored,
            earned=state.earned,
            partial=True,
            running_balance=state.balance,
            running_pending=state.pending,
            exhausted=state.balance + state.debt <= 0,
            running_held=state.held,
        )

    # -- reading lots and holds as the work needs them (see book_lots, book_holds) --

    def load_lots(self, tx: Tx, lot_ids: Sequence[str]) -> None:
        """Read these lots (an order's own, for a refund) if they are still open."""
        book_lots.load_lots(self, tx, lot_ids)

    def adopt_holds(self, holds: Sequence[Hold]) -> None:
        """Add holds read from the store, unless this book already holds them."""
        book_holds.adopt_holds(self, holds)

    def load_hold(self, tx: Tx, hold_id: str) -> HeldPoints | None:
        """Return one of the account's holds (read from the store if need be), or None."""
        return book_holds.load_hold(self, tx, hold_id)

    def available(self, as_of: pendulum.DateTime) -> int:
        """The balance minus the points open holds reserve: what a debit may spend."""
        if self.partial:
            return self.balance(as_of) - self.running_held
        return self.state.balance(as_of) - self.state.held()

    def hold_changes(self) -> list[Hold]:
        """Return the holds to write (opened or closed here), since the last call."""
        return book_holds.hold_changes(self)

    # -- what the account holds, as of ``as_of`` (after settling) -----------------

    def balance(self, as_of: pendulum.DateTime) -> int:
        """Spendable points minus debt (a partial book: as settled up to ``as_of``)."""
        if self.partial:
            # Every lot that could be expired but unsettled is held: the due
            # ones were read at settlement, the rest were opened here (a
            # backdated credit whose expiry has passed).
            lapsed = sum(
                lot.remaining
                for lot in self.state.lots.values()
                if lot.remaining > 0 and lot.expires_at is not None and lot.expires_at <= as_of
            )
            return self.running_balance - lapsed
        return self.state.balance(as_of)

    def pending_points(self) -> int:
        """Points awarded and still locked."""
        if self.partial:
            return self.running_pending
        return self.state.pending_points()

    def expiring(self, tx: Tx, as_of: pendulum.DateTime, until: pendulum.DateTime) -> int:
        """Points that will expire after ``as_of`` and by ``until`` unless spent."""
        if not self.partial:
            return self.state.expiring(as_of, until)
        book_lots.read_expiring(self, tx, until)
        return self.state.expiring(as_of, until)

    def append(self, entry: LedgerEntry) -> LedgerEntry:
        """Apply ``entry`` and queue it for insertion (see :meth:`flush`).

        Raises:
            StorageError: the entry does not fit the stored ledger (it would
                take points from an unknown lot, or more than a lot holds);
                nothing is written.
        """
        known = len(self.state.problems)
        kind = entry.kind
        captured = self.state.holds.get(entry.lot_id or "") if kind is EntryKind.REDEEM else None
        reserved = captured.points if captured is not None and captured.status == "held" else 0
        self.state.apply(entry)
        if len(self.state.problems) > known:
            problem = self.state.problems[known]
            del self.state.problems[known:]
            raise StorageError(
                f"ledger of account {self.account_id} refused a new entry: {problem}"
            )
        self.added.append(entry)
        self.new.append(entry)
        self.earned += earned_points(entry)
        if kind in (EntryKind.HOLD, EntryKind.RELEASE):
            self.running_held += entry.points
        elif kind in (EntryKind.PENDING, EntryKind.VOID):
            self.running_pending += entry.points
        else:
            if kind is EntryKind.ACTIVATE:
                self.running_pending -= entry.points
            self.running_balance += entry.points
            self.running_held -= reserved
        return entry

    def by_source(self, tx: Tx, source: str) -> list[LedgerEntry]:
        """Return this account's entries caused by ``source``, stored and new, in seq order."""
        stored = [e for e in self.entries if e.source == source]
        if not self.entries:
            stored = tx.uow.ledger.by_source(self.account_id, source)
        seen = {e.id for e in stored}
        return stored + [e for e in self.added if e.source == source and e.id not in seen]

    def lot_changes(self) -> tuple[list[OpenLot], list[str]]:
        """Return the lots to write and the stored lots to close, since the last call."""
        return book_lots.lot_changes(self)

    def new_state(self, tx: Tx) -> PointsState | None:
        """Return the state row the book's entries lead to, if it changed (lots written first)."""
        if not self.partial:
            derived = derive(
                self.account_id, self.state, last_seq=self.next_seq - 1, earned=self.earned
            )
        else:
            before = self.stored or PointsState(account_id=self.account_id)
            activation, expiry = book_lots.lot_bounds(
                self, tx, before.next_activation, before.next_expiry
            )
            release = book_holds.next_release(self, tx, before.next_release)
            dues = [d for d in (activation, expiry, release) if d is not None]
            derived = PointsState(
                account_id=self.account_id,
                last_seq=self.next_seq - 1,
                balance=self.running_balance,
                pending=self.running_pending,
                debt=self.state.debt,
                earned=self.earned,
                next_activation=activation,
                next_expiry=expiry,
                next_due=min(dues) if dues else None,
                held=self.running_held,
                next_release=release,
            )
        self.lots_closed = self.holds_closed = False
        changed = derived if derived != self.stored else None
        self.stored = derived
        return changed

    def flush(self, tx: Tx) -> list[LedgerEntry]:
        """Emit the events of the queued entries and hand them over for insertion."""
        new, self.new = self.new, []
        for entry in new:
            emit(tx, entry)
        return new

    def entry(
        self,
        tx: Tx,
        kind: EntryKind,
        points: int,
        *,
        at: pendulum.DateTime,
        **fields: object,
    ) -> LedgerEntry:
        """Build and append an entry of ``kind``."""
        entry = LedgerEntry(
            id=tx.ids.new("led"),
            account_id=self.account_id,
            seq=self.next_seq,
            kind=kind,
            points=points,
            at=at,
            recorded_at=tx.now,
            **fields,  # type: ignore[arg-type]
        )
        self.append(entry)
        self.next_seq += 1
        return entry

    # -- the operations every caller composes ---------------------------------

    def credit(
        self,
        tx: Tx,
        kind: EntryKind,
        points: int,
        *,
        at: pendulum.DateTime,
        expires_at: pendulum.DateTime | None,
        **fields: object,
    ) -> LedgerEntry:
        """Add spendable points; debt, if any, is paid first."""
        paid = min(self.state.debt, points)
        return self.entry(tx, kind, points, at=at, expires_at=expires_at, debt=paid, **fields)

    def debit(
        self,
        tx: Tx,
        kind: EntryKind,
        points: int,
        *,
        at: pendulum.DateTime,
        prefer: Collection[str] = (),
        cover: int | None = None,
        **fields: object,
    ) -> LedgerEntry:
        """Take ``points`` from lots, soonest expiry first; the shortfall becomes debt.

        With ``cover``, lots give at most that many (the rest is debt): an
        order whose points are gone leaves what other holds reserve alone.
        """
        covered = points if cover is None else min(points, max(cover, 0))
        book_lots.load_spendable(self, tx, covered, at)
        allocations, shortfall = self.state.take(covered, at, prefer=prefer)
        shortfall += points - covered
        return self.entry(
            tx,
            kind,
            -points,
            at=at,
            allocations=tuple(allocations),
            debt=shortfall,
            **fields,
        )

    def settle(
        self, tx: Tx, as_of: pendulum.DateTime, program: LoyaltyProgram | None
    ) -> tuple[int, int]:
        """Activate pending points and expire lots due at ``as_of``.

        Returns:
            Points activated and points expired.
        """
        book_lots.load_due(self, tx, as_of)
        return settle(self, tx, as_of, program)
