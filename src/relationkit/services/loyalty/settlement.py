"""Settlement and audit: ``process_due`` and ``verify`` over every account, in pages."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import attrs

from relationkit._runtime import Runner
from relationkit._tx import Tx
from relationkit.domain.holds import Hold, holds_of
from relationkit.domain.ledger import LedgerEntry
from relationkit.domain.points import OpenLot, PointsState, derive, open_lots_of
from relationkit.services._checkout import checkout, has_checkout
from relationkit.services.loyalty.book import Book
from relationkit.services.loyalty.checks import verify_book
from relationkit.services.loyalty.ledgers import Ledgers
from relationkit.services.loyalty.tiers import Tiers
from relationkit.storage.fallback import queries

__all__ = ["DueResult", "RebuildReport", "Settlement", "VerifyReport", "drift", "hold_drift"]

_PAGE = 200
_LEDGER_PAGE = 5000


@attrs.frozen(kw_only=True)
class DueResult:
    """What :meth:`LoyaltyService.process_due` did.

    Attributes:
        accounts: accounts that had something due.
        activated: pending points that became spendable.
        expired: points that expired.
        tier_changes: accounts whose tier changed as a result.
    """

    accounts: int = 0
    activated: int = 0
    expired: int = 0
    tier_changes: int = 0

    def __add__(self, other: DueResult) -> DueResult:
        return DueResult(
            accounts=self.accounts + other.accounts,
            activated=self.activated + other.activated,
            expired=self.expired + other.expired,
            tier_changes=self.tier_changes + other.tier_changes,
        )


@attrs.frozen(kw_only=True)
class RebuildReport:
    """What :meth:`LoyaltyService.rebuild` did.

    Attributes:
        accounts: accounts checked.
        repaired: accounts whose stored state differed and was rewritten.
        last: the last account id handled; pass it as ``after`` to resume.
    """

    accounts: int
    repaired: int
    last: str | None


@attrs.frozen(kw_only=True)
class VerifyReport:
    """The outcome of :meth:`LoyaltyService.verify`.

    Attributes:
        accounts: accounts checked.
        problems: one line per broken invariant (empty when all is well).
    """

    accounts: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when no invariant is broken."""
        return not self.problems


class Settlement:
    """Activates, expires and re-rates what is due; checks every ledger."""

    def __init__(self, runner: Runner, ledgers: Ledgers, tiers: Tiers) -> None:
        self._run = runner
        self._ledgers = ledgers
        self._tiers = tiers

    def process_due(self) -> DueResult:
        """See :meth:`LoyaltyService.process_due`."""
        result = DueResult()
        after: str | None = None
        program = self._ledgers.program
        rerate = bool(program and program.tiers)
        every = "accounts" if program and program.tier_basis == "spend" else "ledger"
        while True:
            page = self._run.read(
                functools.partial(self._due_page, after=after, every=every if rerate else None)
            )
            if not page:
                return result
            after = page[-1]
            result = result + self._run.write(
                functools.partial(self._process_page, account_ids=page)
            )

    def _due_page(self, tx: Tx, *, after: str | None, every: str | None) -> list[str]:
        """Return the next accounts process_due looks at.

        With tiers to re-rate that is every account with a ledger (points
        basis) or every account (spend basis: the window rolls for all).
        """
        if every == "accounts":
            return tx.uow.accounts.ids(after=after, limit=_PAGE)
        if every == "ledger":
            return queries(tx.uow).ledger_account_ids(after=after, limit=_PAGE)
        return queries(tx.uow).due_accounts(tx.now, after=after, limit=_PAGE)

    def _process_page(self, tx: Tx, account_ids: Sequence[str]) -> DueResult:
        tx.accounts(account_ids)
        books = self._ledgers.books(tx, account_ids, settle=False)
        accounts = activated = expired = changes = 0
        for book in books.values():
            got, lost = book.settle(tx, tx.now, self._ledgers.program)
            # A lapsed hold's release is work done too, though it moves no points.
            wrote = bool(book.new)
            self._ledgers.save(tx, [book])
            changed = self._tiers.rate(tx, book)
            if wrote or changed:
                accounts += 1
            activated += got
            expired += lost
            changes += int(changed)
        return DueResult(
            accounts=accounts, activated=activated, expired=expired, tier_changes=changes
        )

    def verify_one(self, tx: Tx, account_id: str) -> list[str]:
        """Return the broken invariants of one account's ledger and its stored state."""
        return self._verify_page(tx, [account_id])

    def _verify_page(self, tx: Tx, account_ids: Sequence[str]) -> list[str]:
        """Check a page of accounts: their ledgers one by one, their state in two reads."""
        states = tx.uow.points.get_many(account_ids)
        lots = tx.uow.points.open_lots(account_ids)
        holds = checkout(tx).holds_of(account_ids) if has_checkout(tx) else {}
        found: list[str] = []
        for account_id in account_ids:
            zone = self._ledgers.zone(tx, account_id)
            book = Book.from_entries(account_id, _whole_ledger(tx, account_id), zone)
            found += verify_book(book, self._ledgers.program)
            found += drift(book, states.get(account_id), lots.get(account_id, []))
            if has_checkout(tx):
                found += hold_drift(book, holds.get(account_id, []))
        return found

    def rebuild(self, account_ids: Sequence[str] | None, after: str | None) -> RebuildReport:
        """See :meth:`LoyaltyService.rebuild`."""
        if account_ids is not None:
            repaired = self._run.write(functools.partial(self._rebuild_page, ids=account_ids))
            return RebuildReport(
                accounts=len(account_ids), repaired=repaired, last=max(account_ids, default=None)
            )
        accounts = repaired = 0
        last = after
        while True:
            page = self._run.read(functools.partial(_ledger_page, after=last))
            if not page:
                return RebuildReport(accounts=accounts, repaired=repaired, last=last)
            repaired += self._run.write(functools.partial(self._rebuild_page, ids=page))
            accounts += len(page)
            last = page[-1]

    def _rebuild_page(self, tx: Tx, ids: Sequence[str]) -> int:
        tx.accounts(ids)
        states = tx.uow.points.get_many(ids)
        lots = tx.uow.points.open_lots(ids)
        repaired = 0
        holds = checkout(tx).holds_of(ids) if has_checkout(tx) else {}
        for account_id in ids:
            zone = self._ledgers.zone(tx, account_id)
            book = Book.from_entries(account_id, _whole_ledger(tx, account_id), zone)
            stored_lots = lots.get(account_id, [])
            stored_holds = holds.get(account_id, [])
            if has_checkout(tx) and hold_drift(book, stored_holds):
                derived_holds = holds_of(account_id, book.state)
                keep = {h.id for h in derived_holds}
                checkout(tx).delete_holds([h.id for h in stored_holds if h.id not in keep])
                checkout(tx).put_holds(derived_holds)
                if not drift(book, states.get(account_id), stored_lots):
                    repaired += 1
                    continue
            if not drift(book, states.get(account_id), stored_lots):
                continue
            repaired += 1
            derived_lots = open_lots_of(account_id, book.state)
            keep = {lot.id for lot in derived_lots}
            gone = [lot.id for lot in stored_lots if lot.id not in keep]
            if gone:
                tx.uow.points.close_lots(gone)
            if derived_lots:
                tx.uow.points.put_lots(derived_lots)
            tx.uow.points.put_many([_derived(book)])
        return repaired

    def verify_all(self) -> VerifyReport:
        """Check every account that has a ledger, a page per read transaction."""
        found: list[str] = []
        count = 0
        after: str | None = None
        while True:
            page = self._run.read(functools.partial(_ledger_page, after=after))
            if not page:
                return VerifyReport(accounts=count, problems=tuple(found))
            after = page[-1]
            found += self._run.read(functools.partial(self._verify_page, account_ids=page))
            count += len(page)


