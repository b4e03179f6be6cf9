"""Purchases: recorded once per order id, refunded once per refund id."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import pendulum

from relationkit import _validate as v
from relationkit._tx import Tx
from relationkit.domain.customers import Customer
from relationkit.domain.purchases import LineItem, Purchase, Refund
from relationkit.errors import IdempotencyConflict, NotFound, ValidationError
from relationkit.events import PurchaseRecorded, PurchaseRefunded
from relationkit.money import Money
from relationkit.services._base import Service
from relationkit.services.customers import _Fields, _fields
from relationkit.storage.ports import SpendRow

__all__ = ["BulkResult", "PurchasesService"]

_KEYS = frozenset(
    {
        "order_id",
        "customer_id",
        "customer_external_id",
        "email",
        "name",
        "occurred_at",
        "total",
        "lines",
        "points_used",
    }
)


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


@attrs.frozen(kw_only=True)
class _Draft:
    """A validated purchase request, before its customer is resolved."""

    order_id: str
    customer_id: str | None
    person: _Fields | None
    occurred_at: pendulum.DateTime
    total: Money
    lines: tuple[LineItem, ...]
    points_used: int

    @property
    def external_id(self) -> str | None:
        """The customer's external id when the row names the customer that way."""
        return self.person.external_id if self.person is not None else None

    def differences(self, stored: Purchase, customer_id: str) -> list[str]:
        """Return the names of the fields where ``stored`` differs from this request."""
        ours: dict[str, object] = {
            "customer_id": customer_id,
            "occurred_at": self.occurred_at,
            "total": self.total,
            "lines": self.lines,
            "points_used": self.points_used,
        }
        return [name for name, value in ours.items() if getattr(stored, name) != value]


def _line(value: object, field: str) -> LineItem:
    if isinstance(value, LineItem):
        return value
    if isinstance(value, Mapping):
        try:
            return LineItem(**value)
        except ValidationError as exc:
            raise ValidationError(f"{field}.{exc.field}", exc.message) from None
        except TypeError:
            raise ValidationError(field, "has unknown or missing keys") from None
    raise ValidationError(field, "must be a LineItem")


def _draft(
    *,
    order_id: object,
    customer_id: object,
    occurred_at: object,
    total: object,
    lines: object,
    points_used: object,
    person: _Fields | None = None,
    prefix: str = "",
) -> _Draft:
    clean_order = v.identifier(order_id, f"{prefix}order_id")
    clean_customer = (
        v.identifier(customer_id, f"{prefix}customer_id") if customer_id is not None else None
    )
    if clean_customer is None and person is None:
        raise ValidationError(f"{prefix}customer_id", "is required")
    when = v.aware_utc(occurred_at, f"{prefix}occurred_at")
    if not isinstance(total, Money):
        raise ValidationError(f"{prefix}total", "must be a Money")
    if total.minor < 0:
        raise ValidationError(f"{prefix}total", "must not be negative")
    if lines is None:
        lines = ()
    if isinstance(lines, str | bytes) or not isinstance(lines, Iterable):
        raise ValidationError(f"{prefix}lines", "must be a sequence of LineItem")
    clean_lines = tuple(_line(item, f"{prefix}lines[{i}]") for i, item in enumerate(lines))
    for i, line in enumerate(clean_lines):
        if line.unit_price.currency != total.currency:
            raise ValidationError(
                f"{prefix}lines[{i}].unit_price",
                f"must be in the order's currency {total.currency}",
            )
    if isinstance(points_used, bool) or not isinstance(points_used, int) or points_used < 0:
        raise ValidationError(f"{prefix}points_used", "must be a non-negative integer")
    return _Draft(
        order_id=clean_order,
        customer_id=clean_customer,
        person=person,
        occurred_at=when,
        total=total,
        lines=clean_lines,
        points_used=points_used,
    )


def _row_draft(row: object, index: int) -> _Draft:
    prefix = f"rows[{index}]."
    if not isinstance(row, Mapping):
        raise ValidationError(f"rows[{index}]", "must be a mapping of record() keywords")
    unknown = set(row) - _KEYS
    if unknown:
        raise ValidationError(f"{prefix}{sorted(unknown)[0]}", "is not a purchase field")
    person = None
    if row.get("customer_external_id") is not None:
        if row.get("customer_id") is not None:
            raise ValidationError(
                f"{prefix}customer_id", "give customer_id or customer_external_id, not both"
            )
        try:
            person = _fields(
                external_id=row["customer_external_id"],
                email=row.get("email"),
                name=row.get("name"),
            )
        except ValidationError as exc:
            field = "customer_external_id" if exc.field == "external_id" else exc.field
            raise ValidationError(f"{prefix}{field}", exc.message) from None
    return _draft(
        order_id=row.get("order_id"),
        customer_id=row.get("customer_id"),
        occurred_at=row.get("occurred_at"),
        total=row.get("total"),
        lines=row.get("lines"),
        points_used=row.get("points_used", 0),
        person=person,
        prefix=prefix,
    )


