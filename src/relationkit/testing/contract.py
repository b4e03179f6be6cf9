"""The storage contract suite: what every relationkit backend must do, as pytest tests.

Adapter authors subclass :class:`StorageContract` (or only the feature classes
they want to run first) in a module pytest collects, and implement
:meth:`ContractBase.make_storage`. The class names here carry no ``Test``
prefix, so pytest only collects them through a subclass that has one::

    import pytest
    import relationkit as rk
    from relationkit.testing.contract import StorageContract

    class TestMyStore(StorageContract):
        @pytest.fixture(autouse=True)
        def _database(self, tmp_path):            # per-test resources first
            self.path = tmp_path / "store"

        def make_storage(self) -> rk.Storage:      # a fresh, empty store
            return MyStore(self.path)

        def make_second_handle(self) -> rk.Storage:  # same data, another handle
            return MyStore(self.path)

Tests drive the public facade (``relationkit.open(storage=...)`` with a
:class:`~relationkit.FrozenClock`), except :class:`PortContract`, which
drives the storage port directly. Nothing is skipped by hand: tests that need
a second handle over the same store (cross-connection visibility, concurrent
writers, re-opening) run only when the backend declares
``Capabilities(multi_process=True)``, and such a backend must implement
:meth:`ContractBase.make_second_handle`.

The asserts live in this module, so ask pytest to rewrite them (for readable
failures) in the ``conftest.py`` next to your subclass, before it is imported::

    pytest.register_assert_rewrite("relationkit.testing.contract")

To run a new backend against random operation sequences as well, see
:mod:`relationkit.testing.state_machine`.

Added in 0.1.0.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs
import pendulum
import pytest

import relationkit as rk
from relationkit.domain.customers import Account, AccountKind, Customer
from relationkit.domain.interactions import Channel, Direction, Interaction
from relationkit.domain.lifecycle import StageChange
from relationkit.domain.purchases import LineItem, Purchase, Refund
from relationkit.errors import (
    Conflict,
    IdempotencyConflict,
    InvalidTransition,
    NotFound,
    StorageError,
    ValidationError,
)
from relationkit.events import (
    AccountCreated,
    ContactAdded,
    CustomerCreated,
    Event,
    InteractionLogged,
    PurchaseRecorded,
    PurchaseRefunded,
    StageChanged,
)
from relationkit.money import Money
from relationkit.storage.ports import (
    DuplicateKey,
    IdempotencyRecord,
    SpendRow,
    Storage,
    UnitOfWork,
)

__all__ = [
    "T0",
    "AccountsContract",
    "ConcurrencyContract",
    "ContractBase",
    "CustomersContract",
    "EventsContract",
    "HooksContract",
    "InteractionsContract",
    "LifecycleContract",
    "PersistenceContract",
    "PortContract",
    "PurchasesContract",
    "StorageContract",
    "ValuesContract",
]

T0 = pendulum.datetime(2026, 1, 5, 9, 0, tz="UTC")
"""The frozen time every contract kit starts at."""

_ZERO = dt.timedelta(0)


# -- helpers ------------------------------------------------------------------


def _eur(amount: str) -> Money:
    return Money(amount, "EUR")


def _buy(
    kit: rk.RelationKit,
    customer_id: str,
    order_id: str,
    total: Money | str = "59.90",
    *,
    at: pendulum.DateTime = T0,
    lines: Sequence[LineItem] = (),
) -> Purchase:
    money = total if isinstance(total, Money) else _eur(total)
    return kit.purchases.record(
        order_id=order_id, customer_id=customer_id, occurred_at=at, total=money, lines=lines
    )


def _sequences(events: Sequence[Event], aggregate_id: str) -> list[int]:
    return [e.sequence for e in events if e.aggregate_id == aggregate_id]


def _is_aware_utc(value: object) -> bool:
    return (
        isinstance(value, pendulum.DateTime)
        and value.tzinfo is not None
        and value.utcoffset() == _ZERO
    )


class _Boom(Exception):
    """Raised by tests to roll a transaction back."""


# -- the base -----------------------------------------------------------------


class ContractBase:
    """Fixtures shared by every contract class; subclasses provide the store.

    Per-test resources (a temporary directory, a table prefix) belong in an
    autouse fixture of the subclass: pytest runs autouse fixtures before the
    ``storage`` fixture below and tears them down after it.
    """

    def make_storage(self) -> Storage:
        """Return a new, empty store; it is closed after the test."""
        raise NotImplementedError("a contract subclass must implement make_storage()")

    def make_second_handle(self) -> Storage:
        """Return another handle over the store the last ``make_storage()`` returned.

        Required when the backend declares ``Capabilities(multi_process=True)``:
        a separate connection (or process-level handle) that sees the same
        committed data, and still sees it after the first handle is closed.
        """
        raise NotImplementedError(
            "a backend declaring Capabilities(multi_process=True) must implement "
            "make_second_handle()"
        )

    @pytest.fixture
    def clock(self) -> rk.FrozenClock:
        """A frozen clock at :data:`T0`."""
        return rk.FrozenClock(T0)

    @pytest.fixture
    def storage(self) -> Iterator[Storage]:
        """A fresh, empty store from :meth:`make_storage`, closed afterwards."""
        store = self.make_storage()
        yield store
        store.close()

    @pytest.fixture
    def kit(self, storage: Storage, clock: rk.FrozenClock) -> Iterator[rk.RelationKit]:
        """A kit over the fresh store, timed by the frozen clock."""
        kit = rk.open(storage=storage, clock=clock)
        yield kit
        kit.close()

    @pytest.fixture
    def events(self, kit: rk.RelationKit) -> list[Event]:
        """Every event the kit dispatches, in dispatch order."""
        seen: list[Event] = []
        kit.hooks.on(Event, seen.append)
        return seen

    @pytest.fixture
    def second_handle(self, storage: Storage) -> Iterator[Callable[[], Storage]]:
        """A factory of further handles over ``storage``'s data (closed afterwards).

        Only for backends that declare ``Capabilities(multi_process=True)``;
        the tests using it are skipped for the others.
        """
        if not storage.capabilities.multi_process:
            pytest.skip("the backend declares Capabilities(multi_process=False)")
        made: list[Storage] = []

        def factory() -> Storage:
            handle = self.make_second_handle()
            made.append(handle)
            return handle

        yield factory
        for handle in reversed(made):
            handle.close()


# -- customers ----------------------------------------------------------------


class CustomersContract(ContractBase):
    """Customers: creation, look-ups, uniqueness, updates and upserts."""

    def test_create_gives_the_customer_an_own_b2c_account(self, kit: rk.RelationKit) -> None:
        """A customer created without account_id gets a B2C account named after them."""
        alice = kit.customers.create(email="alice@example.com", name="Alice Martin")

        account = kit.accounts.get(alice.account_id)

        assert (AccountKind.B2C, "Alice Martin", "lead") == (
            account.kind,
            account.name,
            account.stage,
        )
        assert [alice] == kit.accounts.contacts(account.id)

    def test_get_returns_what_create_returned(self, kit: rk.RelationKit) -> None:
        """Every field of a created customer round-trips through the store."""
        alice = kit.customers.create(
            email="Alice@Example.com",
            name="Alice Martin",
            external_id="shop-user-42",
            attributes={"city": "Lyon"},
        )

        assert alice == kit.customers.get(alice.id)

    def test_get_by_email_ignores_case(self, kit: rk.RelationKit) -> None:
        """get_by_email finds the customer whatever the case of the address."""
        alice = kit.customers.create(email="Alice@Example.com", name="Alice")

        assert alice == kit.customers.get_by_email("ALICE@example.COM")

    def test_get_by_external_id(self, kit: rk.RelationKit) -> None:
        """get_by_external_id finds the customer by the host's id."""
        alice = kit.customers.create(name="Alice", external_id="shop-user-42")

        assert alice == kit.customers.get_by_external_id("shop-user-42")

    def test_external_ids_are_case_sensitive(self, kit: rk.RelationKit) -> None:
        """External ids are the host's opaque keys: "A1" and "a1" are two people."""
        upper = kit.customers.create(name="Upper", external_id="A1")
        lower = kit.customers.create(name="Lower", external_id="a1")

        assert (upper, lower) == (
            kit.customers.get_by_external_id("A1"),
            kit.customers.get_by_external_id("a1"),
        )

    def test_duplicate_email_in_another_case_is_a_conflict(self, kit: rk.RelationKit) -> None:
        """A second customer with the same email in another case raises Conflict."""
        kit.customers.create(email="alice@example.com", name="Alice")

        with pytest.raises(Conflict) as caught:
            kit.customers.create(email="ALICE@example.com", name="Impostor")

        assert 1 == kit.customers.count()
        assert "alice@example.com" not in str(caught.value).lower()

    def test_duplicate_external_id_is_a_conflict(self, kit: rk.RelationKit) -> None:
        """A second customer with the same external id raises Conflict, writing nothing."""
        kit.customers.create(name="Alice", external_id="u-1")

        with pytest.raises(Conflict):
            kit.customers.create(name="Bob", external_id="u-1")

        assert (1, {"lead": 1}) == (
            kit.customers.count(),
            {k: n for k, n in kit.lifecycle.distribution().items() if n},
        )

    def test_unknown_id_is_not_found(self, kit: rk.RelationKit) -> None:
        """get on an unknown id raises NotFound, which is also a LookupError."""
        with pytest.raises(NotFound) as caught:
            kit.customers.get("cus_unknown")

        assert isinstance(caught.value, LookupError)

    def test_unknown_email_is_not_found_without_echoing_it(self, kit: rk.RelationKit) -> None:
        """get_by_email on an unknown address raises NotFound not naming the address."""
        with pytest.raises(NotFound) as caught:
            kit.customers.get_by_email("ghost@example.com")

        assert "ghost" not in str(caught.value)

    def test_unknown_external_id_is_not_found(self, kit: rk.RelationKit) -> None:
        """get_by_external_id on an unknown id raises NotFound."""
        with pytest.raises(NotFound):
            kit.customers.get_by_external_id("nobody")

    def test_malformed_email_names_the_field_and_writes_nothing(self, kit: rk.RelationKit) -> None:
        """A malformed email raises ValidationError(field="email"); no row is written."""
        with pytest.raises(ValidationError) as caught:
            kit.customers.create(email="not-an-email", name="Nobody")

        assert ("email", 0) == (caught.value.field, kit.customers.count())
        assert {"lead": 0} == {"lead": kit.lifecycle.distribution()["lead"]}

    def test_customer_needs_an_email_a_name_or_an_external_id(self, kit: rk.RelationKit) -> None:
        """A customer with nothing to identify them is rejected."""
        with pytest.raises(ValidationError) as caught:
            kit.customers.create(attributes={"city": "Lyon"})

        assert ("customer", 0) == (caught.value.field, kit.customers.count())

    def test_attributes_round_trip_as_json(self, kit: rk.RelationKit) -> None:
        """Nested JSON attributes (unicode, numbers, booleans, nulls) come back equal."""
        attributes: dict[str, Any] = {
            "city": "Zürich",
            "tags": ["vip", "早期"],
            "visits": 12,
            "ratio": 0.25,
            "opt_in": True,
            "notes": None,
            "address": {"line": ["1 rue de la Paix"], "zip": "75002"},
        }
        alice = kit.customers.create(name="Alice", attributes=attributes)

        assert attributes == kit.customers.get(alice.id).attributes

    def test_update_changes_fields_and_updated_at(
        self, kit: rk.RelationKit, clock: rk.FrozenClock
    ) -> None:
        """update stores the new values and stamps updated_at with the clock."""
        alice = kit.customers.create(email="alice@example.com", name="Alice")
        later = clock.advance(days=2)

        kit.customers.update(alice.id, name="Alice Martin", attributes={"tier": "gold"})

        stored = kit.customers.get(alice.id)
        assert ("Alice Martin", {"tier": "gold"}, T0, later) == (
            stored.name,
            stored.attributes,
            stored.created_at,
            stored.updated_at,
        )

    def test_update_with_none_clears_an_optional_field(self, kit: rk.RelationKit) -> None:
        """update(email=None) clears the email, which frees it for someone else."""
        alice = kit.customers.create(email="alice@example.com", name="Alice")

        kit.customers.update(alice.id, email=None)
        bob = kit.customers.create(email="alice@example.com", name="Bob")

        assert (None, bob) == (
            kit.customers.get(alice.id).email,
            kit.customers.get_by_email("alice@example.com"),
        )

    def test_changed_email_frees_the_old_one(self, kit: rk.RelationKit) -> None:
        """After a change of email, the old address is free and the new one taken."""
        alice = kit.customers.create(email="alice@example.com", name="Alice")

        kit.customers.update(alice.id, email="alice@work.example")
        bob = kit.customers.create(email="ALICE@example.com", name="Bob")

        assert (alice.id, bob.id) == (
            kit.customers.get_by_email("alice@work.example").id,
            kit.customers.get_by_email("alice@example.com").id,
        )

    def test_update_to_a_taken_email_is_a_conflict(self, kit: rk.RelationKit) -> None:
        """Changing an email to another customer's (in any case) raises Conflict."""
        kit.customers.create(email="alice@example.com", name="Alice")
        bob = kit.customers.create(email="bob@example.com", name="Bob")

        with pytest.raises(Conflict):
            kit.customers.update(bob.id, email="Alice@Example.com")

        assert "bob@example.com" == kit.customers.get(bob.id).email

    def test_update_of_unknown_customer_is_not_found(self, kit: rk.RelationKit) -> None:
        """update on an unknown id raises NotFound."""
        with pytest.raises(NotFound):
            kit.customers.update("cus_unknown", name="Ghost")

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"name": "Ann\x00"}, "name"),
            ({"name": "Ann", "attributes": {"note": "a\x00b"}}, "attributes"),
            ({"name": "Ann", "attributes": {"k\x00": 1}}, "attributes"),
        ],
        ids=["name", "attribute-value", "attribute-key"],
    )
    def test_nul_characters_are_a_validation_error(
        self, kit: rk.RelationKit, fields: dict[str, Any], field: str
    ) -> None:
        """Text no SQL database can store (NUL) is rejected up front, the same everywhere."""
        with pytest.raises(ValidationError) as caught:
            kit.customers.create(**fields)

        assert (field, 0) == (caught.value.field.partition("[")[0], kit.customers.count())

    def test_upsert_creates_then_updates_the_same_customer(self, kit: rk.RelationKit) -> None:
        """upsert creates on first sight, then updates only the fields given."""
        first = kit.customers.upsert(external_id="u-7", email="zoe@example.com", name="Zoe")

        second = kit.customers.upsert(external_id="u-7", name="Zoé Dupont")

        assert (first.id, "zoe@example.com", "Zoé Dupont", 1) == (
            second.id,
            second.email,
            second.name,
            kit.customers.count(),
        )
        assert second == kit.customers.get(first.id)


