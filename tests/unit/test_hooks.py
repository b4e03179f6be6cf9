"""Event hooks: order, subscription by base class, error policies, and dispatch after commit."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relationkit as rk
from relationkit import events as ev
from relationkit.errors import HookError, RelationKitError, ValidationError

START = pendulum.datetime(2026, 1, 1, tz="UTC")


def _stage_changed(sequence: int = 1) -> ev.StageChanged:
    return ev.StageChanged(
        event_id=f"evt_{sequence}",
        occurred_at=START,
        aggregate_id="acc_1",
        sequence=sequence,
        from_stage="lead",
        to_stage="qualified",
    )


def _points_earned(sequence: int = 1) -> ev.PointsEarned:
    return ev.PointsEarned(
        event_id=f"evt_p{sequence}",
        occurred_at=START,
        aggregate_id="acc_1",
        sequence=sequence,
        points=10,
        entry_id="led_1",
        reason="welcome",
    )


@pytest.fixture
def kit() -> Iterator[rk.RelationKit]:
    with rk.open(clock=rk.FrozenClock(START)) as opened:
        yield opened


# -- the registry on its own ---------------------------------------------------


def test_handlers_run_in_registration_order_per_event() -> None:
    """For each event in turn, every matching handler runs in the order it was registered."""
    hooks = rk.Hooks()
    calls: list[tuple[str, int]] = []
    hooks.on(ev.Event, lambda e: calls.append(("first", e.sequence)))
    hooks.on(ev.StageChanged, lambda e: calls.append(("second", e.sequence)))
    hooks.on(ev.AccountEvent, lambda e: calls.append(("third", e.sequence)))

    hooks.dispatch([_stage_changed(1), _stage_changed(2)])

    expected = [
        ("first", 1),
        ("second", 1),
        ("third", 1),
        ("first", 2),
        ("second", 2),
        ("third", 2),
    ]
    assert expected == calls


def test_base_class_subscription_receives_subclasses_only() -> None:
    """A LoyaltyEvent handler gets PointsEarned but not StageChanged."""
    hooks = rk.Hooks()
    loyalty: list[ev.Event] = []
    everything: list[ev.Event] = []
    hooks.on(ev.LoyaltyEvent, loyalty.append)
    hooks.on(ev.Event, everything.append)
    earned, changed = _points_earned(), _stage_changed()

    hooks.dispatch([changed, earned])

    assert [earned] == loyalty
    assert [changed, earned] == everything
    assert hooks.wants(ev.PointsEarned)
    assert not rk.Hooks().wants(ev.PointsEarned)


def test_decorator_and_direct_forms_both_register_and_return_the_handler() -> None:
    """``@hooks.on(T)`` and ``hooks.on(T, fn)`` register fn and hand it back unchanged."""
    hooks = rk.Hooks()
    seen: list[str] = []

    @hooks.on(ev.StageChanged)
    def decorated(event: ev.StageChanged) -> None:
        seen.append("decorated")

    def direct(event: ev.StageChanged) -> None:
        seen.append("direct")

    returned = hooks.on(ev.StageChanged, direct)
    hooks.dispatch([_stage_changed()])

    assert direct is returned
    assert callable(decorated)
    expected = ["decorated", "direct"]
    assert expected == seen


def test_off_unregisters_every_subscription_of_a_handler() -> None:
    """off(fn) removes fn wherever it was subscribed; other handlers stay."""
    hooks = rk.Hooks()
    seen: list[str] = []

    def gone(event: ev.Event) -> None:
        seen.append("gone")

    hooks.on(ev.Event, gone)
    hooks.on(ev.StageChanged, gone)
    hooks.on(ev.Event, lambda e: seen.append("kept"))
    hooks.off(gone)
    hooks.dispatch([_stage_changed()])

    expected = ["kept"]
    assert expected == seen


def test_subscribing_to_a_non_event_is_rejected() -> None:
    """Only event classes can be subscribed to."""
    with pytest.raises(ValidationError) as caught:
        rk.Hooks().on(int, print)  # type: ignore[type-var]

    expected = "event_type"
    assert expected == caught.value.field


def test_unknown_error_policy_is_rejected() -> None:
    """The policy is one of raise, log, collect."""
    with pytest.raises(ValidationError):
        rk.Hooks("ignore")  # type: ignore[arg-type]


def test_raise_policy_raises_one_group_after_all_handlers_ran() -> None:
    """Failures are gathered; HookError (an ExceptionGroup and a RelationKitError) comes last."""
    hooks = rk.Hooks("raise")
    ran: list[str] = []
    boom, bang = RuntimeError("boom"), KeyError("bang")

    def first(event: ev.Event) -> None:
        ran.append("first")
        raise boom

    def second(event: ev.Event) -> None:
        ran.append("second")

    def third(event: ev.Event) -> None:
        ran.append("third")
        raise bang

    for handler in (first, second, third):
        hooks.on(ev.Event, handler)

    with pytest.raises(HookError) as caught:
        hooks.dispatch([_stage_changed()])

    expected = ["first", "second", "third"]
    assert expected == ran
    assert (boom, bang) == caught.value.exceptions
    assert isinstance(caught.value, ExceptionGroup)
    assert isinstance(caught.value, RelationKitError)
    assert not hooks.errors


def test_hook_error_works_with_except_star() -> None:
    """A host can pick the failures it knows with ``except*``; the rest stays a HookError."""
    hooks = rk.Hooks()
    handled: list[type[BaseException]] = []

    def bad_value(event: ev.Event) -> None:
        raise ValueError("v")

    def missing_key(event: ev.Event) -> None:
        raise KeyError("k")

    def dispatch_handling_value_errors() -> None:
        try:
            hooks.dispatch([_stage_changed()])
        except* ValueError as group:
            handled.extend(type(e) for e in group.exceptions)

    hooks.on(ev.Event, bad_value)
    hooks.on(ev.Event, missing_key)
    with pytest.raises(HookError) as rest:
        dispatch_handling_value_errors()

    assert [ValueError] == handled
    assert [KeyError] == [type(e) for e in rest.value.exceptions]


def test_log_policy_logs_each_failure_and_carries_on(caplog: pytest.LogCaptureFixture) -> None:
    """With "log", every failure is logged at ERROR on relationkit.hooks; nothing is raised."""
    hooks = rk.Hooks("log")
    ran: list[int] = []

    def failing(event: ev.Event) -> None:
        ran.append(event.sequence)
        raise RuntimeError("handler bug")

    hooks.on(ev.Event, failing)
    with caplog.at_level(logging.ERROR, logger="relationkit.hooks"):
        hooks.dispatch([_stage_changed(1), _stage_changed(2)])

    expected = [1, 2]
    assert expected == ran
    expected_records = 2
    assert expected_records == len([r for r in caplog.records if r.name == "relationkit.hooks"])
    assert all(r.levelno == logging.ERROR for r in caplog.records)
    assert not hooks.errors


def test_collect_policy_keeps_failures_for_the_host() -> None:
    """With "collect", failures pile up in hooks.errors and nothing is raised."""
    hooks = rk.Hooks("collect")
    boom = RuntimeError("boom")

    def failing(event: ev.Event) -> None:
        raise boom

    hooks.on(ev.Event, failing)
    hooks.dispatch([_stage_changed(1)])
    hooks.dispatch([_stage_changed(2)])

    assert [boom, boom] == hooks.errors


# -- through a kit -------------------------------------------------------------


def test_handlers_run_after_commit_and_see_committed_data(kit: rk.RelationKit) -> None:
    """A handler can read, through the kit, the customer whose creation it is told about."""
    found: list[str] = []

    @kit.hooks.on(ev.CustomerCreated)
    def look(event: ev.CustomerCreated) -> None:
        found.append(kit.customers.get(event.customer_id).id)

    customer = kit.customers.create(email="after@example.com")

    assert [customer.id] == found


def test_no_handler_runs_for_a_rolled_back_transaction(kit: rk.RelationKit) -> None:
    """An exception leaving ``kit.transaction()`` rolls everything back and fires nothing."""
    seen: list[ev.Event] = []
    kit.hooks.on(ev.Event, seen.append)

    def fail_inside_a_transaction() -> None:
        with kit.transaction():
            kit.customers.create(email="rolled@example.com")
            raise LookupError("host failure")

    with pytest.raises(LookupError):
        fail_inside_a_transaction()

    assert not seen
    expected = 0
    assert expected == kit.customers.count()


def test_no_handler_runs_for_a_failed_operation(kit: rk.RelationKit) -> None:
    """An operation that raises (an invalid move) emits nothing."""
    customer = kit.customers.create(email="move@example.com")
    seen: list[ev.Event] = []
    kit.hooks.on(ev.Event, seen.append)

    with pytest.raises(rk.errors.InvalidTransition):
        kit.lifecycle.move(customer.id, "advocate")

    assert not seen


def test_a_failing_handler_does_not_undo_the_data(kit: rk.RelationKit) -> None:
    """With the raise policy the caller gets HookError, yet the customer is stored."""

    def broken(event: ev.CustomerCreated) -> None:
        raise RuntimeError("mailer down")

    kit.hooks.on(ev.CustomerCreated, broken)

    with pytest.raises(HookError):
        kit.customers.create(email="kept@example.com", external_id="shop-1")

    expected = "kept@example.com"
    assert expected == kit.customers.get_by_external_id("shop-1").email


def test_kit_hook_policy_is_passed_through_open() -> None:
    """``rk.open(hook_errors="collect")`` keeps failures instead of raising."""
    kit = rk.open(hook_errors="collect")
    boom = RuntimeError("boom")

    def broken(event: ev.CustomerCreated) -> None:
        raise boom

    kit.hooks.on(ev.CustomerCreated, broken)
    kit.customers.create(email="collect@example.com")

    assert [boom] == kit.hooks.errors


def test_transaction_fires_once_at_the_outermost_commit(kit: rk.RelationKit) -> None:
    """Inside ``kit.transaction()`` nothing fires; on exit each event fires exactly once."""
    seen: list[ev.Event] = []
    kit.hooks.on(ev.Event, seen.append)

    with kit.transaction():
        alice = kit.customers.create(email="alice@example.com")
        with kit.transaction():
            kit.lifecycle.move(alice.id, "qualified")
        kit.interactions.log(alice.id, channel=rk.Channel.EMAIL, direction=rk.Direction.OUTBOUND)
        assert not seen

    names = [type(e).__name__ for e in seen]
    expected = [
        "AccountCreated",
        "StageChanged",
        "CustomerCreated",
        "StageChanged",
        "InteractionLogged",
    ]
    assert expected == names
    assert len(seen) == len({e.event_id for e in seen})


def test_caught_nested_failure_rolls_back_only_the_inner_work(kit: rk.RelationKit) -> None:
    """A nested transaction that fails (and is caught) loses its writes and events only."""
    seen: list[ev.Event] = []
    kit.hooks.on(ev.Event, seen.append)

    with kit.transaction():
        alice = kit.customers.create(email="alice@example.com")
        try:
            with kit.transaction():
                kit.customers.create(email="bob@example.com")
                kit.lifecycle.move(alice.id, "qualified")
                raise RuntimeError("inner")
        except RuntimeError:
            pass
        kit.lifecycle.move(alice.id, "opportunity")

    expected_customers = 1
    assert expected_customers == kit.customers.count()
    expected_stage = "opportunity"
    assert expected_stage == kit.lifecycle.stage(alice.id)
    expected_history = ["lead", "opportunity"]
    assert expected_history == [c.to_stage for c in kit.lifecycle.history(alice.id)]
    assert {alice.account_id} == {e.aggregate_id for e in seen}
    expected_sequences = [1, 2, 3, 4]
    assert expected_sequences == [e.sequence for e in seen]


def test_sequence_numbers_are_per_account_and_gap_free(kit: rk.RelationKit) -> None:
    """Each account numbers its events 1, 2, 3, ...; accounts do not share a counter."""
    seen: list[ev.Event] = []
    kit.hooks.on(ev.Event, seen.append)

    alice = kit.customers.create(email="alice@example.com")
    bob = kit.customers.create(email="bob@example.com")
    kit.lifecycle.move(alice.id, "qualified")
    kit.purchases.record(
        order_id="1001",
        customer_id=bob.id,
        occurred_at=START,
        total=rk.Money("10", "EUR"),
    )
    kit.interactions.log(alice.id, channel="phone", direction="inbound")

    by_account: dict[str, list[int]] = defaultdict(list)
    for event in seen:
        by_account[event.aggregate_id].append(event.sequence)
    for sequences in by_account.values():
        assert list(range(1, len(sequences) + 1)) == sequences
    assert {alice.account_id, bob.account_id} == set(by_account)


def test_sequence_advances_even_when_nobody_listens(kit: rk.RelationKit) -> None:
    """Numbers do not depend on who subscribes: events made unheard still take a number."""
    alice = kit.customers.create(email="alice@example.com")  # events 1..3, unheard
    seen: list[ev.Event] = []
    kit.hooks.on(ev.StageChanged, seen.append)

    kit.lifecycle.move(alice.id, "qualified")

    expected = [4]
    assert expected == [e.sequence for e in seen]


@settings(max_examples=25, deadline=None)
@given(
    plan=st.lists(
        st.tuples(
            st.sampled_from(["move", "log", "buy", "bad_move"]),
            st.integers(0, 2),
            st.booleans(),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_sequences_stay_gap_free_whatever_fails(plan: list[tuple[str, int, bool]]) -> None:
    """Across random work, some of it rolled back, each account's numbers are 1..n."""
    kit = rk.open(clock=rk.FrozenClock(START))
    seen: list[ev.Event] = []
    kit.hooks.on(ev.Event, seen.append)
    people = [kit.customers.create(email=f"p{i}@example.com").id for i in range(3)]
    orders = iter(range(10_000))

    def act(action: str, who: str) -> None:
        if action == "move":
            stage = kit.lifecycle.stage(who)
            options = kit.lifecycle.graph.next_stages(stage)
            kit.lifecycle.move(who, options[0])
        elif action == "log":
            kit.interactions.log(who, channel="chat", direction="inbound")
        elif action == "buy":
            kit.purchases.record(
                order_id=str(next(orders)),
                customer_id=who,
                occurred_at=START,
                total=rk.Money("1", "EUR"),
            )
        else:
            kit.lifecycle.move(who, "no-such-stage")

    for action, index, nested_failure in plan:
        with kit.transaction():
            try:
                with kit.transaction():
                    act(action, people[index])
                    if nested_failure:
                        raise RuntimeError("rolled back")
            except (RuntimeError, ValidationError):
                pass

    by_account: dict[str, list[int]] = defaultdict(list)
    for event in seen:
        by_account[event.aggregate_id].append(event.sequence)
    for account_id, sequences in by_account.items():
        assert list(range(1, len(sequences) + 1)) == sequences
        assert sequences[-1] == kit.accounts.get(account_id).version
