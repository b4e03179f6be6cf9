"""Purchases: recorded once per order id, refunded once per refund id."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, overload

import pendulum

from relationkit import _validate as v
from relationkit._runtime import Runner
from relationkit.domain.parked import ParkedRefund
from relationkit.domain.purchases import LineItem, Purchase, PurchaseRules, Refund
from relationkit.money import Money
from relationkit.services._drafts import draft, person_fields
from relationkit.services._imports import BulkResult, import_rows
from relationkit.services._paging import walk
from relationkit.services._people import People
from relationkit.services._purchase_reads import PurchaseReads
from relationkit.services._reactions import Reactions
from relationkit.services._recording import OrderRecorder
from relationkit.services._refunding import Refunds
from relationkit.storage.ports import SpendRow

__all__ = ["BulkResult", "PurchasesService"]


class PurchasesService:
    """``kit.purchases``: orders and refunds, idempotent for webhook retries.

    New purchases and refunds are published to the kit's reactions in the
    transaction that stores them: lifecycle moves the account on, loyalty
    earns and takes back points.
    """

    def __init__(
        self,
        runner: Runner,
        people: People,
        reactions: Reactions,
        *,
        rules: PurchaseRules | None = None,
    ) -> None:
        self._run = runner
        self._rules = rules or PurchaseRules()
        self._recorder = OrderRecorder(people, reactions, self._rules)
        self._refunds = Refunds(runner, reactions.publish)
        self._reads = PurchaseReads(runner)

    @property
    def rules(self) -> PurchaseRules:
        """The date rules orders are checked against."""
        return self._rules

    def __repr__(self) -> str:
        return "<PurchasesService>"

    def record(
        self,
        *,
        order_id: str,
        customer_id: str | None = None,
        occurred_at: pendulum.DateTime,
        total: Money,
        lines: Sequence[LineItem] = (),
        points_used: int = 0,
        customer_external_id: str | None = None,
        email: str | None = None,
        name: str | None = None,
        customer_updated_at: pendulum.DateTime | None = None,
        hold_id: str | None = None,
    ) -> Purchase:
        """Record an order once; replays with the same payload change nothing.

        A new purchase moves the account forward in its lifecycle (a lead
        becomes a customer) and earns loyalty points when a program is
        configured, in the same transaction.

        The buyer is named by ``customer_id``, or by the shop's
        ``customer_external_id`` (with an optional ``email`` and ``name``),
        or by ``email`` alone for a guest checkout: the customer is found or
        created in the order's transaction, race-free (two webhooks of one
        new guest give one customer). A guest who later registers (an order
        or an upsert with their email and an external id) is the same
        customer. The email and name refresh an existing customer unless
        they are older than what the customer holds: the order's data is
        taken as of ``customer_updated_at``, else of ``occurred_at``.

        Args:
            order_id: the host's order id; the idempotency key.
            customer_id: who bought (or use ``customer_external_id``/``email``).
            occurred_at: when the order was placed (aware); within the kit's
                :class:`~relationkit.PurchaseRules` window around the clock.
            total: what was charged (may differ from the lines' sum: shipping,
                tax, discounts).
            lines: the items, in the total's currency.
            points_used: loyalty points spent to pay for the order; they are
                redeemed with the purchase.
            customer_external_id: the shop's id of the buyer.
            email: the buyer's email (alone: a guest).
            name: the buyer's name.
            customer_updated_at: when the buyer's data was last changed at
                the source (default: ``occurred_at``).
            hold_id: the hold (``kit.loyalty.hold``) the order captures; its
                points pay for the order (``points_used`` defaults to them).
                A lapsed or released hold pays with what is available; points
                that are gone follow the program's ``checkout_shortfall``.

        Returns:
            The stored purchase (the first one, on a replay).

        Raises:
            ValidationError: on malformed input, or an order dated outside the
                kit's :class:`~relationkit.PurchaseRules` window.
            NotFound: if the customer does not exist.
            Conflict: if the email belongs to a customer of another external id.
            IdempotencyConflict: if the order id was recorded with another
                payload; ``fields`` names what differs.
            InsufficientPoints: if ``points_used`` exceeds the balance.
        """
        person = person_fields(customer_external_id, email, name)
        request = draft(
            order_id=order_id,
            customer_id=customer_id,
            occurred_at=occurred_at,
            total=total,
            lines=lines,
            points_used=points_used,
            person=person,
            stamp=customer_updated_at,
            hold_id=hold_id,
        )
        return self._run.write(lambda tx: self._recorder.record(tx, [request])[0][0][0])

    def record_many(
        self,
        rows: Iterable[Mapping[str, Any]],
        *,
        batch_size: int = 1000,
        on_batch: Callable[[BulkResult], None] | None = None,
    ) -> BulkResult:
        """Record many orders, for backfills and imports; same rules as :meth:`record`.

        Rows are read lazily and written in transactions of ``batch_size``, so
        memory stays flat however many rows there are. Each row is a mapping
        of :meth:`record`'s keywords; ``customer_external_id`` (with optional
        ``email`` and ``name``) may stand for ``customer_id``, creating the
        customer if needed. A replayed batch changes nothing.

        Args:
            rows: the orders.
            batch_size: rows per transaction.
            on_batch: called after each committed batch with its result (for a
                progress bar).

        Raises:
            ValidationError: naming the row (``rows[17].total``). Batches
                before it stay committed; the failing batch writes nothing, and
                running the import again after the fix resumes it.
            IdempotencyConflict: as in :meth:`record`.
            HookError: after every row is in, if event handlers failed
                (policy ``"raise"``); ``err.result`` is the import's
                :class:`BulkResult` and ``err.failures`` the failed calls.
        """
        return import_rows(
            self._run, self._recorder, rows, batch_size=batch_size, on_batch=on_batch
        )

    @overload
    def refund(
        self,
        order_id: str,
        *,
        refund_id: str,
        amount: Money | None = None,
        occurred_at: pendulum.DateTime | None = None,
        reason: str | None = None,
        park_if_unknown: Literal[False] = False,
    ) -> Refund: ...

    @overload
    def refund(
        self,
        order_id: str,
        *,
        refund_id: str,
        amount: Money | None = None,
        occurred_at: pendulum.DateTime | None = None,
        reason: str | None = None,
        park_if_unknown: bool,
    ) -> Refund | ParkedRefund: ...

    def refund(
        self,
        order_id: str,
        *,
        refund_id: str,
        amount: Money | None = None,
        occurred_at: pendulum.DateTime | None = None,
        reason: str | None = None,
        park_if_unknown: bool = False,
    ) -> Refund | ParkedRefund:
        """Refund part or all of a purchase, once per ``refund_id``.

        Loyalty points earned on the order are reversed in proportion, and
        points used to pay for it come back, in the same transaction.

        Args:
            order_id: the purchase to refund.
            refund_id: the host's refund id; the idempotency key.
            amount: positive, in the order's currency, at most what is left;
                None refunds everything left (a replay of such a refund
                returns it, whatever was refunded since).
            occurred_at: when (aware); defaults to the kit's clock. A refund
                dated before its order is refused.
            reason: free text, at most 500 characters.
            park_if_unknown: when the order is not recorded yet, park the
                refund (a :class:`~relationkit.ParkedRefund`, returned) and
                apply it when the order is recorded; a retry returns the
                parked refund. See :meth:`parked` and :meth:`discard_parked`.

        Returns:
            The stored refund (the first one, on a replay), or the parked one.

        Raises:
            ValidationError: on a bad amount, more than is left to refund
                (or nothing left, without an amount), or a date before the
                order's.
            NotFound: if the order does not exist.
            IdempotencyConflict: if ``refund_id`` was used with another payload.
        """
        return self._refunds.refund(
            order_id,
            refund_id=refund_id,
            amount=amount,
            occurred_at=occurred_at,
            reason=reason,
            park_if_unknown=park_if_unknown,
        )

    def parked(
        self,
        *,
        limit: int = 100,
        after: ParkedRefund | None = None,
        parked_before: pendulum.DateTime | None = None,
    ) -> builtins.list[ParkedRefund]:
        """Return refunds still waiting for their order, oldest parked first (a page).

        Pass the last of a page as ``after`` for the next; ``parked_before``
        keeps those parked before an instant (the ones whose order may never
        come: ``parked_before=kit.clock.now().subtract(days=30)``).
        """
        return self._refunds.parked(limit=limit, after=after, parked_before=parked_before)

    def discard_parked(self, refund_id: str) -> bool:
        """Forget a parked refund (its order never came); return whether one was parked."""
        return self._refunds.discard_parked(refund_id)

    def get(self, order_id: str) -> Purchase:
        """Return a purchase, with its refunds, by order id.

        Raises:
            NotFound: if there is none.
        """
        return self._reads.get(order_id)

    def history(
        self, ref: str, *, limit: int | None = None, after: Purchase | None = None
    ) -> list[Purchase]:
        """Return an account's purchases (a customer id: their account's), oldest first.

        Args:
            ref: an account or customer id.
            limit: at most this many (None: all).
            after: the last purchase of the previous page; the page starts after it.
        """
        return self._reads.history(ref, limit=limit, after=after)

    def iter_history(self, ref: str, *, page_size: int = 1000) -> Iterator[Purchase]:
        """Yield every purchase of the account, one read transaction per page (for exports)."""
        size = v.positive_int(page_size, "page_size")
        return walk(lambda last: self.history(ref, limit=size, after=last), size)

    def count(self) -> int:
        """Return the number of purchases."""
        return self._reads.count()

    def top_spenders(self, currency: str, *, limit: int = 10) -> list[SpendRow]:
        """Return the accounts with the highest spend net of refunds in ``currency``."""
        return self._reads.top_spenders(currency, limit=limit)

    def list(
        self,
        *,
        customer_id: str | None = None,
        account_id: str | None = None,
        limit: int = 100,
        after: Purchase | None = None,
    ) -> builtins.list[Purchase]:
        """Return a page of one customer's or one account's purchases, oldest first.

        Give exactly one of ``customer_id`` (the purchases that person
        made, whichever account they were in: they follow the person, see
        :meth:`CustomersService.move
        <relationkit.services.customers.CustomersService.move>`) or
        ``account_id`` (every purchase of the account, all its buyers).
        Purchases come with their lines and refunds, by ``occurred_at`` then
        id; the cursor is the last purchase of the previous page (keyset:
        a page costs its size, and purchases recorded meanwhile with a
        later date are not skipped).

        Args:
            customer_id: a customer id.
            account_id: an account id.
            limit: the page size (at most 10,000).
            after: the last purchase of the previous page.

        Raises:
            ValidationError: on neither or both of the ids, or a bad limit.
            NotFound: if the customer or account does not exist.
        """
        return self._reads.page(
            customer_id=customer_id, account_id=account_id, limit=limit, after=after
        )

    def iter_list(
        self,
        *,
        customer_id: str | None = None,
        account_id: str | None = None,
        page_size: int = 1000,
    ) -> Iterator[Purchase]:
        """Yield every purchase :meth:`list` pages through, one read transaction per page.

        For exports: memory holds one page whatever the history.
        """
        size = v.positive_int(page_size, "page_size", maximum=10_000)
        return walk(
            lambda last: self.list(
                customer_id=customer_id, account_id=account_id, limit=size, after=last
            ),
            size,
        )

    def spend(
        self,
        ref: str,
        *,
        start: pendulum.DateTime | None = None,
        end: pendulum.DateTime | None = None,
    ) -> builtins.list[SpendRow]:
        """Return an account's spend net of refunds, one row per currency, in currency order.

        Each row sums the totals of the account's purchases in that
        currency minus every refund of those purchases (a refund counts
        against its order whenever it was made), with the number of
        purchases. The window keeps purchases with ``start <= occurred_at
        < end``. One query on SQL backends; the same answer on memory.

        Args:
            ref: an account id, or a customer id (their account's spend).
            start: count purchases from this instant on (aware; None: all).
            end: count purchases before this instant (aware; None: all).

        Raises:
            ValidationError: on a naive datetime or ``end`` before ``start``.
            NotFound: if the account or customer does not exist.
        """
        return self._reads.spend(ref, start=start, end=end)
