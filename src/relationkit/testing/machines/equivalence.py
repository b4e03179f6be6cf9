"""Backend equivalence: random operation sequences give the same answers on two backends.

:func:`make_backend_equivalence_machine` builds a Hypothesis
``RuleBasedStateMachine`` that runs two kits side by side, one over the
reference backend (memory) and one over the backend under test, with one
:class:`~relationkit.FrozenClock` and a counting id generator each, so both
make the same ids at the same times. Every rule (create customers, B2B
accounts and contacts, move stages, record and replay purchases, refund,
import batches, log interactions, roll transactions back) runs on both kits;
the results or errors, and the events dispatched, must be equal. After each
step, everything the public API shows must be equal too: counts, stage
distribution, top spenders, and every known account's stage, contacts,
history, spans, interactions, purchases and timeline, every known customer
and order, and the look-ups by email and external id.

Example::

    from relationkit.storage.sql import SqlStorage
    from relationkit.testing.machines.equivalence import make_backend_equivalence_machine

    Machine = make_backend_equivalence_machine(lambda: SqlStorage.from_url("sqlite://"))
    TestSqliteMatchesMemory = Machine.TestCase

Needs Hypothesis (``pip install hypothesis``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import pendulum
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import relationkit as rk
from relationkit.errors import RelationKitError
from relationkit.events import CustomerCreated, Event, PurchaseRecorded
from relationkit.storage.ports import Storage
from relationkit.testing import strategies as rks

__all__ = ["CountingIds", "make_backend_equivalence_machine"]

T0 = pendulum.datetime(2026, 1, 5, 9, 0, tz="UTC")

# Small pools, so that replays, conflicts and case-insensitive clashes happen often.
_EMAILS = ("ann@example.com", "Ann@Example.COM", "bob@example.org", "cleo@example.net")
_EXTERNAL_IDS = ("x-1", "X-1", "x-2", "x-3")
_ORDER_IDS = ("1001", "1002", "1003", "commande-é", "1005", "1006", "1007", "1008")
_REFUND_IDS = ("r-1", "r-2", "r-3")
_ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata")
_STAGES = (*rk.DEFAULT_STAGE_GRAPH.stages, "vip")  # "vip" is not a stage: ValidationError
_CURRENCIES = ("EUR", "JPY")


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


class _Rollback(Exception):
    """Raised inside a transaction block to roll it back."""


Outcome = tuple[str, object]
"""``("ok", value)`` or ``("raised", "ErrorType: message")``."""


def _attempt(operation: Callable[[], object], *, strict: bool) -> Outcome:
    """Run ``operation``; return its value or a description of its error.

    With ``strict`` (the reference backend), errors other than relationkit's
    own and the rule's deliberate rollbacks are bugs and propagate.
    """
    try:
        return ("ok", operation())
    except (RelationKitError, _Rollback) as exc:
        return ("raised", f"{type(exc).__name__}: {exc}")
    except Exception as exc:
        if strict:
            raise
        return ("raised", f"{type(exc).__name__}: {exc}")


def _mostly(usual: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Draw from ``usual`` seven times in eight, else from ``rare`` (bad input, unknown ids)."""
    return st.integers(0, 7).flatmap(lambda n: rare if n == 0 else usual)


def _aware(offset_hours: int, zone: str) -> pendulum.DateTime:
    return T0.add(hours=offset_hours).in_timezone(zone)


_WHEN = st.builds(_aware, st.integers(-24 * 400, 24 * 60), st.sampled_from(_ZONES))
_MAYBE_NAIVE_WHEN: st.SearchStrategy[Any] = _mostly(
    _WHEN,
    st.just(pendulum.naive(2026, 1, 2, 12)),  # naive: a ValidationError on both sides
)
_NAMES = st.sampled_from(("Ann", "Bob", "Zoë Łukasz")) | rks.names(max_size=30)
_EMAIL = st.none() | st.sampled_from(_EMAILS)
_EXTERNAL_ID = st.none() | st.sampled_from(_EXTERNAL_IDS)
_TOTALS = st.sampled_from(
    (rk.Money("0.00", "EUR"), rk.Money("9.99", "EUR"), rk.Money("59.90", "EUR"))
) | st.sampled_from(_CURRENCIES).flatmap(lambda code: rks.money(code, max_minor=20_000))
_REFUND_AMOUNTS = st.sampled_from(
    (rk.Money("0.01", "EUR"), rk.Money("5.00", "EUR"), rk.Money("59.90", "EUR"))
) | st.sampled_from(_CURRENCIES).flatmap(lambda code: rks.money(code, min_minor=1, max_minor=9_000))