# -- accounts -----------------------------------------------------------------


class AccountsContract(ContractBase):
    """Accounts: B2B companies with contacts and roles."""

    def test_b2b_account_starts_in_the_initial_stage(self, kit: rk.RelationKit) -> None:
        """A new B2B account is stored with its kind, name and the initial stage."""
        acme = kit.accounts.create(name="ACME SA", kind=rk.AccountKind.B2B)

        assert acme == kit.accounts.get(acme.id)
        assert (AccountKind.B2B, "lead", T0) == (acme.kind, acme.stage, acme.stage_since)

    def test_contacts_come_back_with_their_roles_in_creation_order(
        self, kit: rk.RelationKit
    ) -> None:
        """contacts() lists a company's people with their roles, oldest first."""
        acme = kit.accounts.create(name="ACME SA")
        bob = kit.customers.create(
            email="bob@acme.example", name="Bob", account_id=acme.id, role="buyer"
        )
        eve = kit.customers.create(name="Eve", account_id=acme.id, role="finance")
        kit.customers.create(name="Someone Else")

        contacts = kit.accounts.contacts(acme.id)

        assert [(bob.id, "buyer"), (eve.id, "finance")] == [(c.id, c.role) for c in contacts]

    def test_contact_id_resolves_to_the_company(self, kit: rk.RelationKit) -> None:
        """An operation given a contact's id acts on the contact's B2B account."""
        acme = kit.accounts.create(name="ACME SA")
        bob = kit.customers.create(name="Bob", account_id=acme.id, role="buyer")

        assert (acme.id, [bob]) == (kit.accounts.get(bob.id).id, kit.accounts.contacts(bob.id))

    def test_role_without_a_b2b_account_is_invalid(self, kit: rk.RelationKit) -> None:
        """A role is for contacts of a B2B account; elsewhere it is a ValidationError."""
        with pytest.raises(ValidationError) as caught:
            kit.customers.create(name="Solo", role="buyer")

        assert ("role", 0) == (caught.value.field, kit.customers.count())

    def test_b2c_account_holds_one_person(self, kit: rk.RelationKit) -> None:
        """Joining a B2C account that already has its person raises Conflict."""
        alice = kit.customers.create(name="Alice")

        with pytest.raises(Conflict):
            kit.customers.create(name="Intruder", account_id=alice.account_id)

        assert [alice] == kit.accounts.contacts(alice.account_id)

    def test_joining_an_unknown_account_is_not_found(self, kit: rk.RelationKit) -> None:
        """create(account_id=...) with an unknown account raises NotFound."""
        with pytest.raises(NotFound):
            kit.customers.create(name="Bob", account_id="acc_unknown", role="buyer")

        assert 0 == kit.customers.count()

    def test_empty_account_name_is_invalid(self, kit: rk.RelationKit) -> None:
        """An empty name raises ValidationError(field="name") and creates nothing."""
        with pytest.raises(ValidationError) as caught:
            kit.accounts.create(name="  ")

        assert ("name", 0) == (caught.value.field, sum(kit.lifecycle.distribution().values()))


# -- lifecycle ----------------------------------------------------------------