class PurchasesService(Service):
    """``kit.purchases``: orders and refunds, idempotent for webhook retries."""

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
        draft = _draft(
            order_id=order_id,
            customer_id=customer_id,
            occurred_at=occurred_at,
            total=total,
            lines=lines,
            points_used=points_used,
        )
        return self._kit._write(lambda tx: self._record(tx, [draft])[0][0][0])

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
        """
        size = v.positive_int(batch_size, "batch_size")
        result = BulkResult()
        iterator = iter(rows)
        start = 0
        while True:
            chunk = list(itertools.islice(iterator, size))
            if not chunk:
                return result
            drafts = [_row_draft(row, start + i) for i, row in enumerate(chunk)]
            start += len(chunk)
            batch = self._kit._write(functools.partial(self._record_counted, drafts=drafts))
            result = result + batch
            if on_batch is not None:
                on_batch(batch)

    def _record_counted(self, tx: Tx, drafts: list[_Draft]) -> BulkResult:
        outcome, created = self._record(tx, drafts)
        recorded = sum(1 for _, new in outcome if new)
        return BulkResult(
            recorded=recorded, unchanged=len(outcome) - recorded, customers_created=created
        )

    def _customers(self, tx: Tx, drafts: Sequence[_Draft]) -> tuple[list[Customer], int]:
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
        wanted: dict[str, _Fields] = {}
        for d in drafts:
            if d.person is not None and d.external_id is not None and d.external_id not in found:
                wanted.setdefault(d.external_id, d.person)
        created = self._kit.customers._create_b2c_many(tx, list(wanted.values()))
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
                    customer = self._kit.customers._refresh(tx, customer, d.person)
                    found[d.external_id] = customer
                customers.append(customer)
        return customers, len(created)

    def _record(self, tx: Tx, drafts: Sequence[_Draft]) -> tuple[list[tuple[Purchase, bool]], int]:
        """Record drafts in ``tx``.

        Returns:
            Each stored purchase with whether it is new, and the number of
            customers created on the way.
        """
        customers, created = self._customers(tx, drafts)
        stored = tx.uow.purchases.get_many(sorted({d.order_id for d in drafts}))
        fresh: dict[str, Purchase] = {}
        outcome: list[tuple[Purchase, bool]] = []
        for draft, customer in zip(drafts, customers, strict=True):
            existing = stored.get(draft.order_id) or fresh.get(draft.order_id)
            if existing is not None:
                differing = draft.differences(existing, customer.id)
                if differing:
                    raise IdempotencyConflict(draft.order_id, differing, what="order")
                outcome.append((existing, False))
                continue
            purchase = Purchase(
                id=tx.ids.new("pur"),
                order_id=draft.order_id,
                account_id=customer.account_id,
                customer_id=customer.id,
                occurred_at=draft.occurred_at,
                total=draft.total,
                lines=draft.lines,
                points_used=draft.points_used,
                recorded_at=tx.now,
            )
            fresh[draft.order_id] = purchase
            outcome.append((purchase, True))
        if not fresh:
            return outcome, created
        new = list(fresh.values())
        tx.accounts([p.account_id for p in new])
        tx.uow.purchases.add_many(new)
        lifecycle = self._kit.lifecycle
        changes = []
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
            account = tx.account(purchase.account_id)
            target = lifecycle.graph.after_purchase(account.stage)
            if target is not None:
                changes.append(
                    lifecycle._apply(
                        tx,
                        account,
                        target,
                        purchase.occurred_at,
                        "purchase",
                        automatic=True,
                        store=False,
                    )
                )
        if changes:
            tx.uow.stages.add_many(changes)
        self._kit.loyalty._on_purchases(tx, new)
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

        def work(tx: Tx) -> Refund:
            previous = tx.uow.purchases.get_refund(clean_refund)
            if previous is not None:
                differing = [
                    name
                    for name, value in (("order_id", clean_order), ("amount", amount))
                    if getattr(previous, name) != value
                ]
                if differing:
                    raise IdempotencyConflict(clean_refund, differing, what="refund")
                return previous
            purchase = tx.uow.purchases.get_many([clean_order]).get(clean_order)
            if purchase is None:
                raise NotFound("purchase", clean_order)
            tx.account(purchase.account_id)
            # Read again under the account lock: a concurrent refund may have landed.
            purchase = tx.uow.purchases.get_many([clean_order])[clean_order]
            if amount.currency != purchase.total.currency:
                raise ValidationError(
                    "amount", f"must be in the order's currency {purchase.total.currency}"
                )
            if amount > purchase.refundable:
                raise ValidationError(
                    "amount", f"exceeds what is left to refund on order {clean_order}"
                )
            refund = Refund(
                refund_id=clean_refund,
                order_id=clean_order,
                amount=amount,
                occurred_at=when or tx.now,
                reason=why,
                recorded_at=tx.now,
            )
            tx.uow.purchases.add_refund(refund)
            tx.emit(
                purchase.account_id,
                PurchaseRefunded,
                order_id=clean_order,
                refund_id=clean_refund,
                amount=amount,
            )
            self._kit.loyalty._on_refund(tx, purchase, refund)
            return refund

        return self._kit._write(work)

    def get(self, order_id: str) -> Purchase:
        """Return a purchase, with its refunds, by order id.

        Raises:
            NotFound: if there is none.
        """
        key = v.identifier(order_id, "order_id")
        found = self._kit._read(lambda tx: tx.uow.purchases.get_many([key]))
        if key not in found:
            raise NotFound("purchase", key)
        return found[key]

    def history(self, ref: str) -> list[Purchase]:
        """Return an account's purchases (a customer id: their account's), oldest first."""
        return self._kit._read(
            lambda tx: tx.uow.purchases.for_account(self._kit.accounts._resolve(tx, ref))
        )

    def count(self) -> int:
        """Return the number of purchases."""
        return self._kit._read(lambda tx: tx.uow.purchases.count())

    def top_spenders(self, currency: str, *, limit: int = 10) -> list[SpendRow]:
        """Return the accounts with the highest spend net of refunds in ``currency``."""
        Money.zero(currency)  # validates the code
        count = v.positive_int(limit, "limit")
        return self._kit._read(lambda tx: tx.uow.purchases.spend(currency=currency, limit=count))
