"""The equivalence machine's two kits, run in lockstep (not public).

:class:`LockstepMachine` holds the reference kit and the candidate kit, the
events each dispatched, and the ids the committed events announced; its
:meth:`~LockstepMachine.both` runs one operation on both and compares. The
rules and the invariant are mixins over it, in the modules next to this one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine

import relationkit as rk
from relationkit.errors import RelationKitError
from relationkit.events import CustomerCreated, Event, PurchaseRecorded
from relationkit.storage.ports import Storage
from relationkit.testing.machines._equivalence_draws import (
    MAYBE_NAIVE_WHEN,
    ORDER_IDS,
    STAGES,
    T0,
    TOTALS,
    WHEN,
    lines,
    mostly,
)

__all__ = ["CountingIds", "LockstepMachine", "Outcome", "Rollback", "attempt"]


class CountingIds:
    """An :class:`~relationkit.IdGenerator` numbering ids 1, 2, 3, ... across prefixes.

    Two kits that perform the same operations in the same order get the same
    ids, whatever their backends. The numbers are zero-padded to the length of
    a ULID, so ids still sort by creation.
    """

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def new(self, prefix: str) -> str:
        """Return ``f"{prefix}_{n:026d}"`` for the next ``n``."""
        with self._lock:
            self._last += 1
            return f"{prefix}_{self._last:026d}"


class Rollback(Exception):
    """Raised inside a transaction block to roll it back."""


Outcome = tuple[str, object]
"""``("ok", value)`` or ``("raised", "ErrorType: message")``."""


def attempt(operation: Callable[[], object], *, strict: bool) -> Outcome:
    """Run ``operation``; return its value or a description of its error.

    With ``strict`` (the reference backend), errors other than relationkit's
    own and the rule's deliberate rollbacks are bugs and propagate.
    """
    try:
        return ("ok", operation())
    except (RelationKitError, Rollback) as exc:
        return ("raised", f"{type(exc).__name__}: {exc}")
    except Exception as exc:
        if strict:
            raise
        return ("raised", f"{type(exc).__name__}: {exc}")


class LockstepMachine(RuleBasedStateMachine):
    """The reference kit and the candidate kit, driven in lockstep.

    A subclass says where the stores come from
    (:meth:`new_reference_store`, :meth:`new_candidate_store`) and how the
    candidate's is released (:meth:`dispose_candidate`).
    """

    def __init__(self) -> None:
        super().__init__()
        self.clock = rk.FrozenClock(T0)
        self.stores: list[Storage] = []
        self.kits: list[rk.RelationKit] = []
        self.seen: list[list[Event]] = []
        for make in (self.new_reference_store, self.new_candidate_store):
            store = make()
            self.stores.append(store)
            # No retries: nothing runs concurrently here, and a retried
            # duplicate would only slow the run down.
            kit = rk.RelationKit(
                store, clock=self.clock, ids=CountingIds(), retries=0, owns_storage=False
            )
            events: list[Event] = []
            kit.hooks.on(Event, events.append)
            self.kits.append(kit)
            self.seen.append(events)
        self.customer_ids: list[str] = []
        self.order_ids: list[str] = []
        self.account_ids: list[str] = []

    # -- stores -------------------------------------------------------------

    def new_reference_store(self) -> Storage:
        """Return a fresh reference store (called once per example)."""
        raise NotImplementedError

    def new_candidate_store(self) -> Storage:
        """Return a fresh store of the backend under test (called once per example)."""
        raise NotImplementedError

    def dispose_candidate(self, store: Storage) -> None:
        """Release the candidate's store after it is closed (default: nothing more)."""

    def teardown(self) -> None:
        for kit in self.kits:
            kit.close()
        for store in self.stores:
            store.close()
        if len(self.stores) == 2:
            self.dispose_candidate(self.stores[1])

    # -- lockstep -----------------------------------------------------------

    def both(self, label: str, operation: Callable[[rk.RelationKit], object]) -> None:
        """Run ``operation`` on both kits; their outcomes and events must match."""
        reference, candidate = self.kits
        expected = attempt(lambda: operation(reference), strict=True)
        actual = attempt(lambda: operation(candidate), strict=False)
        # Shown by --hypothesis-show-statistics: how often each rule succeeds.
        event(f"{label}: {'ok' if expected[0] == 'ok' else str(expected[1]).split(':')[0]}")
        assert expected == actual, (
            f"results differ:\n  reference: {expected}\n  candidate: {actual}"
        )
        expected_events, actual_events = self.seen
        assert expected_events == actual_events, (
            f"events differ:\n  reference: {expected_events}\n  candidate: {actual_events}"
        )
        self._learn(expected_events)
        for events in self.seen:
            events.clear()

    def _learn(self, events: Sequence[Event]) -> None:
        """Remember the customers, accounts and orders that committed events announce."""
        for e in events:
            self._remember(self.account_ids, e.aggregate_id)
            if isinstance(e, CustomerCreated):
                self._remember(self.customer_ids, e.customer_id)
            elif isinstance(e, PurchaseRecorded):
                self._remember(self.order_ids, e.order_id)

    @staticmethod
    def _remember(known: list[str], value: str) -> None:
        if value not in known:
            known.append(value)

    # -- draws that depend on the state -------------------------------------

    def pick_ref(
        self, data: st.DataObject, *, customers_only: bool = False, known: bool = False
    ) -> str:
        """Draw a known customer or account id; now and then an unknown one.

        With ``known``, never an unknown id (the caller checked there is one).
        """
        choices = list(self.customer_ids)
        if not customers_only:
            choices += self.account_ids
        unknown = st.sampled_from(("cus_unknown", "acc_unknown"))
        if not choices:
            return data.draw(unknown, label="ref")
        if known:
            return data.draw(st.sampled_from(choices), label="ref")
        return str(data.draw(mostly(st.sampled_from(choices), unknown), label="ref"))

    def draw_stage(self, data: st.DataObject, ref: str) -> str:
        """Draw a stage the graph allows from ``ref``'s current one, mostly; else any."""
        try:
            allowed = rk.DEFAULT_STAGE_GRAPH.next_stages(self.kits[0].lifecycle.stage(ref))
        except RelationKitError:
            allowed = []
        anywhere = st.sampled_from(STAGES)
        return str(
            data.draw(
                mostly(st.sampled_from(allowed), anywhere) if allowed else anywhere,
                label="stage",
            )
        )

    def draw_purchase(self, data: st.DataObject, *, valid: bool = False) -> dict[str, Any]:
        """Draw record()'s keywords: a small pool of order ids, so replays happen.

        Now and then the customer is unknown, the date naive or the lines in
        another currency; with ``valid``, never.
        """
        total = data.draw(TOTALS, label="total")
        currency = (
            total.currency
            if valid
            else data.draw(mostly(st.just(total.currency), st.just("EUR")), label="lines currency")
        )
        return {
            "order_id": data.draw(st.sampled_from(ORDER_IDS), label="order_id"),
            "customer_id": self.pick_ref(data, customers_only=True, known=valid),
            "occurred_at": data.draw(WHEN if valid else MAYBE_NAIVE_WHEN, label="when"),
            "total": total,
            "lines": data.draw(lines(currency), label="lines"),
        }
