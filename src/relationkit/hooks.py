"""Event hooks: typed handlers run after commit, in registration order."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Literal, TypeVar, overload

import attrs

from relationkit.errors import HookError, ValidationError
from relationkit.events import Event

__all__ = ["ErrorPolicy", "Handler", "HookFailure", "Hooks"]

E = TypeVar("E", bound=Event)
Handler = Callable[[E], None]
"""A hook: a callable taking one event of the type it subscribed to, returning None."""
ErrorPolicy = Literal["raise", "log", "collect"]
"""What a failing handler does (``rk.open(hook_errors=...)``).

``"raise"``: every handler still runs, then
:class:`~relationkit.errors.HookError` (an ``ExceptionGroup``) is raised;
``"log"``: each failure is logged at ERROR on the ``relationkit.hooks``
logger; ``"collect"``: failures are kept in ``kit.hooks.errors`` and
``kit.hooks.failures``. Committed data is never undone.
"""

_log = logging.getLogger("relationkit.hooks")


@attrs.frozen
class HookFailure:
    """One handler call that raised: what to deliver again once the cause is fixed.

    Attributes:
        event: the event the handler was given (already committed).
        handler: the handler that raised.
        error: what it raised.
    """

    event: Event
    handler: Callable[[Event], None]
    error: Exception


class Hooks:
    """The registry of handlers for one kit.

    Handlers run after the transaction that produced an event has committed,
    in the order they were registered; a handler subscribed to a base class
    receives its subclasses. A failing handler never undoes committed data.

    Args:
        error_policy: what to do when handlers fail: ``"raise"`` (default;
            after every handler ran, raise :class:`~relationkit.errors.HookError`),
            ``"log"`` (log each failure at ERROR and carry on) or ``"collect"``
            (keep failures in :attr:`errors` and :attr:`failures` for the
            host to inspect and :meth:`redeliver`).

    A failure never makes the write that produced the event fail: with
    ``"raise"``, the :class:`~relationkit.errors.HookError` carries the
    write's result (``err.result``) and the failed calls (``err.failures``).
    """

    def __init__(self, error_policy: ErrorPolicy = "raise") -> None:
        if error_policy not in ("raise", "log", "collect"):
            raise ValidationError("error_policy", "must be 'raise', 'log' or 'collect'")
        self.error_policy: ErrorPolicy = error_policy
        self.errors: list[Exception] = []
        self.failures: list[HookFailure] = []
        self._handlers: list[tuple[type[Event], Callable[[Event], None]]] = []
        self._lock = threading.Lock()
        self._local = threading.local()
        self._wanted: dict[type[Event], bool] = {}

    @overload
    def on(self, event_type: type[E]) -> Callable[[Handler[E]], Handler[E]]: ...

    @overload
    def on(self, event_type: type[E], handler: Handler[E]) -> Handler[E]: ...

    def on(
        self, event_type: type[E], handler: Handler[E] | None = None
    ) -> Handler[E] | Callable[[Handler[E]], Handler[E]]:
        """Register ``handler`` for ``event_type`` and its subclasses.

        Use as ``kit.hooks.on(PurchaseRecorded, fn)`` or as a decorator
        ``@kit.hooks.on(PurchaseRecorded)``. Returns the handler unchanged.
        """
        if not (isinstance(event_type, type) and issubclass(event_type, Event)):
            raise ValidationError("event_type", "must be an event class from relationkit.events")

        def register(fn: Handler[E]) -> Handler[E]:
            with self._lock:
                self._handlers.append((event_type, fn))  # type: ignore[arg-type]
                self._wanted = {}
            return fn

        if handler is None:
            return register
        return register(handler)

    def off(self, handler: Callable[..., None]) -> None:
        """Unregister every subscription of ``handler``."""
        with self._lock:
            self._handlers = [(t, h) for t, h in self._handlers if h is not handler]
            self._wanted = {}

    def wants(self, event_type: type[Event]) -> bool:
        """Return whether any handler would receive events of ``event_type``."""
        known = self._wanted.get(event_type)
        if known is None:
            known = any(issubclass(event_type, t) for t, _ in self._handlers)
            self._wanted[event_type] = known
        return known

    def dispatch(self, events: Sequence[Event]) -> None:
        """Run the handlers for ``events``, in event order then registration order.

        When a handler itself changes data through the kit, the events that
        change commits are queued behind the ones being delivered, so every
        handler sees events in commit order.

        Raises:
            HookError: with the policy ``"raise"``, after all handlers ran, if
                any of them failed.
        """
        if not events or not self._handlers:
            return
        queue: list[Event] | None = getattr(self._local, "queue", None)
        if queue is not None:
            queue.extend(events)
            return
        queue = self._local.queue = list(events)
        failures: list[HookFailure] = []
        try:
            while queue:
                event = queue.pop(0)
                with self._lock:
                    handlers = [(t, h) for t, h in self._handlers if isinstance(event, t)]
                for _, handler in handlers:
                    self._call(event, handler, failures)
        finally:
            self._local.queue = None
        self._report(failures)

    def redeliver(self, failures: Sequence[HookFailure]) -> None:
        """Call each failed handler again with its event, in order.

        Use it on ``err.failures`` of a :class:`~relationkit.errors.HookError`
        (or on :attr:`failures` under ``"collect"``) once the cause is fixed.
        Failures of this round are reported by the error policy as usual.
        """
        again: list[HookFailure] = []
        for failure in failures:
            self._call(failure.event, failure.handler, again)
        self._report(again)

    def _report(self, failures: list[HookFailure]) -> None:
        if not failures:
            return
        errors = [f.error for f in failures]
        if self.error_policy == "collect":
            self.errors.extend(errors)
            self.failures.extend(failures)
        elif self.error_policy == "raise":
            raise HookError(
                f"{len(failures)} event handler(s) failed after commit", errors, failures
            )

    def _call(
        self, event: Event, handler: Callable[[Event], None], failures: list[HookFailure]
    ) -> None:
        try:
            handler(event)
        except Exception as exc:  # a host handler may raise anything
            failures.append(HookFailure(event, handler, exc))
            if self.error_policy == "log":
                _log.exception(
                    "handler %r failed on %s %s", handler, type(event).__name__, event.event_id
                )