def _whole_ledger(tx: Tx, account_id: str) -> list[LedgerEntry]:
    """Read one account's whole ledger, a page at a time (verify and rebuild only)."""
    entries: list[LedgerEntry] = []
    while True:
        after = entries[-1].seq if entries else 0
        page = tx.uow.ledger.for_account(account_id, after_seq=after, limit=_LEDGER_PAGE)
        entries += page
        if len(page) < _LEDGER_PAGE:
            return entries


def _derived(book: Book) -> PointsState:
    return derive(book.account_id, book.state, last_seq=book.next_seq - 1, earned=book.earned)


def drift(book: Book, stored: PointsState | None, lots: Sequence[OpenLot]) -> list[str]:
    """Return where the stored state differs from what the ledger gives, field by field."""
    prefix = f"account {book.account_id}"
    if stored is None:
        if not book.entries:
            return []
        return [f"{prefix}: state: the stored row is missing"]
    expected = _derived(book)
    problems = [
        f"{prefix}: state.{field.name} is {getattr(stored, field.name)!r}, "
        f"the ledger gives {getattr(expected, field.name)!r}"
        for field in attrs.fields(PointsState)
        if getattr(stored, field.name) != getattr(expected, field.name)
    ]
    want = {lot.id: lot for lot in open_lots_of(book.account_id, book.state)}
    have = {lot.id: lot for lot in lots}
    for lot_id in sorted(set(want) | set(have)):
        if lot_id not in have:
            problems.append(f"{prefix}: open lot {lot_id} is missing")
        elif lot_id not in want:
            problems.append(f"{prefix}: open lot {lot_id} is stored but the ledger closed it")
        elif have[lot_id] != want[lot_id]:
            problems.append(
                f"{prefix}: open lot {lot_id} holds {have[lot_id].remaining}, "
                f"the ledger gives {want[lot_id].remaining}"
            )
    return problems


def hold_drift(book: Book, stored: Sequence[Hold]) -> list[str]:
    """Return where the stored holds differ from what the ledger gives, hold by hold."""
    prefix = f"account {book.account_id}"
    want = {h.id: h for h in holds_of(book.account_id, book.state)}
    have = {h.id: h for h in stored}
    problems = []
    for hold_id in sorted(set(want) | set(have)):
        if hold_id not in have:
            problems.append(f"{prefix}: hold {hold_id} is missing")
        elif hold_id not in want:
            problems.append(f"{prefix}: hold {hold_id} is stored but not in the ledger")
        elif have[hold_id] != want[hold_id]:
            problems.append(
                f"{prefix}: hold {hold_id} is {have[hold_id].status.value}, "
                f"the ledger gives {want[hold_id].status.value}"
            )
    return problems


def _ledger_page(tx: Tx, *, after: str | None) -> list[str]:
    return queries(tx.uow).ledger_account_ids(after=after, limit=_PAGE)