def _lines(currency: str) -> st.SearchStrategy[list[rk.LineItem]]:
    return st.lists(
        st.builds(
            rk.LineItem,
            sku=st.sampled_from(("SKU-1", "SKU-2")) | rks.identifiers(max_size=20),
            quantity=st.integers(1, 5),
            unit_price=rks.money(currency, max_minor=10_000),
        ),
        max_size=3,
    )


def make_backend_equivalence_machine(
    make_storage: Callable[[], Storage],
    *,
    dispose: Callable[[Storage], None] | None = None,
    make_reference: Callable[[], Storage] = rk.MemoryStorage,
) -> type[RuleBasedStateMachine]:
    """Build a state machine checking that a backend behaves like the reference.

    Args:
        make_storage: returns a fresh, empty store of the backend under test;
            called once per Hypothesis example.
        dispose: called with each store after it is closed (drop its tables,
            delete its file).
        make_reference: returns a fresh reference store (memory by default).

    Returns:
        A ``RuleBasedStateMachine`` subclass; run it through its ``TestCase``
        attribute, with settings of your choice.
    """

    class BackendEquivalence(RuleBasedStateMachine):
        """The reference kit and the candidate kit, driven in lockstep."""

        def __init__(self) -> None:
            super().__init__()
            self.clock = rk.FrozenClock(T0)
            self.stores: list[Storage] = []
            self.kits: list[rk.RelationKit] = []
            self.seen: list[list[Event]] = []
            for make in (make_reference, make_storage):
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

        # -- lockstep ---------------------------------------------------------

        def both(self, label: str, operation: Callable[[rk.RelationKit], object]) -> None:
            """Run ``operation`` on both kits; their outcomes and events must match."""
            reference, candidate = self.kits
            expected = _attempt(lambda: operation(reference), strict=True)
            actual = _attempt(lambda: operation(candidate), strict=False)
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
            return str(data.draw(_mostly(st.sampled_from(choices), unknown), label="ref"))

        # -- people and accounts ---------------------------------------------

        @rule(
            email=_EMAIL,
            name=st.none() | _NAMES,
            external_id=_EXTERNAL_ID,
            attributes=st.none() | rks.attributes(),
        )
        def create_customer(
            self,
            email: str | None,
            name: str | None,
            external_id: str | None,
            attributes: dict[str, Any] | None,
        ) -> None:
            self.both(
                "create_customer",
                lambda kit: kit.customers.create(
                    email=email, name=name, external_id=external_id, attributes=attributes
                ),
            )

        @rule(name=_NAMES)
        def create_company(self, name: str) -> None:
            self.both(
                "create_company",
                lambda kit: kit.accounts.create(name=name, kind=rk.AccountKind.B2B),
            )

        @precondition(lambda self: bool(self.account_ids))
        @rule(
            data=st.data(),
            email=_EMAIL,
            name=_NAMES,
            role=st.none() | st.sampled_from(("buyer", "finance")),
        )
        def add_contact(
            self, data: st.DataObject, email: str | None, name: str, role: str | None
        ) -> None:
            account_id = data.draw(st.sampled_from(self.account_ids), label="account_id")
            self.both(
                "add_contact",
                lambda kit: kit.customers.create(
                    email=email, name=name, account_id=account_id, role=role
                ),
            )

        @rule(
            external_id=st.sampled_from(_EXTERNAL_IDS),
            email=_EMAIL,
            name=st.none() | _NAMES,
        )
        def upsert_customer(self, external_id: str, email: str | None, name: str | None) -> None:
            self.both(
                "upsert_customer",
                lambda kit: kit.customers.upsert(external_id=external_id, email=email, name=name),
            )

        @precondition(lambda self: bool(self.customer_ids))
        @rule(data=st.data(), email=_EMAIL, name=st.none() | _NAMES)
        def update_customer(self, data: st.DataObject, email: str | None, name: str | None) -> None:
            customer_id = self.pick_ref(data, customers_only=True)
            self.both(
                "update_customer",
                lambda kit: kit.customers.update(customer_id, email=email, name=name),
            )

        # -- lifecycle and interactions ---------------------------------------

        def draw_stage(self, data: st.DataObject, ref: str) -> str:
            """Draw a stage the graph allows from ``ref``'s current one, mostly; else any."""
            try:
                allowed = rk.DEFAULT_STAGE_GRAPH.next_stages(self.kits[0].lifecycle.stage(ref))
            except RelationKitError:
                allowed = []
            anywhere = st.sampled_from(_STAGES)
            return str(
                data.draw(
                    _mostly(st.sampled_from(allowed), anywhere) if allowed else anywhere,
                    label="stage",
                )
            )

        @precondition(lambda self: bool(self.account_ids))
        @rule(data=st.data(), reason=st.none() | _NAMES)
        def move_stage(self, data: st.DataObject, reason: str | None) -> None:
            """Move along an edge of the graph, mostly; else anywhere (InvalidTransition)."""
            ref = self.pick_ref(data)
            stage = self.draw_stage(data, ref)
            self.both("move_stage", lambda kit: kit.lifecycle.move(ref, stage, reason=reason))

        @precondition(lambda self: bool(self.account_ids))
        @rule(
            data=st.data(),
            channel=st.sampled_from(rk.Channel),
            direction=st.sampled_from(rk.Direction),
            occurred_at=st.none() | _MAYBE_NAIVE_WHEN,
            subject=st.none() | _NAMES,
        )
        def log_interaction(
            self,
            data: st.DataObject,
            channel: rk.Channel,
            direction: rk.Direction,
            occurred_at: pendulum.DateTime | None,
            subject: str | None,
        ) -> None:
            ref = self.pick_ref(data)
            self.both(
                "log_interaction",
                lambda kit: kit.interactions.log(
                    ref,
                    channel=channel,
                    direction=direction,
                    occurred_at=occurred_at,
                    subject=subject,
                ),
            )

        @rule(minutes=st.integers(1, 60 * 24 * 40))
        def advance_clock(self, minutes: int) -> None:
            self.clock.advance(minutes=minutes)

        # -- purchases ----------------------------------------------------------

        def draw_purchase(self, data: st.DataObject, *, valid: bool = False) -> dict[str, Any]:
            """Draw record()'s keywords: a small pool of order ids, so replays happen.

            Now and then the customer is unknown, the date naive or the lines in
            another currency; with ``valid``, never.
            """
            total = data.draw(_TOTALS, label="total")
            currency = (
                total.currency
                if valid
                else data.draw(
                    _mostly(st.just(total.currency), st.just("EUR")), label="lines currency"
                )
            )
            return {
                "order_id": data.draw(st.sampled_from(_ORDER_IDS), label="order_id"),
                "customer_id": self.pick_ref(data, customers_only=True, known=valid),
                "occurred_at": data.draw(_WHEN if valid else _MAYBE_NAIVE_WHEN, label="when"),
                "total": total,
                "lines": data.draw(_lines(currency), label="lines"),
            }

        @precondition(lambda self: bool(self.customer_ids))
        @rule(data=st.data())
        def record_purchase(self, data: st.DataObject) -> None:
            fields = self.draw_purchase(data)
            self.both("record_purchase", lambda kit: kit.purchases.record(**fields))

        @precondition(lambda self: bool(self.customer_ids))
        @rule(data=st.data())
        def replay_purchase(self, data: st.DataObject) -> None:
            """Record an order twice in a row: the second call is a pure replay."""
            fields = self.draw_purchase(data)
            self.both("replay_purchase (first)", lambda kit: kit.purchases.record(**fields))
            self.both("replay_purchase (again)", lambda kit: kit.purchases.record(**fields))

        @precondition(lambda self: bool(self.order_ids))
        @rule(
            data=st.data(),
            refund_id=st.sampled_from(_REFUND_IDS),
            occurred_at=st.none() | _WHEN,
        )
        def refund(
            self,
            data: st.DataObject,
            refund_id: str,
            occurred_at: pendulum.DateTime | None,
        ) -> None:
            """Refund part of what is left on a recorded order, mostly; else anything.

            Over-refunds, refunds in another currency, of unknown orders, and
            replays of a refund id (same or other amount) come now and then.
            """
            order_id = data.draw(
                _mostly(st.sampled_from(self.order_ids), st.sampled_from(_ORDER_IDS)),
                label="order_id",
            )
            try:
                left = self.kits[0].purchases.get(order_id).refundable
            except RelationKitError:
                left = rk.Money.zero("EUR")
            fitting = (
                rks.money(left.currency, min_minor=1, max_minor=left.minor)
                if left.minor > 0
                else _REFUND_AMOUNTS
            )
            amount = data.draw(_mostly(fitting, _REFUND_AMOUNTS), label="amount")
            self.both(
                "refund",
                lambda kit: kit.purchases.refund(
                    order_id, refund_id=refund_id, amount=amount, occurred_at=occurred_at
                ),
            )

        @rule(data=st.data(), batch_size=st.sampled_from((1, 2, 3, 50)))
        def record_many(self, data: st.DataObject, batch_size: int) -> None:
            count = data.draw(st.integers(0, 5), label="rows")
            # One bad row now and then; it spoils its whole batch, not the others.
            bad = data.draw(_mostly(st.just(-1), st.integers(0, 4)), label="bad row")
            rows: list[dict[str, Any]] = []
            for n in range(count):
                row = self.draw_purchase(data, valid=n != bad)
                if not self.customer_ids or data.draw(st.booleans(), label="by external id"):
                    del row["customer_id"]
                    row["customer_external_id"] = data.draw(
                        st.sampled_from(_EXTERNAL_IDS), label="customer_external_id"
                    )
                    row["email"] = data.draw(_EMAIL, label="email")
                    row["name"] = data.draw(st.none() | _NAMES, label="name")
                rows.append(row)
            batches: list[rk.BulkResult] = []

            def run(kit: rk.RelationKit) -> tuple[rk.BulkResult, list[rk.BulkResult]]:
                batches.clear()
                # A generator: the kit must take rows lazily, as a backfill would give them.
                result = kit.purchases.record_many(
                    (dict(row) for row in rows), batch_size=batch_size, on_batch=batches.append
                )
                return result, list(batches)

            self.both("record_many", run)

        # -- transactions -------------------------------------------------------

        @precondition(lambda self: bool(self.customer_ids))
        @rule(data=st.data(), name=_NAMES, email=_mostly(st.none(), _EMAIL))
        def rolled_back_transaction(
            self, data: st.DataObject, name: str, email: str | None
        ) -> None:
            """Several writes in kit.transaction(), then an exception: nothing happened."""
            customer_id = self.pick_ref(data, customers_only=True)
            fields = self.draw_purchase(data)
            stage = self.draw_stage(data, customer_id)

            def run(kit: rk.RelationKit) -> None:
                with kit.transaction():
                    kit.customers.create(name=name, email=email)
                    kit.interactions.log(customer_id, channel="email", direction="outbound")
                    kit.purchases.record(**fields)
                    kit.lifecycle.move(customer_id, stage)
                    raise _Rollback

            self.both("rolled_back_transaction", run)

        @precondition(lambda self: bool(self.customer_ids))
        @rule(data=st.data(), fail_inner=st.booleans())
        def nested_transaction(self, data: st.DataObject, fail_inner: bool) -> None:
            """An outer block commits; its inner block may fail and is undone alone."""
            customer_id = self.pick_ref(data, customers_only=True)
            fields = self.draw_purchase(data)
            stage = self.draw_stage(data, customer_id)

            def run(kit: rk.RelationKit) -> tuple[Outcome, Outcome, rk.Interaction]:
                with kit.transaction():
                    note = kit.interactions.log(customer_id, channel="chat", direction="inbound")

                    def inner() -> rk.Purchase:
                        with kit.transaction():
                            purchase = kit.purchases.record(**fields)
                            if fail_inner:
                                raise _Rollback
                            return purchase

                    purchased = _attempt(inner, strict=False)
                    moved = _attempt(lambda: kit.lifecycle.move(customer_id, stage), strict=False)
                return purchased, moved, note

            self.both("nested_transaction", run)

        # -- observations -------------------------------------------------------

        def observe_accounts(
            self, kit: rk.RelationKit, account_ids: Sequence[str]
        ) -> dict[str, Outcome]:
            """Everything the public API shows about these accounts."""
            views: dict[str, Callable[[str], object]] = {
                "account": kit.accounts.get,
                "contacts": kit.accounts.contacts,
                "history": kit.lifecycle.history,
                "spans": kit.lifecycle.spans,
                "interactions": kit.interactions.history,
                "purchases": kit.purchases.history,
                "timeline": kit.timeline,
            }
            return {
                f"{name}({account_id})": _attempt(partial(view, account_id), strict=False)
                for account_id in account_ids
                for name, view in views.items()
            }

        def observe_globals(self, kit: rk.RelationKit) -> dict[str, Outcome]:
            """The store-wide views: counts, stage distribution, top spenders."""
            out: dict[str, Outcome] = {
                "customers.count": _attempt(kit.customers.count, strict=False),
                "purchases.count": _attempt(kit.purchases.count, strict=False),
                "distribution": _attempt(
                    lambda: list(kit.lifecycle.distribution().items()), strict=False
                ),
            }
            for code in _CURRENCIES:
                out[f"top_spenders({code})"] = _attempt(
                    partial(kit.purchases.top_spenders, code, limit=100), strict=False
                )
            return out

        def observe_lookups(self, kit: rk.RelationKit) -> dict[str, Outcome]:
            """Every known customer and order, and look-ups by email and external id."""
            lookups: list[tuple[str, Callable[[str], object], Sequence[str]]] = [
                ("customer", kit.customers.get, self.customer_ids),
                ("by_email", kit.customers.get_by_email, _EMAILS),
                ("by_external_id", kit.customers.get_by_external_id, _EXTERNAL_IDS),
                ("purchase", kit.purchases.get, _ORDER_IDS),
            ]
            return {
                f"{name}({key})": _attempt(partial(find, key), strict=False)
                for name, find, keys in lookups
                for key in keys
            }

        def compare(self, observe: Callable[[rk.RelationKit], Mapping[str, Outcome]]) -> None:
            reference, candidate = (observe(kit) for kit in self.kits)
            differing = [key for key in reference if reference[key] != candidate.get(key)]
            assert not differing, "\n".join(
                f"{key}:\n  reference: {reference[key]}\n  candidate: {candidate.get(key)}"
                for key in differing[:5]
            )

        @invariant()
        def same_observable_state(self) -> None:
            """Everything the public API shows agrees after every step.

            Counts, stage distribution and top spenders; every known account's
            stage, contacts, history, spans, interactions, purchases and
            timeline; every known customer and order; look-ups by email and
            external id.
            """
            self.compare(self.observe_globals)
            self.compare(lambda kit: self.observe_accounts(kit, self.account_ids))
            self.compare(self.observe_lookups)

        def teardown(self) -> None:
            for kit in self.kits:
                kit.close()
            for store in self.stores:
                store.close()
            if dispose is not None and len(self.stores) == 2:
                dispose(self.stores[1])

    return BackendEquivalence