class LifecycleContract(ContractBase):
    """Lifecycle: stages, validated moves, automatic moves, history and spans."""

    def test_history_starts_with_the_initial_stage(self, kit: rk.RelationKit) -> None:
        """A new account's history holds its first stage, automatic, from None."""
        alice = kit.customers.create(name="Alice")

        expected = [
            rk.StageChange(
                account_id=alice.account_id,
                from_stage=None,
                to_stage="lead",
                at=T0,
                reason=None,
                automatic=True,
            )
        ]
        assert expected == kit.lifecycle.history(alice.id)

    def test_manual_move_is_stored_with_time_and_reason(
        self, kit: rk.RelationKit, clock: rk.FrozenClock
    ) -> None:
        """move() changes the stage and appends a dated, reasoned change to history."""
        alice = kit.customers.create(name="Alice")
        later = clock.advance(hours=3)

        change = kit.lifecycle.move(alice.id, "qualified", reason="demo booked")

        assert "qualified" == kit.lifecycle.stage(alice.id)
        assert [change] == kit.lifecycle.history(alice.id)[1:]
        assert ("lead", "qualified", later, "demo booked", False) == (
            change.from_stage,
            change.to_stage,
            change.at,
            change.reason,
            change.automatic,
        )

    def test_move_the_graph_forbids_is_invalid_transition(self, kit: rk.RelationKit) -> None:
        """A move without an edge in the graph raises InvalidTransition, changing nothing."""
        alice = kit.customers.create(name="Alice")

        with pytest.raises(InvalidTransition) as caught:
            kit.lifecycle.move(alice.id, "loyal")

        assert ("lead", "loyal") == (caught.value.from_stage, caught.value.to_stage)
        assert ("lead", 1) == (
            kit.lifecycle.stage(alice.id),
            len(kit.lifecycle.history(alice.id)),
        )

    def test_unknown_stage_is_a_validation_error(self, kit: rk.RelationKit) -> None:
        """A stage that is not in the graph raises ValidationError(field="to_stage")."""
        alice = kit.customers.create(name="Alice")

        with pytest.raises(ValidationError) as caught:
            kit.lifecycle.move(alice.id, "emperor")

        assert "to_stage" == caught.value.field

    def test_first_purchase_moves_a_lead_to_customer(self, kit: rk.RelationKit) -> None:
        """A first purchase moves the account to "customer", automatically, at order time."""
        alice = kit.customers.create(name="Alice")
        at = T0.add(days=1)

        _buy(kit, alice.id, "1001", at=at)

        last = kit.lifecycle.history(alice.id)[-1]
        assert ("customer", "lead", "customer", at, "purchase", True) == (
            kit.lifecycle.stage(alice.id),
            last.from_stage,
            last.to_stage,
            last.at,
            last.reason,
            last.automatic,
        )

    def test_second_purchase_does_not_move_again(self, kit: rk.RelationKit) -> None:
        """Only the purchase that finds the account before "customer" moves it."""
        alice = kit.customers.create(name="Alice")
        _buy(kit, alice.id, "1001")

        _buy(kit, alice.id, "1002")

        assert ["lead", "customer"] == [c.to_stage for c in kit.lifecycle.history(alice.id)]

    def test_purchase_does_not_move_a_loyal_account_back(self, kit: rk.RelationKit) -> None:
        """A purchase by an account past "customer" (loyal) leaves its stage alone."""
        alice = kit.customers.create(name="Alice")
        _buy(kit, alice.id, "1001")
        kit.lifecycle.move(alice.id, "loyal")

        _buy(kit, alice.id, "1002")

        assert "loyal" == kit.lifecycle.stage(alice.id)

    def test_backfilled_purchase_moves_no_earlier_than_the_stage_began(
        self, kit: rk.RelationKit
    ) -> None:
        """An order dated before the account existed moves it at its current stage's start."""
        alice = kit.customers.create(name="Alice")

        _buy(kit, alice.id, "old", at=pendulum.datetime(1997, 5, 1, tz="UTC"))

        assert T0 == kit.lifecycle.history(alice.id)[-1].at

    def test_spans_measure_time_in_each_stage(
        self, kit: rk.RelationKit, clock: rk.FrozenClock
    ) -> None:
        """spans() gives each stage's entry, exit and duration; the last is open."""
        alice = kit.customers.create(name="Alice")
        clock.advance(days=2)
        kit.lifecycle.move(alice.id, "qualified")
        clock.advance(days=3)

        spans = kit.lifecycle.spans(alice.id)

        assert [
            ("lead", T0, T0.add(days=2), dt.timedelta(days=2)),
            ("qualified", T0.add(days=2), None, dt.timedelta(days=3)),
        ] == [(s.stage, s.entered, s.left, s.duration.as_timedelta()) for s in spans]

    def test_distribution_counts_accounts_per_stage_in_journey_order(
        self, kit: rk.RelationKit
    ) -> None:
        """distribution() counts accounts per stage, every stage listed in graph order."""
        alice = kit.customers.create(name="Alice")
        kit.customers.create(name="Bob")
        acme = kit.accounts.create(name="ACME")
        kit.lifecycle.move(alice.id, "qualified")
        kit.lifecycle.move(acme.id, "churned")

        expected = dict.fromkeys(rk.DEFAULT_STAGE_GRAPH.stages, 0)
        expected.update(lead=1, qualified=1, churned=1)
        assert list(expected.items()) == list(kit.lifecycle.distribution().items())

    def test_stage_of_unknown_ref_is_not_found(self, kit: rk.RelationKit) -> None:
        """stage() and move() on an unknown id raise NotFound."""
        with pytest.raises(NotFound):
            kit.lifecycle.stage("acc_unknown")
        with pytest.raises(NotFound):
            kit.lifecycle.move("cus_unknown", "qualified")


# -- interactions -------------------------------------------------------------


class InteractionsContract(ContractBase):
    """Interactions: logged on any channel, listed in time order."""

    def test_logged_interaction_round_trips(self, kit: rk.RelationKit) -> None:
        """Every field of a logged interaction comes back from list()."""
        alice = kit.customers.create(name="Alice")

        logged = kit.interactions.log(
            alice.id,
            channel=rk.Channel.EMAIL,
            direction=rk.Direction.OUTBOUND,
            subject="Welcome",
            notes="Sent the onboarding guide. ✉️",
            outcome="opened",
            occurred_at=T0.subtract(hours=1),
        )

        assert [logged] == kit.interactions.history(alice.id)
        assert (alice.id, alice.account_id, T0) == (
            logged.customer_id,
            logged.account_id,
            logged.recorded_at,
        )

    def test_interaction_defaults_to_the_clock(self, kit: rk.RelationKit) -> None:
        """Without occurred_at, an interaction happened at the kit's clock time."""
        acme = kit.accounts.create(name="ACME")

        logged = kit.interactions.log(acme.id, channel="phone", direction="inbound")

        assert (T0, None) == (logged.occurred_at, logged.customer_id)

    def test_list_is_in_occurred_at_order(self, kit: rk.RelationKit) -> None:
        """Interactions logged out of order are listed by occurred_at."""
        alice = kit.customers.create(name="Alice")
        for day in (3, 1, 2):
            kit.interactions.log(
                alice.id,
                channel=rk.Channel.CHAT,
                direction=rk.Direction.INBOUND,
                subject=f"day {day}",
                occurred_at=T0.add(days=day),
            )

        assert ["day 1", "day 2", "day 3"] == [
            i.subject for i in kit.interactions.history(alice.id)
        ]

    def test_naive_datetime_is_rejected(self, kit: rk.RelationKit) -> None:
        """A naive occurred_at raises ValidationError naming it, logging nothing."""
        alice = kit.customers.create(name="Alice")

        with pytest.raises(ValidationError) as caught:
            kit.interactions.log(
                alice.id,
                channel=rk.Channel.EMAIL,
                direction=rk.Direction.OUTBOUND,
                occurred_at=dt.datetime(2026, 1, 1, 12, 0),  # type: ignore[arg-type]
            )

        assert ("occurred_at", []) == (caught.value.field, kit.interactions.history(alice.id))

    def test_nul_character_in_notes_is_a_validation_error(self, kit: rk.RelationKit) -> None:
        """Notes holding a NUL character are rejected up front, the same on every backend."""
        alice = kit.customers.create(name="Alice")

        with pytest.raises(ValidationError) as caught:
            kit.interactions.log(alice.id, channel="email", direction="inbound", notes="a\x00")

        assert ("notes", []) == (caught.value.field, kit.interactions.history(alice.id))

    def test_unknown_channel_is_rejected(self, kit: rk.RelationKit) -> None:
        """An unknown channel raises ValidationError(field="channel")."""
        alice = kit.customers.create(name="Alice")

        with pytest.raises(ValidationError) as caught:
            kit.interactions.log(alice.id, channel="pigeon", direction="inbound")

        assert "channel" == caught.value.field

    def test_log_for_unknown_ref_is_not_found(self, kit: rk.RelationKit) -> None:
        """Logging for an unknown customer raises NotFound."""
        with pytest.raises(NotFound):
            kit.interactions.log("cus_unknown", channel="email", direction="outbound")


# -- purchases ----------------------------------------------------------------


