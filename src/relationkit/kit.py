"""RelationKit: the composition root a host application holds.

It builds the context, the transaction runner and the services, wires the
services' in-transaction reactions, and owns nothing else: every operation
lives in a service, every transaction rule in :mod:`relationkit._runtime`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

import pendulum

from relationkit import _validate as v
from relationkit._runtime import Context, Runner
from relationkit.clock import Clock, SystemClock
from relationkit.domain.lifecycle import DEFAULT_STAGE_GRAPH, StageGraph
from relationkit.domain.purchases import PurchaseRules
from relationkit.domain.timeline import TimelineEntry
from relationkit.errors import ValidationError
from relationkit.hooks import ErrorPolicy, Hooks
from relationkit.ids import IdGenerator, UlidGenerator
from relationkit.services._paging import walk
from relationkit.services._people import People
from relationkit.services._reactions import Reactions
from relationkit.services._refs import resolve
from relationkit.services.accounts import AccountsService
from relationkit.services.customers import CustomersService
from relationkit.services.interactions import InteractionsService
from relationkit.services.lifecycle import LifecycleService
from relationkit.services.loyalty import LoyaltyService
from relationkit.services.purchases import PurchasesService
from relationkit.services.scores import ScoresService
from relationkit.services.timeline import timeline_page
from relationkit.storage.ports import Storage

__all__ = ["RelationKit"]


class RelationKit:
    """One workspace of customers, accounts, purchases and loyalty over a store.

    Build it with :func:`relationkit.open`. The services hang off it:
    ``kit.customers``, ``kit.accounts``, ``kit.lifecycle``,
    ``kit.interactions``, ``kit.purchases``, ``kit.loyalty``; ``kit.hooks``
    takes event handlers. A kit is safe to share between threads.

    Args:
        storage: the backend.
        clock: where time comes from (``SystemClock()`` by default).
        ids: the id generator (monotonic ULIDs timed by ``clock`` by default).
        timezone: the IANA zone for calendar rules (end-of-month expiry, KPI
            periods); data is stored in UTC whatever this is.
        stages: the lifecycle stage graph.
        hook_errors: the hooks' error policy (``"raise"``, ``"log"``, ``"collect"``).
        retries: how many times a transaction that hit a busy database, a
            deadlock or a concurrent duplicate is tried again before
            :class:`~relationkit.errors.StorageError` is raised.
        owns_storage: close the storage in :meth:`close`.
        max_attribute_bytes: the cap on a customer's or an account's
            attributes, in bytes of compact UTF-8 JSON (16 KiB by default).
        purchase_rules: how far from the clock orders may be dated
            (:class:`~relationkit.PurchaseRules`; default: no bound).
    """

    def __init__(
        self,
        storage: Storage,
        *,
        clock: Clock | None = None,
        ids: IdGenerator | None = None,
        timezone: str = "UTC",
        stages: StageGraph | None = None,
        hook_errors: ErrorPolicy = "raise",
        retries: int = 10,
        owns_storage: bool = True,
        max_attribute_bytes: int = 16_384,
        purchase_rules: PurchaseRules | None = None,
    ) -> None:
        try:
            pendulum.timezone(timezone)
        except Exception:
            raise ValidationError("timezone", "must be an IANA time zone name") from None
        self.storage = storage
        self.clock: Clock = clock or SystemClock()
        self.ids: IdGenerator = ids or UlidGenerator(self.clock)
        self.timezone = timezone
        self.stages = stages or DEFAULT_STAGE_GRAPH
        self.hooks = Hooks(hook_errors)
        self._owns_storage = owns_storage
        ctx = Context(clock=self.clock, ids=self.ids, timezone=timezone, stages=self.stages)
        self._runner = runner = Runner(storage, ctx, self.hooks, retries=retries)
        reactions = Reactions()
        cap = v.positive_int(max_attribute_bytes, "max_attribute_bytes")
        people = People(ctx, max_attribute_bytes=cap)
        self.customers = CustomersService(runner, people)
        self.accounts = AccountsService(runner, ctx, max_attribute_bytes=cap)
        # Reactions run in this order: the stage moves, then the points.
        self.lifecycle = LifecycleService(runner, ctx, reactions)
        self.loyalty = LoyaltyService(runner, ctx, reactions)
        self.interactions = InteractionsService(runner, ctx)
        self.purchases = PurchasesService(runner, people, reactions, rules=purchase_rules)
        self.scores = ScoresService(runner, ctx)

    @property
    def retries(self) -> int:
        """How often a transaction that met a busy store or a duplicate is retried."""
        return self._runner.retries

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several operations into one atomic change.

        Hooks fire once, after the outermost block commits; nothing fires if
        it rolls back. Nested blocks become savepoints (on a store without
        savepoints, a failure inside a nested block rolls back the whole
        transaction, and its end raises ``StorageError``).

        Example:
            >>> with kit.transaction():  # doctest: +SKIP
            ...     kit.purchases.record(...)
            ...     kit.loyalty.redeem(...)
        """
        with self._runner.transaction():
            yield

    def timeline(
        self, ref: str, *, limit: int | None = None, after: TimelineEntry | None = None
    ) -> list[TimelineEntry]:
        """Return what happened to an account, oldest first, a page at a time.

        Lines of one instant come stage changes first, then interactions,
        purchases, refunds and points. A page costs its size: each source is
        read from an index, from ``after``'s instant on.

        Args:
            ref: an account id or a customer id (its account's timeline).
            limit: at most this many lines (None: all of them, read a page of
                1,000 at a time; :meth:`iter_timeline` streams them instead).
            after: the last line of the previous page; the page starts after it.

        Returns:
            Interactions, purchases, refunds, stage changes and points, merged
            in time order.
        """
        if limit is None:
            return list(self.iter_timeline(ref, after=after))
        size = v.positive_int(limit, "limit")
        return self._runner.read(
            lambda tx: timeline_page(tx, resolve(tx, ref), limit=size, after=after)
        )

    def iter_timeline(
        self, ref: str, *, page_size: int = 1000, after: TimelineEntry | None = None
    ) -> Iterator[TimelineEntry]:
        """Yield an account's whole timeline, one read transaction per page (for exports)."""
        size = v.positive_int(page_size, "page_size")
        first = after
        return walk(lambda last: self.timeline(ref, limit=size, after=last or first), size)

    def close(self) -> None:
        """Release the storage (when the kit opened it). Idempotent."""
        if not self._runner.closed:
            self._runner.closed = True
            if self._owns_storage:
                self.storage.close()

    def __enter__(self) -> RelationKit:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RelationKit(storage={self.storage!r}, clock={self.clock!r})"
