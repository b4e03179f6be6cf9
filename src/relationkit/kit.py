"""RelationKit: the composition root a host application holds, and its services."""

from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TypeVar

import attrs
import pendulum

from relationkit._tx import Tx
from relationkit.clock import Clock, SystemClock
from relationkit.domain.lifecycle import DEFAULT_STAGE_GRAPH, StageGraph
from relationkit.errors import StorageError, ValidationError
from relationkit.events import Event
from relationkit.hooks import ErrorPolicy, Hooks
from relationkit.ids import IdGenerator, UlidGenerator
from relationkit.storage.ports import DuplicateKey, Storage, TransientStorageError

__all__ = ["RelationKit"]

T = TypeVar("T")


class _Outer:
    """The outermost transaction in progress on one thread."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx


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
    ) -> None:
        from relationkit.services.accounts import AccountsService
        from relationkit.services.customers import CustomersService
        from relationkit.services.interactions import InteractionsService
        from relationkit.services.lifecycle import LifecycleService
        from relationkit.services.loyalty import LoyaltyService
        from relationkit.services.purchases import PurchasesService
        from relationkit.services.timeline import build_timeline

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
        self.retries = retries
        self._owns_storage = owns_storage
        self._local = threading.local()
        self._closed = False
        self.customers = CustomersService(self)
        self.accounts = AccountsService(self)
        self.lifecycle = LifecycleService(self)
        self.interactions = InteractionsService(self)
        self.purchases = PurchasesService(self)
        self.loyalty = LoyaltyService(self)
        self._build_timeline = build_timeline

    # -- transactions -------------------------------------------------------

    def _current(self) -> _Outer | None:
        current: _Outer | None = getattr(self._local, "outer", None)
        return current

    def _new_tx(self, uow: object) -> Tx:
        return Tx(
            uow,  # type: ignore[arg-type]
            now=self.clock.now(),
            ids=self.ids,
            wants=self.hooks.wants,
        )

    def _write(self, work: Callable[[Tx], T]) -> T:
        """Run ``work`` atomically; join the caller's transaction if there is one.

        Inside ``kit.transaction()`` the work runs in a savepoint, so a failure
        undoes only its own writes. Outside, the kit owns the transaction: it
        commits, retries on a busy database or a concurrent duplicate, then
        dispatches the events.
        """
        outer = self._current()
        if outer is not None:
            tx = outer.tx
            mark = tx.mark()
            try:
                with tx.uow.savepoint():
                    return work(tx)
            except BaseException:
                tx.restore(mark)
                raise
        result, events = self._run_outer(work)
        self._dispatch(events)
        return result

    def _dispatch(self, events: list[Event]) -> None:
        """Hand events to the hooks once the work that made them is durable."""
        if events:
            self.storage.after_commit(functools.partial(self.hooks.dispatch, events))

    def _run_outer(self, work: Callable[[Tx], T]) -> tuple[T, list[Event]]:
        self._check_open()
        attempt = 0
        while True:
            attempt += 1
            try:
                with self.storage.transaction(write=True) as uow:
                    tx = self._new_tx(uow)
                    self._local.outer = _Outer(tx)
                    try:
                        result = work(tx)
                        tx.flush()
                    finally:
                        self._local.outer = None
                return result, tx.events
            except (TransientStorageError, DuplicateKey) as exc:
                # A concurrent writer got there first (busy database, deadlock,
                # or the same order id inserted a moment ago): the next attempt
                # sees its committed work and decides again.
                if attempt > self.retries:
                    raise StorageError(
                        f"transaction gave up after {attempt} attempts: {exc}"
                    ) from exc
                time.sleep(min(0.2, 0.005 * 2 ** min(attempt, 6)) * random.random())

    def _read(self, work: Callable[[Tx], T]) -> T:
        """Run ``work`` in the caller's transaction, or a read-only one."""
        outer = self._current()
        if outer is not None:
            return work(outer.tx)
        self._check_open()
        with self.storage.transaction(write=False) as uow:
            return work(self._new_tx(uow))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several operations into one atomic change.

        Hooks fire once, after the outermost block commits; nothing fires if
        it rolls back. Nested blocks become savepoints.

        Example:
            >>> with kit.transaction():  # doctest: +SKIP
            ...     kit.purchases.record(...)
            ...     kit.loyalty.redeem(...)
        """
        outer = self._current()
        if outer is not None:
            tx = outer.tx
            mark = tx.mark()
            try:
                with tx.uow.savepoint():
                    yield
            except BaseException:
                tx.restore(mark)
                raise
            return
        self._check_open()
        with self.storage.transaction(write=True) as uow:
            tx = self._new_tx(uow)
            self._local.outer = _Outer(tx)
            try:
                yield
                tx.flush()
            finally:
                self._local.outer = None
        self._dispatch(tx.events)

    # -- whole-account views ------------------------------------------------

    def timeline(self, ref: str) -> list[TimelineEntry]:
        """Return everything that happened to an account, oldest first.

        Args:
            ref: an account id or a customer id (its account's timeline).

        Returns:
            Interactions, purchases, refunds, stage changes and points, merged
            in time order.
        """
        return self._read(lambda tx: self._build_timeline(tx, self.accounts._resolve(tx, ref)))

    # -- lifetime -----------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("this kit is closed")

    def close(self) -> None:
        """Release the storage (when the kit opened it). Idempotent."""
        if not self._closed:
            self._closed = True
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


@attrs.frozen(kw_only=True)
class TimelineEntry:
    """One line of an account's timeline.

    Attributes:
        at: when it happened.
        kind: ``"stage"``, ``"interaction"``, ``"purchase"``, ``"refund"`` or ``"points"``.
        ref: the id of the thing (order id, interaction id, ledger entry id, ...).
        summary: a one-line human description.
        customer_id: the person involved, when known.
    """

    at: pendulum.DateTime
    kind: str
    ref: str
    summary: str
    customer_id: str | None = None
