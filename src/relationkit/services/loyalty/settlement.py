"""Settlement and audit: ``process_due`` and ``verify`` over every account, in pages."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import attrs

from relationkit._runtime import Runner
from relationkit._tx import Tx
from relationkit.services.loyalty.book import Book
from relationkit.services.loyalty.checks import verify_book
from relationkit.services.loyalty.ledgers import Ledgers
from relationkit.services.loyalty.tiers import Tiers
from relationkit.storage.fallback import queries

__all__ = ["DueResult", "Settlement", "VerifyReport"]

_PAGE = 200


@attrs.frozen(kw_only=True)
class DueResult:
    """What :meth:`LoyaltyService.process_due` did."""

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
class VerifyReport:
    """The outcome of :meth:`LoyaltyService.verify`."""

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
            self._ledgers.save(tx, [book])
            changed = self._tiers.rate(tx, book)
            if got or lost or changed:
                accounts += 1
            activated += got
            expired += lost
            changes += int(changed)
        return DueResult(
            accounts=accounts, activated=activated, expired=expired, tier_changes=changes
        )

    def verify_one(self, tx: Tx, account_id: str) -> list[str]:
        """Return the broken invariants of one account's ledger."""
        book = Book.load(account_id, tx.uow.ledger.for_account(account_id), self._ledgers.timezone)
        return verify_book(book, self._ledgers.program)

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
            found += self._run.read(functools.partial(self._check_page, account_ids=page))
            count += len(page)

    def _check_page(self, tx: Tx, *, account_ids: Sequence[str]) -> list[str]:
        books = queries(tx.uow).ledgers(account_ids)
        zone = self._ledgers.timezone
        found: list[str] = []
        for account_id in account_ids:
            found += verify_book(
                Book.load(account_id, books[account_id], zone), self._ledgers.program
            )
        return found


def _ledger_page(tx: Tx, *, after: str | None) -> list[str]:
    return queries(tx.uow).ledger_account_ids(after=after, limit=_PAGE)
