"""What every service is handed: a context and a transaction runner.

:class:`Context` holds the kit's settings (clock, ids, time zone, stage
graph). :class:`Runner` runs a piece of work in a transaction: it joins the
caller's ``kit.transaction()`` when there is one (a savepoint), and otherwise
owns the transaction: it commits, retries on a busy database or a concurrent
duplicate, then hands the events to the hooks once the store says the work
is durable. There is one nesting path, here.
"""

from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol, TypeVar, runtime_checkable

import attrs

from relationkit._tx import Tx
from relationkit.clock import Clock
from relationkit.domain.lifecycle import StageGraph
from relationkit.errors import DuplicateKey, HookError, StorageError, TransientStorageError
from relationkit.events import Event
from relationkit.hooks import Hooks
from relationkit.ids import IdGenerator
from relationkit.storage.ports.core import Storage, UnitOfWork
from relationkit.storage.ports.queries import Savepoints

__all__ = ["AnalyticsReads", "Context", "Runner"]

T = TypeVar("T")


@runtime_checkable
class AnalyticsReads(Protocol):
    """A store that may serve analytics elsewhere than ordinary reads (a read replica)."""

    def analytics_transaction(self) -> AbstractContextManager[UnitOfWork]:
        """Open a read-only transaction for analytics work."""
        ...


@attrs.frozen(kw_only=True)
class Context:
    """The kit's settings, as the services read them.

    Attributes:
        clock: where time comes from.
        ids: the id generator.
        timezone: the IANA zone for calendar rules.
        stages: the lifecycle stage graph.
    """

    clock: Clock
    ids: IdGenerator
    timezone: str
    stages: StageGraph


class Runner:
    """Runs work in transactions over one store; one per kit, shared by threads."""

    def __init__(self, storage: Storage, ctx: Context, hooks: Hooks, *, retries: int) -> None:
        self.storage = storage
        self._ctx = ctx
        self._hooks = hooks
        self.retries = retries
        self._local = threading.local()
        self.closed = False

    # -- the outermost transaction of this thread ------------------------------------

    def _outer(self) -> Tx | None:
        current: Tx | None = getattr(self._local, "tx", None)
        return current

    def _new_tx(self, uow: object) -> Tx:
        return Tx(
            uow,  # type: ignore[arg-type]
            now=self._ctx.clock.now(),
            ids=self._ctx.ids,
            wants=self._hooks.wants,
        )

    def check_open(self) -> None:
        """Raise StorageError once the kit is closed."""
        if self.closed:
            raise StorageError("this kit is closed")

    @contextmanager
    def _nested(self, tx: Tx) -> Iterator[None]:
        """Run a block inside ``tx``: a savepoint, or all-or-nothing without one."""
        mark = tx.mark()
        uow = tx.uow
        try:
            if isinstance(uow, Savepoints):
                with uow.savepoint():
                    yield
            else:
                yield
        except BaseException:
            tx.restore(mark)
            if not isinstance(uow, Savepoints):
                # The store cannot undo the block alone: the whole transaction goes.
                tx.doomed = True
            raise

    def write(self, work: Callable[[Tx], T]) -> T:
        """Run ``work`` atomically; join the caller's transaction if there is one.

        Raises:
            HookError: handlers failed after the commit; ``.result`` holds
                what ``work`` returned (the data is committed).
        """
        outer = self._outer()
        if outer is not None:
            with self._nested(outer):
                return work(outer)
        result, events = self._run(work)
        try:
            self._dispatch(events)
        except HookError as exc:
            exc.result = result
            raise
        return result

    def read(self, work: Callable[[Tx], T], *, analytics: bool = False) -> T:
        """Run ``work`` in the caller's transaction, or in a read-only one.

        Args:
            work: what to run.
            analytics: ``work`` aggregates over many accounts (scores,
                rankings, KPIs): a store with a read replica
                (:class:`AnalyticsReads`) serves it there even when ordinary
                reads stay on the primary. Inside ``kit.transaction()`` it
                joins the caller's transaction like any read.
        """
        outer = self._outer()
        if outer is not None:
            return work(outer)
        self.check_open()
        storage = self.storage
        opened = (
            storage.analytics_transaction()
            if analytics and isinstance(storage, AnalyticsReads)
            else storage.transaction(write=False)
        )
        with opened as uow:
            return work(self._new_tx(uow))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several writes; nested blocks become savepoints. See ``kit.transaction``."""
        outer = self._outer()
        if outer is not None:
            with self._nested(outer):
                yield
            return
        self.check_open()
        with self.storage.transaction(write=True) as uow:
            tx = self._new_tx(uow)
            self._local.tx = tx
            try:
                yield
                self._finish(tx)
            finally:
                self._local.tx = None
        self._dispatch(tx.events)

    def _finish(self, tx: Tx) -> None:
        if tx.doomed:
            raise StorageError(
                "a failed operation inside this transaction could not be undone on its own "
                "(the store has no savepoints): the whole transaction was rolled back"
            )
        tx.flush()

    def _run(self, work: Callable[[Tx], T]) -> tuple[T, list[Event]]:
        self.check_open()
        attempt = 0
        while True:
            attempt += 1
            try:
                with self.storage.transaction(write=True) as uow:
                    tx = self._new_tx(uow)
                    self._local.tx = tx
                    try:
                        result = work(tx)
                        self._finish(tx)
                    finally:
                        self._local.tx = None
                return result, tx.events
            except (TransientStorageError, DuplicateKey) as exc:
                # A concurrent writer got there first (busy database, deadlock,
                # the same order id inserted a moment ago): the next attempt
                # sees its committed work and decides again.
                if attempt > self.retries:
                    raise StorageError(
                        f"transaction gave up after {attempt} attempts: {exc}"
                    ) from exc
                time.sleep(min(0.2, 0.005 * 2 ** min(attempt, 6)) * random.random())

    def _dispatch(self, events: list[Event]) -> None:
        """Hand events to the hooks once the work that made them is durable."""
        if events:
            self.storage.after_commit(functools.partial(self._hooks.dispatch, events))
