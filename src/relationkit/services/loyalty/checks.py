"""The invariants :meth:`LoyaltyService.verify` checks on one account's ledger."""

from __future__ import annotations

from collections import Counter, defaultdict

from relationkit.domain.ledger import EntryKind, LedgerEntry, LedgerState
from relationkit.domain.loyalty import LoyaltyProgram
from relationkit.services.loyalty.book import Book

__all__ = ["verify_book"]


def verify_book(book: Book, program: LoyaltyProgram | None) -> list[str]:
    """Return every broken invariant of ``book``'s stored entries (empty: all hold)."""
    entries = book.entries
    prefix = f"account {book.account_id}"
    problems = [f"{prefix}: {p}" for p in _replay_checks(entries)]
    problems += [f"{prefix}: {p}" for p in _order_checks(entries)]
    problems += [f"{prefix}: {p}" for p in _key_checks(entries)]
    problems += [f"{prefix}: {p}" for p in _seq_checks(entries)]
    if program is not None and program.negative_balance == "write_off" and book.state.debt:
        problems.append(f"{prefix}: {book.state.debt} points of debt under the write_off policy")
    if any(e.account_id != book.account_id for e in entries):
        problems.append(f"{prefix}: holds an entry of another account")
    return problems


def _seq_checks(entries: list[LedgerEntry]) -> list[str]:
    """The entries are numbered 1, 2, 3, ... with no gap and no repeat."""
    seqs = [e.seq for e in entries]
    if seqs != list(range(1, len(seqs) + 1)):
        return [f"ledger sequence is not 1..{len(seqs)} without gaps"]
    return []


def _replay_checks(entries: list[LedgerEntry]) -> list[str]:
    """Fold the entries one by one, checking each debit against the state before it."""
    state = LedgerState()
    problems: list[str] = []
    for entry in entries:
        redeem = entry.kind is EntryKind.REDEEM
        if redeem or (entry.kind is EntryKind.ADJUST and entry.points < 0):
            # An order's shortfall (checkout_shortfall="debt") is debt from the
            # start: the lots give only what was free.
            wanted = -entry.points - (entry.debt if redeem else 0)
            expected, shortfall = state.take(wanted, entry.at)
            owed = 0 if redeem else entry.debt
            if list(entry.allocations) != expected or owed != shortfall:
                problems.append(f"{entry.id}: did not take the soonest-expiring lots first")
            if redeem and entry.debt and not (entry.source or "").startswith("order:"):
                problems.append(f"{entry.id}: a redemption spent points the account did not have")
        if entry.kind is EntryKind.RELEASE and entry.reason == "expired":
            held = state.holds.get(entry.lot_id or "")
            if held is not None and held.expires_at > entry.at:
                problems.append(f"{entry.id}: expires hold {held.id} before its expiry")
        if entry.kind is EntryKind.EXPIRE:
            lot = state.lots.get(entry.lot_id or "")
            if lot is None:
                problems.append(f"{entry.id}: expires an unknown lot")
            else:
                if lot.expires_at is None or lot.expires_at > entry.at:
                    problems.append(f"{entry.id}: expires lot {lot.id} before its expiry")
                if -entry.points != lot.remaining:
                    problems.append(f"{entry.id}: expired {-entry.points} of {lot.remaining} left")
        state.apply(entry)
    problems += state.problems
    return problems


def _order_checks(entries: list[LedgerEntry]) -> list[str]:
    """Refunds never take back more than an order earned nor return more than paid it."""
    awarded: defaultdict[str, int] = defaultdict(int)
    taken: defaultdict[str, int] = defaultdict(int)
    used: defaultdict[str, int] = defaultdict(int)
    returned: defaultdict[str, int] = defaultdict(int)
    for e in entries:
        if not (e.source or "").startswith("order:"):
            continue
        source = e.source or ""
        if e.kind in (EntryKind.EARN, EntryKind.PENDING):
            awarded[source] += e.points
        elif e.kind in (EntryKind.VOID, EntryKind.REVERSE) and e.points < 0:
            taken[source] -= e.points
        elif e.kind is EntryKind.REDEEM:
            used[source] -= e.points
        elif e.kind is EntryKind.REVERSE and e.points > 0:
            returned[source] += e.points
    problems = [
        f"{source}: {taken[source]} points taken back, only {awarded[source]} earned"
        for source in taken
        if taken[source] > awarded[source]
    ]
    problems += [
        f"{source}: {returned[source]} points given back, only {used[source]} paid"
        for source in returned
        if returned[source] > used[source]
    ]
    # An order earns once per reason: its purchase points, and on a first
    # order that was referred, one referral bonus.
    earn_entries = Counter(
        (e.source, e.reason)
        for e in entries
        if e.kind in (EntryKind.EARN, EntryKind.PENDING) and (e.source or "").startswith("order:")
    )
    problems += [
        f"{source}: earned {n} times ({reason})"
        for (source, reason), n in earn_entries.items()
        if n > 1
    ]
    return problems


def _key_checks(entries: list[LedgerEntry]) -> list[str]:
    """An idempotency key stands for one entry."""
    keys = Counter(e.idempotency_key for e in entries if e.idempotency_key is not None)
    return [f"idempotency key {key!r} used by {n} entries" for key, n in keys.items() if n > 1]
