"""Purchases: recorded once per order id, refunded once per refund id."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs
import pendulum

from relationkit import _validate as v
from relationkit._runtime import Runner
from relationkit._tx import Tx
from relationkit.domain.customers import Customer
from relationkit.domain.purchases import LineItem, Purchase, Refund
from relationkit.errors import HookError, IdempotencyConflict, NotFound, ValidationError
from relationkit.events import PurchaseRecorded
from relationkit.money import Money
from relationkit.services._drafts import Draft, draft, row_draft
from relationkit.services._paging import time_page, walk
from relationkit.services._people import Fields, People
from relationkit.services._reactions import PurchasesStored, Reactions
from relationkit.services._refs import resolve
from relationkit.services._refunds import RefundRequest, store_refund
from relationkit.storage.fallback import queries
from relationkit.storage.ports import SpendRow

__all__ = ["BulkResult", "PurchasesService"]


@attrs.frozen(kw_only=True)
class BulkResult:
    """What :meth:`PurchasesService.record_many` did.

    Attributes:
        recorded: purchases stored for the first time.
        unchanged: rows that replayed an order already stored (no effect).
        customers_created: customers created from ``customer_external_id``.
    """

    recorded: int = 0
    unchanged: int = 0
    customers_created: int = 0

    def __add__(self, other: BulkResult) -> BulkResult:
        return BulkResult(
            recorded=self.recorded + other.recorded,
            unchanged=self.unchanged + other.unchanged,
            customers_created=self.customers_created + other.customers_created,
        )


class PurchasesService:
    """``kit.purchases``: orders and refunds, idempotent for webhook retries.

    New purchases and refunds are published to the kit's reactions in the
    transaction that stores them: lifecycle moves the account on, loyalty
    earns and takes back points.
    """

    def __init__(self, runner: Runner, people: People, reactions: Reactions) -> None:
        self._run = runner
        self._people = people
        self._reactions = reactions

    def __repr__(self) -> str:
        return "<PurchasesService>"

    def record(
        self,
        *,
        order_id: str,
        customer_id: str,
        occurred_at: pendulum.DateTime,
        total: Money,
        lines: Sequence[LineItem] = (),
        points_used: int = 0,
    ) -> Purchase:
        """Record an order once; replays with the same payload change nothing.

        A new purchase moves the account forward in its lifecycle (a lead
        becomes a customer) and earns loyalty points when a program is
        configured, in the same transaction.

        Args:
            order_id: the host's order id; the idempotency key.
            customer_id: who bought.
            occurred_at: when the order was placed (aware).
            total: what was charged (may differ from the lines' sum: shipping,
                tax, discounts).
            lines: the items, in the total's currency.
            points_used: loyalty points spent to pay for the order; they are
                redeemed with the purchase.

        Returns:
            The stored purchase (the first one, on a replay).

        Raises:
            ValidationError: on malformed input.
            NotFound: if the customer does not exist.
            IdempotencyConflict: if the order id was recorded with another
                payload; ``fields`` names what differs.
            InsufficientPoints: if ``points_used`` exceeds the balance.
        """
        request = draft(
            order_id=order_id,
            customer_id=customer_id,
            occurred_at=occurred_at,
            total=total,
            lines=lines,
            points_used=points_used,
        )
        return self._run.write(lambda tx: self._record(tx, [request])[0][0][0])

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
        size = v.positive_int(batch_size, "batch_size")
        result = BulkResult()
        failures: list[HookError] = []
        iterator = iter(rows)
        start = 0
        while True:
            chunk = list(itertools.islice(iterator, size))
            if not chunk:
                break
            drafts = [row_draft(row, start + i) for i, row in enumerate(chunk)]
            start += len(chunk)
            try:
                batch = self._run.write(functools.partial(self._record_counted, drafts=drafts))
            except HookError as exc:
                # The batch is committed; its handlers' failures are reported
                # with the import's result once every row is in.
                failures.append(exc)
                batch = exc.result
            result = result + batch
            if on_batch is not None:
                on_batch(batch)
        if failures:
            errors = [e for failure in failures for e in failure.exceptions]
            done = HookError(
                f"{len(errors)} event handler(s) failed during the import",
                errors,
                [f for failure in failures for f in failure.failures],
            )
            done.result = result
            raise done
        return result

    def _record_counted(self, tx: Tx, drafts: list[Draft]) -> BulkResult:
        outcome, created = self._record(tx, drafts)
        recorded = sum(1 for _, new in outcome if new)
        return BulkResult(
            recorded=recorded, unchanged=len(outcome) - recorded, customers_created=created
        )

    def _customers(self, tx: Tx, drafts: Sequence[Draft]) -> tuple[list[Customer], int]:
        """Return each draft's customer, creating external customers as needed.

        Returns:
            The customers, one per draft, and how many were created.
        """
        by_id = tx.uow.customers.get_many(
            sorted({d.customer_id for d in drafts if d.customer_id is not None})
        )
        externals = sorted({d.external_id for d in drafts if d.external_id is not None})
        found: dict[str, Customer] = (
            tx.uow.customers.by_external_ids(externals) if externals else {}
        )
        wanted: dict[str, Fields] = {}
        for d in drafts:
            if d.person is not None and d.external_id is not None and d.external_id not in found:
                wanted.setdefault(d.external_id, d.person)
        created = self._people.create_b2c_many(tx, list(wanted.values()))
        found.update({c.external_id: c for c in created if c.external_id is not None})
        customers = []
        for d in drafts:
            if d.customer_id is not None:
                if d.customer_id not in by_id:
                    raise NotFound("customer", d.customer_id)
                customers.append(by_id[d.customer_id])
            elif d.person is not None and d.external_id is not None:
                customer = found[d.external_id]
                if d.external_id not in wanted:
                    customer = self._people.refresh(tx, customer, d.person)
                    found[d.external_id] = customer
                customers.append(customer)
        return customers, len(created)

    def _record(self, tx: Tx, drafts: Sequence[Draft]) -> tuple[list[tuple[Purchase, bool]], int]:
        """Record drafts in ``tx``.

        Returns:
            Each stored purchase with whether it is new, and the number of
            customers created on the way.
        """
        customers, created = self._customers(tx, drafts)
        stored = tx.uow.purchases.get_many(sorted({d.order_id for d in drafts}))
        fresh: dict[str, Purchase] = {}
        outcome: list[tuple[Purchase, bool]] = []
        for req, customer in zip(drafts, customers, strict=True):
            existing = stored.get(req.order_id) or fresh.get(req.order_id)
            if existing is not None:
                differing = req.differences(existing, customer.id)
                if differing:
                    raise IdempotencyConflict(req.order_id, differing, what="order")
                outcome.append((existing, False))
                continue
            purchase = Purchase(
                id=tx.ids.new("pur"),
                order_id=req.order_id,
                account_id=customer.account_id,
                customer_id=customer.id,
                occurred_at=req.occurred_at,
                total=req.total,
                lines=req.lines,
                points_used=req.points_used,
                recorded_at=tx.now,
            )
            fresh[req.order_id] = purchase
            outcome.append((purchase, True))
        if not fresh:
            return outcome, created
        new = list(fresh.values())
        tx.accounts([p.account_id for p in new])
        tx.uow.purchases.add_many(new)
        for purchase in new:
            tx.emit(
                purchase.account_id,
                PurchaseRecorded,
                order_id=purchase.order_id,
                purchase_id=purchase.id,
                customer_id=purchase.customer_id,
                total=purchase.total,
                purchased_at=purchase.occurred_at,
            )
        self._reactions.publish(tx, PurchasesStored(new))
        return outcome, created

    def refund(
        self,
        order_id: str,
        *,
        refund_id: str,
        amount: Money,
        occurred_at: pendulum.DateTime | None = None,
        reason: str | None = None,
    ) -> Refund:
        """Refund part or all of a purchase, once per ``refund_id``.

        Loyalty points earned on the order are reversed in proportion, and
        points used to pay for it come back, in the same transaction.

        Args:
            order_id: the purchase to refund.
            refund_id: the host's refund id; the idempotency key.
            amount: positive, in the order's currency, at most what is left.
            occurred_at: when (aware); defaults to the kit's clock.
            reason: free text, at most 500 characters.

        Returns:
            The stored refund (the first one, on a replay).

        Raises:
            ValidationError: on a bad amount or more than is left to refund.
            NotFound: if the order does not exist.
            IdempotencyConflict: if ``refund_id`` was used with another payload.
        """
        clean_order = v.identifier(order_id, "order_id")
        clean_refund = v.identifier(refund_id, "refund_id")
        if not isinstance(amount, Money):
            raise ValidationError("amount", "must be a Money")
        if amount.minor <= 0:
            raise ValidationError("amount", "must be positive")
        when = v.aware_utc(occurred_at, "occurred_at") if occurred_at is not None else None
        why = v.optional_text(reason, "reason", max_length=500)

        request = RefundRequest(
            refund_id=clean_refund, order_id=clean_order, amount=amount, at=when, reason=why
        )
        return self._run.write(
            lambda tx: store_refund(tx, request, publish=self._reactions.publish)
        )

    def get(self, order_id: str) -> Purchase:
        """Return a purchase, with its refunds, by order id.

        Raises:
            NotFound: if there is none.
        """
        key = v.identifier(order_id, "order_id")
        found = self._run.read(lambda tx: tx.uow.purchases.get_many([key]))
        if key not in found:
            raise NotFound("purchase", key)
        return found[key]

    def history(
        self, ref: str, *, limit: int | None = None, after: Purchase | None = None
    ) -> list[Purchase]:
        """Return an account's purchases (a customer id: their account's), oldest first.

        Args:
            ref: an account or customer id.
            limit: at most this many (None: all).
            after: the last purchase of the previous page; the page starts after it.
        """
        size, cursor = time_page(limit, after)
        return self._run.read(
            lambda tx: tx.uow.purchases.for_account(resolve(tx, ref), after=cursor, limit=size)
        )

    def iter_history(self, ref: str, *, page_size: int = 1000) -> Iterator[Purchase]:
        """Yield every purchase of the account, one read transaction per page (for exports)."""
        size = v.positive_int(page_size, "page_size")
        return walk(lambda last: self.history(ref, limit=size, after=last), size)

    def count(self) -> int:
        """Return the number of purchases."""
        return self._run.read(lambda tx: queries(tx.uow).count_purchases())

    def top_spenders(self, currency: str, *, limit: int = 10) -> list[SpendRow]:
        """Return the accounts with the highest spend net of refunds in ``currency``."""
        Money.zero(currency)  # validates the code
        count = v.positive_int(limit, "limit")
        return self._run.read(lambda tx: queries(tx.uow).top_spend(currency=currency, limit=count))