class PurchasesContract(ContractBase):
    """Purchases and refunds: idempotent recording, refunds, bulk import, spend."""

    def test_record_stores_the_purchase_with_its_lines(self, kit: rk.RelationKit) -> None:
        """record() returns what get() returns: lines in order, total, customer."""
        alice = kit.customers.create(name="Alice")
        lines = [
            rk.LineItem(sku="TSHIRT", quantity=2, unit_price=_eur("29.95"), category="apparel"),
            rk.LineItem(sku="MUG", quantity=1, unit_price=_eur("0.00")),
            rk.LineItem(sku="CAP", quantity=3, unit_price=_eur("9.99")),
        ]

        recorded = _buy(kit, alice.id, "1001", "89.87", lines=lines)

        assert recorded == kit.purchases.get("1001")
        assert (tuple(lines), alice.account_id, ()) == (
            recorded.lines,
            recorded.account_id,
            recorded.refunds,
        )

    def test_replay_returns_the_stored_purchase_without_effect(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """Recording the same order again returns the first purchase; no new row or event."""
        alice = kit.customers.create(name="Alice")
        first = _buy(kit, alice.id, "1001")
        seen = len(events)

        again = _buy(kit, alice.id, "1001")

        assert (first, 1, seen) == (again, kit.purchases.count(), len(events))

    def test_replay_with_another_payload_names_the_fields(self, kit: rk.RelationKit) -> None:
        """Same order id, different total and date: IdempotencyConflict naming both."""
        alice = kit.customers.create(name="Alice")
        _buy(kit, alice.id, "1001", "59.90")

        with pytest.raises(IdempotencyConflict) as caught:
            _buy(kit, alice.id, "1001", "60.00", at=T0.add(days=1))

        assert ("1001", ("occurred_at", "total")) == (caught.value.key, caught.value.fields)
        assert _eur("59.90") == kit.purchases.get("1001").total

    def test_replay_by_another_customer_is_a_conflict(self, kit: rk.RelationKit) -> None:
        """The same order id for another customer names customer_id."""
        alice = kit.customers.create(name="Alice")
        bob = kit.customers.create(name="Bob")
        _buy(kit, alice.id, "1001")

        with pytest.raises(IdempotencyConflict) as caught:
            _buy(kit, bob.id, "1001")

        assert ("customer_id",) == caught.value.fields

    def test_unknown_customer_is_not_found(self, kit: rk.RelationKit) -> None:
        """Recording for an unknown customer raises NotFound and stores nothing."""
        with pytest.raises(NotFound):
            _buy(kit, "cus_unknown", "1001")

        assert 0 == kit.purchases.count()

    def test_bad_total_names_the_field_and_writes_nothing(self, kit: rk.RelationKit) -> None:
        """A line in another currency is named (lines[0].unit_price); nothing is stored."""
        alice = kit.customers.create(name="Alice")

        with pytest.raises(ValidationError) as caught:
            _buy(
                kit,
                alice.id,
                "1001",
                lines=[rk.LineItem(sku="X", quantity=1, unit_price=Money("10", "USD"))],
            )

        assert ("lines[0].unit_price", 0, "lead") == (
            caught.value.field,
            kit.purchases.count(),
            kit.lifecycle.stage(alice.id),
        )

    def test_list_is_in_occurred_at_order(self, kit: rk.RelationKit) -> None:
        """An account's purchases are listed by occurred_at, whatever the recording order."""
        alice = kit.customers.create(name="Alice")
        for order_id, day in (("c", 3), ("a", 1), ("b", 2)):
            _buy(kit, alice.id, order_id, at=T0.add(days=day))

        assert ["a", "b", "c"] == [p.order_id for p in kit.purchases.history(alice.id)]

    def test_refund_is_stored_on_the_purchase(self, kit: rk.RelationKit) -> None:
        """A refund appears on the purchase and reduces what is left to refund."""
        alice = kit.customers.create(name="Alice")
        _buy(kit, alice.id, "1001", "59.90")

        refund = kit.purchases.refund("1001", refund_id="r-1", amount=_eur("29.95"), reason="size")

        stored = kit.purchases.get("1001")
        assert ((refund,), _eur("29.95"), "size", T0) == (
            stored.refunds,
            stored.refundable,
            refund.reason,
            refund.occurred_at,
        )

    def test_refund_replay_is_idempotent(self, kit: rk.RelationKit, events: list[Event]) -> None:
        """Refunding again with the same refund id returns the first refund, no effect."""
        alice = kit.customers.create(name="Alice")
        _buy(kit, alice.id, "1001", "59.90")
        first = kit.purchases.refund("1001", refund_id="r-1", amount=_eur("10.00"))
        seen = len(events)

        again = kit.purchases.refund("1001", refund_id="r-1", amount=_eur("10.00"))

        assert (first, (first,), seen) == (again, kit.purchases.get("1001").refunds, len(events))

    def test_refund_replay_with_another_amount_is_a_conflict(self, kit: rk.RelationKit) -> None:
        """A refund id reused with another amount raises IdempotencyConflict("amount")."""
        alice = kit.customers.create(name="Alice")
        _buy(kit, alice.id, "1001", "59.90")
        kit.purchases.refund("1001", refund_id="r-1", amount=_eur("10.00"))

        with pytest.raises(IdempotencyConflict) as caught:
            kit.purchases.refund("1001", refund_id="r-1", amount=_eur("20.00"))

        assert ("r-1", ("amount",)) == (caught.value.key, caught.value.fields)

    def test_refunds_never_exceed_what_is_left(self, kit: rk.RelationKit) -> None:
        """Partial refunds may add up to the total; one cent more is a ValidationError."""
        alice = kit.customers.create(name="Alice")
        _buy(kit, alice.id, "1001", "59.90")
        kit.purchases.refund("1001", refund_id="r-1", amount=_eur("29.95"))
        kit.purchases.refund("1001", refund_id="r-2", amount=_eur("29.95"))

        with pytest.raises(ValidationError) as caught:
            kit.purchases.refund("1001", refund_id="r-3", amount=_eur("0.01"))

        assert ("amount", _eur("0.00"), 2) == (
            caught.value.field,
            kit.purchases.get("1001").refundable,
            len(kit.purchases.get("1001").refunds),
        )

    def test_refund_in_another_currency_is_invalid(self, kit: rk.RelationKit) -> None:
        """A refund in another currency than the order's is a ValidationError("amount")."""
        alice = kit.customers.create(name="Alice")
        _buy(kit, alice.id, "1001", "59.90")

        with pytest.raises(ValidationError) as caught:
            kit.purchases.refund("1001", refund_id="r-1", amount=Money("10", "USD"))

        assert ("amount", ()) == (caught.value.field, kit.purchases.get("1001").refunds)

    def test_refund_of_unknown_order_is_not_found(self, kit: rk.RelationKit) -> None:
        """Refunding an order that was never recorded raises NotFound."""
        with pytest.raises(NotFound):
            kit.purchases.refund("nope", refund_id="r-1", amount=_eur("1.00"))

    def test_top_spenders_rank_net_spend(self, kit: rk.RelationKit) -> None:
        """top_spenders ranks accounts by spend net of refunds in one currency, then id."""
        alice = kit.customers.create(name="Alice")
        bob = kit.customers.create(name="Bob")
        cleo = kit.customers.create(name="Cleo")
        _buy(kit, alice.id, "a1", "100.00")
        _buy(kit, alice.id, "a2", "0.10")
        _buy(kit, bob.id, "b1", "150.00")
        kit.purchases.refund("b1", refund_id="rb1", amount=_eur("49.90"))
        _buy(kit, cleo.id, "c1", Money("900", "USD"))

        expected = [
            SpendRow(account_id=bob.account_id, currency="EUR", net_minor=10010, orders=1),
            SpendRow(account_id=alice.account_id, currency="EUR", net_minor=10010, orders=2),
        ]
        expected.sort(key=lambda r: r.account_id)
        assert expected == kit.purchases.top_spenders("EUR", limit=5)
        assert expected[:1] == kit.purchases.top_spenders("EUR", limit=1)

    def test_record_many_upserts_customers_by_external_id(self, kit: rk.RelationKit) -> None:
        """Rows with customer_external_id create missing customers and reuse existing ones."""
        known = kit.customers.create(name="Known", external_id="ext-1")
        rows = [
            {
                "order_id": "1",
                "customer_external_id": "ext-1",
                "occurred_at": T0,
                "total": _eur("10.00"),
            },
            {
                "order_id": "2",
                "customer_external_id": "ext-2",
                "email": "new@example.com",
                "name": "New",
                "occurred_at": T0,
                "total": _eur("20.00"),
            },
            {"order_id": "3", "customer_id": known.id, "occurred_at": T0, "total": _eur("1.00")},
        ]

        result = kit.purchases.record_many(rows)

        created = kit.customers.get_by_external_id("ext-2")
        assert rk.BulkResult(recorded=3, unchanged=0, customers_created=1) == result
        assert ("new@example.com", "New", known.id, created.id) == (
            created.email,
            created.name,
            kit.purchases.get("1").customer_id,
            kit.purchases.get("2").customer_id,
        )

    def test_record_many_refreshes_known_customers(self, kit: rk.RelationKit) -> None:
        """A row naming a known external id updates that customer's email and name."""
        known = kit.customers.create(name="Old Name", external_id="ext-1")
        row = {
            "order_id": "1",
            "customer_external_id": "ext-1",
            "email": "new@example.com",
            "name": "New Name",
            "occurred_at": T0,
            "total": _eur("1.00"),
        }

        kit.purchases.record_many([row])

        stored = kit.customers.get(known.id)
        assert ("new@example.com", "New Name", 1) == (
            stored.email,
            stored.name,
            kit.customers.count(),
        )

    def test_record_many_replayed_batch_changes_nothing(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """Running the same import twice records nothing and dispatches nothing the second time."""
        rows = [
            {
                "order_id": str(n),
                "customer_external_id": f"ext-{n % 2}",
                "occurred_at": T0.add(days=n),
                "total": _eur(f"{n}.50"),
            }
            for n in range(5)
        ]
        kit.purchases.record_many(rows, batch_size=2)
        seen = len(events)
        before = [kit.purchases.get(str(n)) for n in range(5)]

        replay = kit.purchases.record_many(rows, batch_size=2)

        assert rk.BulkResult(recorded=0, unchanged=5, customers_created=0) == replay
        assert (before, seen, 2) == (
            [kit.purchases.get(str(n)) for n in range(5)],
            len(events),
            kit.customers.count(),
        )

    def test_record_many_streams_rows_lazily(self, kit: rk.RelationKit) -> None:
        """record_many pulls one batch of rows at a time from a generator."""
        alice = kit.customers.create(name="Alice")
        pulled = 0
        pulled_at_batch: list[int] = []

        def rows() -> Iterator[dict[str, Any]]:
            nonlocal pulled
            for n in range(5):
                pulled += 1
                yield {
                    "order_id": f"o{n}",
                    "customer_id": alice.id,
                    "occurred_at": T0,
                    "total": _eur("1.00"),
                }

        kit.purchases.record_many(
            rows(), batch_size=2, on_batch=lambda _: pulled_at_batch.append(pulled)
        )

        assert [2, 4, 5] == pulled_at_batch

    def test_record_many_bad_row_keeps_earlier_batches(self, kit: rk.RelationKit) -> None:
        """A bad row is named (rows[3].total); earlier batches stay, its batch writes nothing."""
        alice = kit.customers.create(name="Alice")
        rows: list[dict[str, Any]] = [
            {"order_id": f"o{n}", "customer_id": alice.id, "occurred_at": T0, "total": _eur("1")}
            for n in range(4)
        ]
        rows[3]["total"] = "1.00"

        with pytest.raises(ValidationError) as caught:
            kit.purchases.record_many(rows, batch_size=2)

        assert ("rows[3].total", ["o0", "o1"]) == (
            caught.value.field,
            [p.order_id for p in kit.purchases.history(alice.id)],
        )

    def test_record_many_conflict_rolls_back_its_batch(self, kit: rk.RelationKit) -> None:
        """An IdempotencyConflict in a batch leaves that batch unwritten (customers too)."""
        alice = kit.customers.create(name="Alice")
        _buy(kit, alice.id, "taken", "5.00")
        rows = [
            {
                "order_id": "fresh",
                "customer_external_id": "ext-9",
                "occurred_at": T0,
                "total": _eur("1.00"),
            },
            {"order_id": "taken", "customer_id": alice.id, "occurred_at": T0, "total": _eur("9")},
        ]

        with pytest.raises(IdempotencyConflict):
            kit.purchases.record_many(rows)

        assert (1, 1) == (kit.purchases.count(), kit.customers.count())

    def test_record_many_same_order_twice_in_one_batch(self, kit: rk.RelationKit) -> None:
        """A row repeated within one batch is recorded once and counted unchanged once."""
        alice = kit.customers.create(name="Alice")
        row = {"order_id": "o1", "customer_id": alice.id, "occurred_at": T0, "total": _eur("3")}

        result = kit.purchases.record_many([row, dict(row)])

        assert (rk.BulkResult(recorded=1, unchanged=1), 1) == (result, kit.purchases.count())

    def test_record_many_rejects_two_new_customers_with_one_email(
        self, kit: rk.RelationKit
    ) -> None:
        """Two new external customers sharing an email in one batch is a Conflict, not a crash."""
        rows = [
            {
                "order_id": f"o{n}",
                "customer_external_id": f"ext-{n}",
                "email": "shared@example.com",
                "occurred_at": T0,
                "total": _eur("1.00"),
            }
            for n in range(2)
        ]

        with pytest.raises(Conflict):
            kit.purchases.record_many(rows)

        assert (0, 0) == (kit.purchases.count(), kit.customers.count())


# -- values: money, datetimes, ids, timeline ----------------------------------


class ValuesContract(ContractBase):
    """Values survive the store exactly: money, aware datetimes, ids, timeline order."""

    @pytest.mark.parametrize(
        ("amount", "currency"),
        [
            ("59.90", "EUR"),
            ("0.01", "EUR"),
            ("0", "EUR"),
            ("1050", "JPY"),
            ("1.005", "BHD"),
            ("12.3456", "CLF"),
            ("92233720368547.75", "EUR"),
        ],
    )
    def test_money_round_trips_exactly(
        self, kit: rk.RelationKit, amount: str, currency: str
    ) -> None:
        """Totals and unit prices come back as the same Decimal at the currency's scale."""
        alice = kit.customers.create(name="Alice")
        total = Money(amount, currency)
        line = rk.LineItem(sku="X", quantity=1, unit_price=total)

        kit.purchases.record(
            order_id="1", customer_id=alice.id, occurred_at=T0, total=total, lines=[line]
        )

        stored = kit.purchases.get("1")
        assert (total, str(total.amount), (line,)) == (
            stored.total,
            str(stored.total.amount),
            stored.lines,
        )

    def test_equal_money_written_differently_replays(self, kit: rk.RelationKit) -> None:
        """Money("59.9") and Money("59.90") are one payload: the replay is not a conflict."""
        alice = kit.customers.create(name="Alice")
        first = _buy(kit, alice.id, "1001", Money("59.9", "EUR"))

        assert first == _buy(kit, alice.id, "1001", Money("59.90", "EUR"))

    def test_net_spend_adds_up_exactly(self, kit: rk.RelationKit) -> None:
        """0.10 + 0.20 EUR of purchases is 30 cents of spend, never a float near it."""
        alice = kit.customers.create(name="Alice")
        _buy(kit, alice.id, "a", "0.10")
        _buy(kit, alice.id, "b", "0.20")

        assert [30] == [row.net_minor for row in kit.purchases.top_spenders("EUR")]

    @pytest.mark.parametrize(
        "when",
        [
            pendulum.datetime(2026, 3, 1, 10, 30, 15, 123456, tz="Europe/Paris"),
            pendulum.datetime(2026, 7, 14, 23, 59, 59, 999999, tz="America/New_York"),
            pendulum.datetime(1997, 5, 1, 0, 0, 0, 1, tz="Asia/Tokyo"),
            pendulum.datetime(2100, 12, 31, 23, 0, tz="UTC"),
        ],
    )
    def test_datetimes_come_back_aware_utc_to_the_microsecond(
        self, kit: rk.RelationKit, when: pendulum.DateTime
    ) -> None:
        """A zoned datetime is stored as the same instant and read back as aware UTC."""
        alice = kit.customers.create(name="Alice")
        _buy(kit, alice.id, "1001", at=when)

        stored = kit.purchases.get("1001")

        assert (when, True, True) == (
            stored.occurred_at,
            _is_aware_utc(stored.occurred_at),
            _is_aware_utc(stored.recorded_at),
        )
        assert stored == _buy(kit, alice.id, "1001", at=when)

    def test_every_stored_datetime_is_aware_utc(self, kit: rk.RelationKit) -> None:
        """Customers, accounts, stage changes, interactions and refunds carry UTC datetimes."""
        alice = kit.customers.create(name="Alice")
        _buy(kit, alice.id, "1001")
        kit.purchases.refund(
            "1001", refund_id="r", amount=_eur("1.00"), occurred_at=T0.in_timezone("Asia/Tokyo")
        )
        kit.interactions.log(
            alice.id, channel="sms", direction="outbound", occurred_at=T0.in_timezone("UTC")
        )
        customer = kit.customers.get(alice.id)
        account = kit.accounts.get(alice.id)
        values: list[object] = [
            customer.created_at,
            customer.updated_at,
            account.created_at,
            account.stage_since,
            *(c.at for c in kit.lifecycle.history(alice.id)),
            *(i.occurred_at for i in kit.interactions.history(alice.id)),
            *(i.recorded_at for i in kit.interactions.history(alice.id)),
            *(r.occurred_at for r in kit.purchases.get("1001").refunds),
            *(r.recorded_at for r in kit.purchases.get("1001").refunds),
            *(e.at for e in kit.timeline(alice.id)),
        ]

        assert [True] * len(values) == [_is_aware_utc(v) for v in values]

    def test_long_keys_and_unicode_text_round_trip(self, kit: rk.RelationKit) -> None:
        """Host keys at their 128-character limit and long unicode text come back unchanged."""
        external_id = "ü" * 127 + "🎉"
        order_id = "注" * 128
        name = ("Zoë Łukasz 🎉 " * 15).strip()
        alice = kit.customers.create(name=name, external_id=external_id)
        notes = "Ünïcödé ✉️ " * 900
        _buy(kit, alice.id, order_id)
        logged = kit.interactions.log(
            alice.id, channel="email", direction="inbound", subject="ß" * 200, notes=notes
        )

        assert (alice, [logged], order_id) == (
            kit.customers.get_by_external_id(external_id),
            kit.interactions.history(alice.id),
            kit.purchases.get(order_id).order_id,
        )

    def test_ids_are_prefixed_and_sort_by_creation(
        self, kit: rk.RelationKit, clock: rk.FrozenClock
    ) -> None:
        """Ids carry their type prefix and sort in creation order, even on a frozen clock."""
        made = [kit.customers.create(name=f"C{n}") for n in range(4)]
        clock.advance(seconds=1)
        made.append(kit.customers.create(name="Later"))
        acme = kit.accounts.create(name="ACME")
        note = kit.interactions.log(acme.id, channel="web", direction="inbound")
        order = _buy(kit, made[0].id, "1")

        ids = [c.id for c in made]
        assert (sorted(ids), len(ids)) == (ids, len(set(ids)))
        assert ("acc_", "int_", "pur_") == (acme.id[:4], note.id[:4], order.id[:4])
        assert all(c.id.startswith("cus_") for c in made)

    def test_timeline_merges_everything_in_time_order(self, kit: rk.RelationKit) -> None:
        """timeline() merges stage changes, interactions, purchases and refunds by time."""
        alice = kit.customers.create(name="Alice")
        kit.interactions.log(
            alice.id, channel="email", direction="outbound", occurred_at=T0.add(days=2)
        )
        _buy(kit, alice.id, "1001", at=T0.add(days=1))
        kit.purchases.refund(
            "1001", refund_id="r-1", amount=_eur("5.00"), occurred_at=T0.add(days=3)
        )

        actual = [(e.kind, e.at) for e in kit.timeline(alice.id)]

        assert [
            ("stage", T0),
            ("stage", T0.add(days=1)),
            ("purchase", T0.add(days=1)),
            ("interaction", T0.add(days=2)),
            ("refund", T0.add(days=3)),
        ] == actual

    def test_timeline_of_a_contact_is_the_company_timeline(self, kit: rk.RelationKit) -> None:
        """A B2B contact's timeline is the account's: every contact's activity."""
        acme = kit.accounts.create(name="ACME")
        bob = kit.customers.create(name="Bob", account_id=acme.id, role="buyer")
        eve = kit.customers.create(name="Eve", account_id=acme.id, role="cfo")
        _buy(kit, bob.id, "b1", at=T0.add(hours=1))
        kit.interactions.log(
            eve.id, channel="phone", direction="inbound", occurred_at=T0.add(hours=2)
        )

        assert kit.timeline(acme.id) == kit.timeline(bob.id)
        assert [None, None, bob.id, eve.id] == [e.customer_id for e in kit.timeline(eve.id)]


# -- hooks and transactions ---------------------------------------------------


class HooksContract(ContractBase):
    """Hooks run after commit, never for rolled-back work; transactions are atomic."""

    def test_handler_sees_committed_data(self, kit: rk.RelationKit, storage: Storage) -> None:
        """A PurchaseRecorded handler can read the purchase in a fresh transaction."""
        alice = kit.customers.create(name="Alice")
        found: list[str | None] = []

        @kit.hooks.on(rk.events.PurchaseRecorded)
        def check(event: rk.events.PurchaseRecorded) -> None:
            with storage.transaction(write=False) as uow:
                stored = uow.purchases.get_many([event.order_id]).get(event.order_id)
            found.append(stored.order_id if stored else None)

        _buy(kit, alice.id, "1001")

        assert ["1001"] == found

    def test_failed_operation_fires_nothing(self, kit: rk.RelationKit, events: list[Event]) -> None:
        """An operation that raises (a conflicting replay) dispatches no event."""
        alice = kit.customers.create(name="Alice")
        _buy(kit, alice.id, "1001")
        seen = len(events)

        with pytest.raises(IdempotencyConflict):
            _buy(kit, alice.id, "1001", "1.00")

        assert seen == len(events)

    def test_rolled_back_transaction_fires_nothing_and_writes_nothing(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """Work inside kit.transaction() that ends in an exception is undone, unheard."""

        def work() -> None:
            with kit.transaction():
                alice = kit.customers.create(email="alice@example.com", name="Alice")
                _buy(kit, alice.id, "1001")
                raise _Boom

        with pytest.raises(_Boom):
            work()

        assert ([], 0, 0) == (events, kit.customers.count(), kit.purchases.count())

    def test_transaction_fires_hooks_once_after_the_block(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """Inside kit.transaction() no handler runs; at its end, all events run in order."""
        during: list[int] = []
        with kit.transaction():
            alice = kit.customers.create(name="Alice")
            _buy(kit, alice.id, "1001")
            during.append(len(events))

        assert [0] == during
        assert [
            AccountCreated,
            StageChanged,
            CustomerCreated,
            PurchaseRecorded,
            StageChanged,
        ] == [type(e) for e in events]

    def test_nested_failure_rolls_back_only_the_inner_block(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """A failing nested block is undone alone; the outer work commits, gap-free."""

        def inner(customer_id: str) -> None:
            with kit.transaction():
                _buy(kit, customer_id, "1001")
                raise _Boom

        with kit.transaction():
            alice = kit.customers.create(name="Alice")
            with pytest.raises(_Boom):
                inner(alice.id)
            kit.interactions.log(alice.id, channel="email", direction="outbound")

        assert (0, "lead", 1) == (
            kit.purchases.count(),
            kit.lifecycle.stage(alice.id),
            len(kit.interactions.history(alice.id)),
        )
        assert [
            (AccountCreated, 1),
            (StageChanged, 2),
            (CustomerCreated, 3),
            (InteractionLogged, 4),
        ] == [(type(e), e.sequence) for e in events]

    def test_failed_operation_inside_a_transaction_undoes_only_itself(
        self, kit: rk.RelationKit
    ) -> None:
        """An operation raising inside kit.transaction() leaves the rest of the block."""
        with kit.transaction():
            alice = kit.customers.create(email="alice@example.com", name="Alice")
            with pytest.raises(Conflict):
                kit.customers.create(email="alice@example.com", name="Again")
            _buy(kit, alice.id, "1001")

        assert (1, 1) == (kit.customers.count(), kit.purchases.count())

    def test_failing_handler_does_not_undo_the_commit(self, kit: rk.RelationKit) -> None:
        """A handler that raises surfaces as HookError; the purchase stays recorded."""
        alice = kit.customers.create(name="Alice")

        def broken(event: rk.events.PurchaseRecorded) -> None:
            raise RuntimeError("mail server down")

        kit.hooks.on(rk.events.PurchaseRecorded, broken)

        with pytest.raises(rk.errors.HookError):
            _buy(kit, alice.id, "1001")

        assert "1001" == kit.purchases.get("1001").order_id

    def test_events_carry_the_clock_time_and_the_account(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """Events are stamped by the kit's clock and name the account they belong to."""
        alice = kit.customers.create(name="Alice")

        _buy(kit, alice.id, "1001", at=T0.subtract(days=3))
        kit.purchases.refund("1001", refund_id="r", amount=_eur("1.00"))

        purchase = next(e for e in events if isinstance(e, PurchaseRecorded))
        refund = next(e for e in events if isinstance(e, PurchaseRefunded))
        assert {alice.account_id} == {e.aggregate_id for e in events}
        assert {T0} == {e.occurred_at for e in events}
        assert (T0.subtract(days=3), _eur("1.00")) == (purchase.purchased_at, refund.amount)


# -- event sequences ----------------------------------------------------------


class EventsContract(ContractBase):
    """Per-account event sequences: 1, 2, 3, ... with no gaps, across kits."""

    def test_sequences_are_gap_free_per_account(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """Each account's events number 1..n whatever else happens in between."""
        alice = kit.customers.create(name="Alice")
        acme = kit.accounts.create(name="ACME")
        bob = kit.customers.create(name="Bob", account_id=acme.id, role="buyer")
        _buy(kit, alice.id, "a1")
        _buy(kit, bob.id, "b1")
        kit.lifecycle.move(alice.id, "loyal")
        kit.interactions.log(bob.id, channel="email", direction="inbound")

        for account_id in (alice.account_id, acme.id):
            numbers = _sequences(events, account_id)
            assert list(range(1, len(numbers) + 1)) == numbers
        assert [AccountCreated, StageChanged, CustomerCreated, ContactAdded] == [
            type(e) for e in events if e.aggregate_id == acme.id
        ][:4]

    def test_account_version_is_the_last_sequence(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """Account.version is the sequence number of its last committed event."""
        alice = kit.customers.create(name="Alice")
        _buy(kit, alice.id, "a1")

        assert events[-1].sequence == kit.accounts.get(alice.id).version

    def test_rolled_back_work_leaves_no_gap(self, kit: rk.RelationKit, events: list[Event]) -> None:
        """After a rolled-back transaction, the next event takes the next committed number."""
        alice = kit.customers.create(name="Alice")

        def work() -> None:
            with kit.transaction():
                kit.interactions.log(alice.id, channel="email", direction="outbound")
                raise _Boom

        with pytest.raises(_Boom):
            work()

        kit.interactions.log(alice.id, channel="phone", direction="outbound")

        assert [1, 2, 3, 4] == _sequences(events, alice.account_id)

    def test_sequences_continue_in_a_new_kit(
        self, kit: rk.RelationKit, storage: Storage, clock: rk.FrozenClock
    ) -> None:
        """A second kit over the same store continues each account's sequence."""
        alice = kit.customers.create(name="Alice")
        kit.close()
        again = rk.open(storage=storage, clock=clock)
        seen: list[Event] = []
        again.hooks.on(Event, seen.append)

        again.interactions.log(alice.id, channel="email", direction="outbound")
        again.close()

        assert [4] == [e.sequence for e in seen]


# -- persistence and handles --------------------------------------------------


class PersistenceContract(ContractBase):
    """Several handles over one store; data that survives closing (multi_process backends)."""

    def test_data_survives_close_and_reopen(
        self,
        kit: rk.RelationKit,
        storage: Storage,
        clock: rk.FrozenClock,
        second_handle: Callable[[], Storage],
    ) -> None:
        """Everything written before close() is there, equal, after re-opening."""
        alice = kit.customers.create(email="alice@example.com", name="Alice", external_id="u1")
        _buy(kit, alice.id, "1001", lines=[rk.LineItem(sku="A", quantity=2, unit_price=_eur("1"))])
        kit.purchases.refund("1001", refund_id="r", amount=_eur("0.50"))
        before = (kit.customers.get(alice.id), kit.purchases.get("1001"), kit.timeline(alice.id))
        kit.close()
        storage.close()

        with rk.open(storage=second_handle(), clock=clock) as reopened:
            after = (
                reopened.customers.get_by_email("alice@example.com"),
                reopened.purchases.get("1001"),
                reopened.timeline(alice.id),
            )

        assert before == after

    def test_sequences_continue_after_reopen(
        self,
        kit: rk.RelationKit,
        storage: Storage,
        clock: rk.FrozenClock,
        second_handle: Callable[[], Storage],
    ) -> None:
        """An account's event numbers continue after the store is closed and re-opened."""
        alice = kit.customers.create(name="Alice")
        _buy(kit, alice.id, "1001")
        kit.close()
        storage.close()
        seen: list[Event] = []

        with rk.open(storage=second_handle(), clock=clock) as reopened:
            reopened.hooks.on(Event, seen.append)
            reopened.interactions.log(alice.id, channel="email", direction="outbound")

        assert [6] == [e.sequence for e in seen]

    def test_commit_is_visible_to_another_handle(
        self,
        kit: rk.RelationKit,
        clock: rk.FrozenClock,
        second_handle: Callable[[], Storage],
    ) -> None:
        """What one handle commits, another handle reads."""
        other = rk.open(storage=second_handle(), clock=clock)
        alice = kit.customers.create(name="Alice")

        assert alice == other.customers.get(alice.id)
        other.close()

    def test_uncommitted_work_is_invisible_to_another_handle(
        self, storage: Storage, second_handle: Callable[[], Storage]
    ) -> None:
        """Another handle does not see a write transaction's rows before it commits."""
        other = second_handle()
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([_port_account("acc_1")])
            with other.transaction(write=False) as peek:
                during = peek.accounts.get("acc_1")
        with other.transaction(write=False) as peek:
            after = peek.accounts.get("acc_1")

        assert (None, "acc_1") == (during, after.id if after else None)


class ConcurrencyContract(ContractBase):
    """Two kits writing at once, from two threads: nothing lost, nothing twice.

    On a backend declaring ``Capabilities(multi_process=True)`` the second kit
    uses a second handle (its own connections); otherwise it shares the store.
    """

    @pytest.fixture
    def rival(self, storage: Storage, clock: rk.FrozenClock) -> Iterator[rk.RelationKit]:
        """Another kit over the same data, for another thread."""
        handle = self.make_second_handle() if storage.capabilities.multi_process else storage
        rival = rk.open(storage=handle, clock=clock)
        yield rival
        rival.close()
        if handle is not storage:
            handle.close()

    def test_concurrent_writers_keep_sequences_gap_free(
        self,
        kit: rk.RelationKit,
        rival: rk.RelationKit,
    ) -> None:
        """Two kits writing one account at once lose nothing and number events 1..n."""
        alice = kit.customers.create(name="Alice")
        kits = [kit, rival]
        seen: list[Event] = []
        lock = threading.Lock()

        def keep(event: Event) -> None:
            with lock:
                seen.append(event)

        for k in kits:
            k.hooks.on(InteractionLogged, keep)
        failures: list[BaseException] = []

        def work(k: rk.RelationKit) -> None:
            try:
                for _ in range(8):
                    k.interactions.log(alice.id, channel="chat", direction="inbound")
            except BaseException as exc:  # reported below, in the test's thread
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(k,)) for k in kits]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        assert [] == failures
        assert list(range(4, 20)) == sorted(e.sequence for e in seen)
        assert 16 == len(kit.interactions.history(alice.id))

    def test_concurrent_creates_of_one_email_make_one_customer(
        self,
        kit: rk.RelationKit,
        rival: rk.RelationKit,
    ) -> None:
        """Two kits creating the same email at once: one customer, one Conflict."""
        kits = [kit, rival]
        start = threading.Barrier(len(kits))
        outcomes: list[str] = []

        def create(k: rk.RelationKit) -> None:
            start.wait()
            try:
                k.customers.create(email="same@example.com", name="Racer")
                outcomes.append("created")
            except Conflict:
                outcomes.append("Conflict")
            except BaseException as exc:  # reported below, in the test's thread
                outcomes.append(repr(exc))

        threads = [threading.Thread(target=create, args=(k,)) for k in kits]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        assert (["Conflict", "created"], 1) == (sorted(outcomes), kit.customers.count())

    def test_concurrent_replays_record_each_order_once(
        self,
        kit: rk.RelationKit,
        rival: rk.RelationKit,
    ) -> None:
        """Two kits recording the same orders at once store and announce each once."""
        alice = kit.customers.create(name="Alice")
        kits = [kit, rival]
        recorded: list[str] = []
        lock = threading.Lock()

        def keep(event: PurchaseRecorded) -> None:
            with lock:
                recorded.append(event.order_id)

        for k in kits:
            k.hooks.on(PurchaseRecorded, keep)
        start = threading.Barrier(len(kits))
        failures: list[BaseException] = []

        def record(k: rk.RelationKit) -> None:
            start.wait()
            try:
                for n in range(6):
                    _buy(k, alice.id, f"o{n}", f"{n}.00")
            except BaseException as exc:  # reported below, in the test's thread
                failures.append(exc)

        threads = [threading.Thread(target=record, args=(k,)) for k in kits]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        expected = [f"o{n}" for n in range(6)]
        assert ([], expected, 6) == (failures, sorted(recorded), kit.purchases.count())


# -- the storage port ---------------------------------------------------------


def _port_account(account_id: str, *, stage: str = "lead", at: pendulum.DateTime = T0) -> Account:
    return Account(
        id=account_id,
        name=f"Account {account_id}",
        kind=AccountKind.B2B,
        stage=stage,
        stage_since=at,
        created_at=at,
    )


def _port_customer(
    customer_id: str,
    account_id: str,
    *,
    email: str | None = None,
    external_id: str | None = None,
) -> Customer:
    return Customer(
        id=customer_id,
        account_id=account_id,
        email=email,
        name=f"Person {customer_id}",
        external_id=external_id,
        created_at=T0,
        updated_at=T0,
    )


def _port_purchase(
    purchase_id: str,
    order_id: str,
    account_id: str,
    customer_id: str,
    *,
    at: pendulum.DateTime = T0,
    total: Money | None = None,
) -> Purchase:
    return Purchase(
        id=purchase_id,
        order_id=order_id,
        account_id=account_id,
        customer_id=customer_id,
        occurred_at=at,
        total=total or _eur("10.00"),
        lines=(LineItem(sku="SKU", quantity=1, unit_price=total or _eur("10.00")),),
        recorded_at=T0,
    )


def _port_interaction(interaction_id: str, account_id: str, at: pendulum.DateTime) -> Interaction:
    return Interaction(
        id=interaction_id,
        account_id=account_id,
        customer_id=None,
        channel=Channel.EMAIL,
        direction=Direction.OUTBOUND,
        occurred_at=at,
        recorded_at=T0,
    )


def _seed(uow: UnitOfWork) -> None:
    """Insert account acc_1 with customer cus_1 (alice@example.com, external id x1)."""
    uow.accounts.add_many([_port_account("acc_1")])
    uow.customers.add_many(
        [_port_customer("cus_1", "acc_1", email="alice@example.com", external_id="x1")]
    )


class PortContract(ContractBase):
    """The storage port itself: transactions, savepoints, uniqueness, ordering."""

    def test_storage_meets_the_protocol(self, storage: Storage) -> None:
        """The backend is a relationkit.Storage and supports savepoints (required)."""
        assert (True, True) == (isinstance(storage, rk.Storage), storage.capabilities.savepoints)

    def test_close_is_idempotent_and_final(self, storage: Storage) -> None:
        """close() twice is fine; a transaction afterwards raises StorageError."""
        storage.close()
        storage.close()

        with pytest.raises(StorageError), storage.transaction(write=False):
            pass

    def test_normal_exit_commits(self, storage: Storage) -> None:
        """Leaving a write transaction normally commits its writes."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([_port_account("acc_1")])

        with storage.transaction(write=False) as uow:
            assert _port_account("acc_1") == uow.accounts.get("acc_1")

    def test_exception_rolls_everything_back(self, storage: Storage) -> None:
        """An exception leaving a write transaction undoes all its writes."""

        def work() -> None:
            with storage.transaction(write=True) as uow:
                _seed(uow)
                raise _Boom

        with pytest.raises(_Boom):
            work()

        with storage.transaction(write=False) as uow:
            assert (None, None) == (uow.accounts.get("acc_1"), uow.customers.get("cus_1"))

    def test_savepoint_undoes_only_its_own_writes(self, storage: Storage) -> None:
        """A failing savepoint undoes what it wrote; the enclosing transaction commits."""

        def failing(uow: UnitOfWork) -> None:
            with uow.savepoint():
                uow.accounts.add_many([_port_account("acc_2")])
                uow.accounts.update_many([_port_account("acc_1", stage="churned")])
                raise _Boom

        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([_port_account("acc_1")])
            with pytest.raises(_Boom):
                failing(uow)
            uow.accounts.add_many([_port_account("acc_3")])

        with storage.transaction(write=False) as uow:
            assert ["acc_1", "acc_3"] == uow.accounts.ids()
            assert "lead" == uow.accounts.get("acc_1").stage  # type: ignore[union-attr]

    def test_nested_savepoints(self, storage: Storage) -> None:
        """An inner savepoint's failure keeps the outer savepoint's writes."""

        def failing(uow: UnitOfWork) -> None:
            with uow.savepoint():
                uow.accounts.add_many([_port_account("acc_2")])
                raise _Boom

        with storage.transaction(write=True) as uow, uow.savepoint():
            uow.accounts.add_many([_port_account("acc_1")])
            with pytest.raises(_Boom):
                failing(uow)

        with storage.transaction(write=False) as uow:
            assert ["acc_1"] == uow.accounts.ids()

    @pytest.mark.parametrize(
        ("constraint", "clash"),
        [
            ("email", {"email": "ALICE@example.com"}),
            ("external_id", {"external_id": "x1"}),
        ],
    )
    def test_unique_customer_fields_raise_duplicate_key(
        self, storage: Storage, constraint: str, clash: dict[str, str]
    ) -> None:
        """Inserting a customer with a taken email (any case) or external id: DuplicateKey."""
        with storage.transaction(write=True) as uow:
            _seed(uow)

        with pytest.raises(DuplicateKey) as caught, storage.transaction(write=True) as uow:
            uow.customers.add_many([_port_customer("cus_2", "acc_1", **clash)])

        assert constraint == caught.value.constraint

    def test_update_to_a_taken_email_raises_duplicate_key(self, storage: Storage) -> None:
        """customers.update() to another customer's email raises DuplicateKey("email")."""
        with storage.transaction(write=True) as uow:
            _seed(uow)
            uow.customers.add_many([_port_customer("cus_2", "acc_1", email="bob@example.com")])

        with pytest.raises(DuplicateKey) as caught, storage.transaction(write=True) as uow:
            uow.customers.update(_port_customer("cus_2", "acc_1", email="Alice@example.com"))

        assert "email" == caught.value.constraint

    def test_duplicate_order_id_raises_duplicate_key(self, storage: Storage) -> None:
        """A second purchase with a stored order id raises DuplicateKey("order_id")."""
        with storage.transaction(write=True) as uow:
            _seed(uow)
            uow.purchases.add_many([_port_purchase("pur_1", "o1", "acc_1", "cus_1")])

        with pytest.raises(DuplicateKey) as caught, storage.transaction(write=True) as uow:
            uow.purchases.add_many([_port_purchase("pur_2", "o1", "acc_1", "cus_1")])

        assert "order_id" == caught.value.constraint

    def test_duplicate_refund_id_raises_duplicate_key(self, storage: Storage) -> None:
        """A second refund with a stored refund id raises DuplicateKey("refund_id")."""
        refund = Refund(
            refund_id="r1", order_id="o1", amount=_eur("1.00"), occurred_at=T0, recorded_at=T0
        )
        with storage.transaction(write=True) as uow:
            _seed(uow)
            uow.purchases.add_many([_port_purchase("pur_1", "o1", "acc_1", "cus_1")])
            uow.purchases.add_refund(refund)

        with pytest.raises(DuplicateKey) as caught, storage.transaction(write=True) as uow:
            uow.purchases.add_refund(refund)

        assert "refund_id" == caught.value.constraint

    def test_duplicate_idempotency_key_raises_duplicate_key(self, storage: Storage) -> None:
        """A second record for a stored (scope, key) raises DuplicateKey; get finds the first."""
        record = IdempotencyRecord(
            scope="redeem", key="k1", payload_hash="h1", result="ok", created_at=T0
        )
        with storage.transaction(write=True) as uow:
            uow.idempotency.add(record)
            uow.idempotency.add(
                IdempotencyRecord(
                    scope="other", key="k1", payload_hash="h2", result="ok", created_at=T0
                )
            )

        with pytest.raises(DuplicateKey) as caught, storage.transaction(write=True) as uow:
            uow.idempotency.add(record)

        with storage.transaction(write=False) as uow:
            assert record == uow.idempotency.get("redeem", "k1")
        assert "idempotency_key" == caught.value.constraint

    def test_duplicate_key_leaves_the_transaction_to_roll_back(self, storage: Storage) -> None:
        """Rows written earlier in a transaction that hits DuplicateKey are rolled back."""
        with storage.transaction(write=True) as uow:
            _seed(uow)

        def work() -> None:
            with storage.transaction(write=True) as uow:
                uow.accounts.add_many([_port_account("acc_2")])
                uow.customers.add_many([_port_customer("cus_2", "acc_2", external_id="x1")])

        with pytest.raises(DuplicateKey):
            work()

        with storage.transaction(write=False) as uow:
            assert ["acc_1"] == uow.accounts.ids()

    def test_duplicate_key_in_a_savepoint_keeps_the_transaction(self, storage: Storage) -> None:
        """A DuplicateKey caught at a savepoint leaves the transaction usable."""
        with storage.transaction(write=True) as uow:
            _seed(uow)
            with pytest.raises(DuplicateKey), uow.savepoint():
                uow.customers.add_many([_port_customer("cus_2", "acc_1", external_id="x1")])
            uow.accounts.add_many([_port_account("acc_2")])

        with storage.transaction(write=False) as uow:
            assert ["acc_1", "acc_2"] == uow.accounts.ids()

    def test_customer_lookups(self, storage: Storage) -> None:
        """by_email takes the lower-cased key; by_external_ids and get_many skip unknowns."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([_port_account("acc_1")])
            alice = _port_customer("cus_1", "acc_1", email="Alice@Example.com", external_id="x1")
            uow.customers.add_many([alice])

        with storage.transaction(write=False) as uow:
            assert (alice, {"x1": alice}, {"cus_1": alice}) == (
                uow.customers.by_email("alice@example.com"),
                uow.customers.by_external_ids(["x1", "nope"]),
                uow.customers.get_many(["cus_1", "cus_nope"]),
            )

    def test_account_updates_are_stored(self, storage: Storage) -> None:
        """update_many stores name, stage, stage_since and version."""
        changed = Account(
            id="acc_1",
            name="Renamed",
            kind=AccountKind.B2B,
            stage="customer",
            stage_since=T0.add(days=1),
            created_at=T0,
            version=7,
        )
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([_port_account("acc_1")])
        with storage.transaction(write=True) as uow:
            uow.accounts.update_many([changed])

        with storage.transaction(write=False) as uow:
            assert {"acc_1": changed} == uow.accounts.get_many(["acc_1", "acc_404"])

    def test_account_ids_page_in_id_order(self, storage: Storage) -> None:
        """accounts.ids() returns ids in id order, after ``after``, at most ``limit``."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([_port_account(f"acc_{n}") for n in (3, 1, 4, 2, 5)])

        with storage.transaction(write=False) as uow:
            assert (["acc_1", "acc_2"], ["acc_3", "acc_4"], ["acc_5"]) == (
                uow.accounts.ids(limit=2),
                uow.accounts.ids(after="acc_2", limit=2),
                uow.accounts.ids(after="acc_4", limit=2),
            )

    def test_count_by_stage_leaves_out_empty_stages(self, storage: Storage) -> None:
        """count_by_stage() counts accounts per stage, listing only stages with some."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many(
                [
                    _port_account("acc_1"),
                    _port_account("acc_2", stage="customer"),
                    _port_account("acc_3", stage="customer"),
                ]
            )

        with storage.transaction(write=False) as uow:
            assert {"lead": 1, "customer": 2} == uow.accounts.count_by_stage()

    def test_customers_of_an_account_in_id_order(self, storage: Storage) -> None:
        """customers.for_account() lists an account's people by id."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([_port_account("acc_1"), _port_account("acc_2")])
            uow.customers.add_many(
                [
                    _port_customer("cus_2", "acc_1"),
                    _port_customer("cus_3", "acc_2"),
                    _port_customer("cus_1", "acc_1"),
                ]
            )

        with storage.transaction(write=False) as uow:
            assert (["cus_1", "cus_2"], 3) == (
                [c.id for c in uow.customers.for_account("acc_1")],
                uow.customers.count(),
            )

    def test_stage_history_is_oldest_first(self, storage: Storage) -> None:
        """stages.for_account() returns changes in the order they were appended."""
        changes = [
            StageChange(account_id="acc_1", from_stage=None, to_stage="lead", at=T0),
            StageChange(
                account_id="acc_1", from_stage="lead", to_stage="customer", at=T0, automatic=True
            ),
            StageChange(
                account_id="acc_1",
                from_stage="customer",
                to_stage="loyal",
                at=T0.add(days=1),
                reason="ten orders",
            ),
        ]
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([_port_account("acc_1")])
            uow.stages.add_many(changes[:2])
        with storage.transaction(write=True) as uow:
            uow.stages.add_many(changes[2:])

        with storage.transaction(write=False) as uow:
            assert changes == uow.stages.for_account("acc_1")

    def test_interactions_in_occurred_at_then_id_order(self, storage: Storage) -> None:
        """interactions.for_account() orders by occurred_at, ties broken by id."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([_port_account("acc_1")])
            for interaction_id, hours in (("int_4", 1), ("int_2", 2), ("int_3", 1), ("int_1", 3)):
                uow.interactions.add(
                    _port_interaction(interaction_id, "acc_1", T0.add(hours=hours))
                )

        with storage.transaction(write=False) as uow:
            assert ["int_3", "int_4", "int_2", "int_1"] == [
                i.id for i in uow.interactions.for_account("acc_1")
            ]

    def test_purchases_in_occurred_at_then_id_order(self, storage: Storage) -> None:
        """purchases.for_account() orders by occurred_at, ties broken by id."""
        with storage.transaction(write=True) as uow:
            _seed(uow)
            uow.purchases.add_many(
                [
                    _port_purchase("pur_4", "o4", "acc_1", "cus_1", at=T0.add(hours=1)),
                    _port_purchase("pur_2", "o2", "acc_1", "cus_1", at=T0.add(hours=2)),
                    _port_purchase("pur_3", "o3", "acc_1", "cus_1", at=T0.add(hours=1)),
                ]
            )

        with storage.transaction(write=False) as uow:
            assert (["o3", "o4", "o2"], 3) == (
                [p.order_id for p in uow.purchases.for_account("acc_1")],
                uow.purchases.count(),
            )

    def test_purchases_come_back_with_their_refunds(self, storage: Storage) -> None:
        """get_many() returns purchases with lines and refunds, oldest refund first."""
        purchase = _port_purchase("pur_1", "o1", "acc_1", "cus_1", total=_eur("30.00"))
        refunds = [
            Refund(
                refund_id=f"r{n}",
                order_id="o1",
                amount=_eur("1.00"),
                occurred_at=T0.add(hours=n),
                reason=None if n % 2 else "damaged",
                recorded_at=T0,
            )
            for n in (1, 2)
        ]
        with storage.transaction(write=True) as uow:
            _seed(uow)
            uow.purchases.add_many([purchase])
            uow.purchases.add_refund(refunds[0])
        with storage.transaction(write=True) as uow:
            uow.purchases.add_refund(refunds[1])

        with storage.transaction(write=False) as uow:
            assert ({"o1": attrs.evolve(purchase, refunds=tuple(refunds))}, refunds[1]) == (
                uow.purchases.get_many(["o1", "o404"]),
                uow.purchases.get_refund("r2"),
            )

    def test_spend_orders_by_net_spend_then_account(self, storage: Storage) -> None:
        """spend() sums one currency net of refunds, biggest first, ties by account id."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([_port_account(f"acc_{n}") for n in (1, 2, 3)])
            uow.customers.add_many([_port_customer(f"cus_{n}", f"acc_{n}") for n in (1, 2, 3)])
            uow.purchases.add_many(
                [
                    _port_purchase("pur_1", "o1", "acc_2", "cus_2", total=_eur("5.00")),
                    _port_purchase("pur_2", "o2", "acc_1", "cus_1", total=_eur("3.00")),
                    _port_purchase("pur_3", "o3", "acc_1", "cus_1", total=_eur("2.00")),
                    _port_purchase("pur_4", "o4", "acc_3", "cus_3", total=_eur("9.00")),
                    _port_purchase("pur_5", "o5", "acc_3", "cus_3", total=Money("99", "USD")),
                ]
            )
            uow.purchases.add_refund(
                Refund(
                    refund_id="r",
                    order_id="o4",
                    amount=_eur("8.00"),
                    occurred_at=T0,
                    recorded_at=T0,
                )
            )

        with storage.transaction(write=False) as uow:
            assert [
                SpendRow(account_id="acc_1", currency="EUR", net_minor=500, orders=2),
                SpendRow(account_id="acc_2", currency="EUR", net_minor=500, orders=1),
            ] == uow.purchases.spend(currency="EUR", limit=2)


# -- everything ---------------------------------------------------------------


class StorageContract(
    CustomersContract,
    AccountsContract,
    LifecycleContract,
    InteractionsContract,
    PurchasesContract,
    ValuesContract,
    HooksContract,
    EventsContract,
    PersistenceContract,
    ConcurrencyContract,
    PortContract,
):
    """The whole contract: subclass it with a ``Test`` name and implement make_storage()."""
