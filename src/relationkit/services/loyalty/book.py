"""One account's ledger inside a transaction: folded state plus entries to append.

The loyalty service works on a :class:`Book` per account: it loads the
entries once, folds them into a :class:`~relationkit.domain.ledger.LedgerState`
in ``seq`` order, and every new entry is numbered with the next ``seq``
(the account is locked), applied to the state and queued for one bulk
insert, with its event numbered on the account. A new entry that the state
cannot take (a debit of an unknown lot, a lot consumed past zero) is refused
before anything is written.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import ROUND_HALF_EVEN, Decimal

import attrs
import pendulum

from relationkit._tx import Tx
from relationkit.domain.ledger import EntryKind, LedgerEntry, LedgerState
from relationkit.domain.loyalty import LoyaltyProgram
from relationkit.domain.points import (
    LotKey,
    OpenLot,
    PointsState,
    derive,
    lot_key,
    open_lots_of,
    state_of,
)
from relationkit.errors import StorageError
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
        )

    # -- reading lots as the work needs them ------------------------------------

    def _adopt(self, lots: Sequence[OpenLot]) -> None:
        """Add lots read from the store, unless this book already holds them."""
        for lot in lots:
            if lot.id in self.loaded_lots or lot.id in self.state.lots:
                continue
            if lot.id in self.state.pending:
                continue
            loaded = state_of([lot], 0)
            self.state.lots.update(loaded.lots)
            self.state.pending.update(loaded.pending)
            self.loaded_lots[lot.id] = lot.remaining

    def load_lots(self, tx: Tx, lot_ids: Sequence[str]) -> None:
        """Read these lots (an order's own, for a refund) if they are still open."""
        if not self.partial:
            return
        wanted = [i for i in lot_ids if i not in self.loaded_lots]
        if wanted:
            self._adopt(list(tx.uow.points.lots_by_id(wanted).values()))

    def _load_due(self, tx: Tx, as_of: pendulum.DateTime) -> None:
        stored = self.stored
        if not self.partial or stored is None or stored.next_due is None:
            return
        if stored.next_due > as_of or (self.due_loaded is not None and self.due_loaded >= as_of):
            return
        self._adopt(tx.uow.points.due_lots(self.account_id, as_of))
        self.due_loaded = as_of

    def _load_spendable(self, tx: Tx, points: int, as_of: pendulum.DateTime) -> None:
        """Read lots in consumption order until those held cover ``points``.

        A lot this transaction opened may sort after lots not read yet; so
        reading goes on until the lots needed all sort before the last key read.
        """
        if not self.partial:
            return
        page = 16
        while not self.exhausted:
            needed: LotKey | None = None
            left = points
            for lot in self.state.spendable(as_of):
                left -= lot.remaining
                if left <= 0:
                    needed = lot_key(lot)
                    break
            if needed is not None and self.cursor is not None and needed <= self.cursor:
                return
            self._read_page(tx, page)
            page = min(page * 4, 1000)

    def _read_page(self, tx: Tx, size: int) -> None:
        found = tx.uow.points.spendable_lots(self.account_id, after=self.cursor, limit=size)
        self._adopt(found)
        if found:
            self.cursor = lot_key(found[-1])
        if len(found) < size:
            self.exhausted = True

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
        # Lots that expire come first in consumption order: read until past ``until``.
        page = 64
        while not self.exhausted and not (
            self.cursor is not None and (self.cursor[0] or self.cursor[1] > until)
        ):
            self._read_page(tx, page)
            page = min(page * 4, 1000)
        return self.state.expiring(as_of, until)

    def append(self, entry: LedgerEntry) -> LedgerEntry:
        """Apply ``entry`` and queue it for insertion (see :meth:`flush`).

        Raises:
            StorageError: the entry does not fit the stored ledger (it would
                take points from an unknown lot, or more than a lot holds);
                nothing is written.
        """
        known = len(self.state.problems)
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
        kind = entry.kind
        if kind in (EntryKind.PENDING, EntryKind.VOID):
            self.running_pending += entry.points
        else:
            if kind is EntryKind.ACTIVATE:
                self.running_pending -= entry.points
            self.running_balance += entry.points
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
        current = {lot.id: lot for lot in open_lots_of(self.account_id, self.state)}
        put = [
            lot for lot_id, lot in current.items() if self.loaded_lots.get(lot_id) != lot.remaining
        ]
        close = [lot_id for lot_id in self.loaded_lots if lot_id not in current]
        self.lots_closed = self.lots_closed or bool(close)
        self.loaded_lots = {lot_id: lot.remaining for lot_id, lot in current.items()}
        # Closed lots are dropped, so the book never carries what is spent.
        for lot_id in close:
            self.state.lots.pop(lot_id, None)
            self.state.pending.pop(lot_id, None)
        return put, close

    def new_state(self, tx: Tx) -> PointsState | None:
        """Return the state row the book's entries lead to, if it changed (lots written first)."""
        if not self.partial:
            derived = derive(
                self.account_id, self.state, last_seq=self.next_seq - 1, earned=self.earned
            )
        else:
            before = self.stored or PointsState(account_id=self.account_id)
            activation, expiry = before.next_activation, before.next_expiry
            if self.lots_closed:
                activation, expiry = tx.uow.points.lot_bounds(self.account_id)
            else:
                for lot in open_lots_of(self.account_id, self.state):
                    if lot.pending and lot.available_at is not None:
                        activation = _sooner(activation, lot.available_at)
                    elif not lot.pending and lot.expires_at is not None:
                        expiry = _sooner(expiry, lot.expires_at)
            dues = [d for d in (activation, expiry) if d is not None]
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
            )
        self.lots_closed = False
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
        **fields: object,
    ) -> LedgerEntry:
        """Take ``points`` from lots, soonest expiry first; the shortfall becomes debt."""
        self._load_spendable(tx, points, at)
        allocations, shortfall = self.state.take(points, at, prefer=prefer)
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
        self._load_due(tx, as_of)
        return settle(self, tx, as_of, program)


def _sooner(a: pendulum.DateTime | None, b: pendulum.DateTime) -> pendulum.DateTime:
    return b if a is None or b < a else a
