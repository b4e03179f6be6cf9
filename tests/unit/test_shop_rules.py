"""The shop's input rules, on the memory backend: merge patches, caps, codes, dates."""

from __future__ import annotations

from typing import Any

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

import relationkit as rk
from relationkit import _validate as v
from relationkit.errors import Conflict, ValidationError
from relationkit.events import AccountUpdated, CustomerUpdated, Event

T0 = pendulum.datetime(2026, 3, 1, 12, tz="UTC")

_leaf = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text("ab", max_size=2))
_json = st.recursive(
    _leaf, lambda inner: st.dictionaries(st.sampled_from("abc"), inner, max_size=3), max_leaves=8
)
_objects = st.dictionaries(st.sampled_from("abcd"), _json, max_size=4)


@pytest.fixture
def kit() -> rk.RelationKit:
    """A memory kit at a frozen time."""
    return rk.open(clock=rk.FrozenClock(T0))


@given(target=_objects, patch=_objects)
def test_a_merge_patch_sets_removes_and_merges_as_rfc_7386(
    target: dict[str, Any], patch: dict[str, Any]
) -> None:
    """Each patched key is gone (None), merged (both mappings) or replaced; others stay."""
    merged = v.merge_patch(target, patch)

    for key, value in patch.items():
        if value is None:
            assert key not in merged
        elif isinstance(value, dict):
            base = target.get(key)
            expected = v.merge_patch(base if isinstance(base, dict) else {}, value)
            assert expected == merged[key]
        else:
            assert value == merged[key]
    assert {k: val for k, val in target.items() if k not in patch} == {
        k: val for k, val in merged.items() if k not in patch
    }


@given(target=_objects, patch=_objects)
def test_applying_a_merge_patch_twice_changes_nothing_more(
    target: dict[str, Any], patch: dict[str, Any]
) -> None:
    """A webhook retried with the same patch leaves the same attributes."""
    once = v.merge_patch(target, patch)

    assert once == v.merge_patch(once, patch)


@pytest.mark.parametrize(("given_code", "expected"), [("eur", "EUR"), (" usd ", "USD")])
def test_lower_case_iso_codes_are_normalised(given_code: str, expected: str) -> None:
    """Stripe's ``"eur"`` is EUR: stored, compared and shown upper case."""
    assert (expected, rk.Money("1.00", expected)) == (
        rk.Money("1", given_code).currency,
        rk.Money("1", given_code),
    )


def test_an_unknown_code_names_the_close_known_ones() -> None:
    """``"EURO"`` is refused with ``did you mean 'EUR'`` in the message."""
    with pytest.raises(ValidationError) as caught:
        rk.Money("1", "euro")

    assert "currency" == caught.value.field
    assert "did you mean 'EUR'" in str(caught.value)


def test_attributes_over_the_cap_are_refused_and_nothing_is_stored() -> None:
    """max_attribute_bytes caps the merged attributes of upserts, creates and accounts."""
    kit = rk.open(clock=rk.FrozenClock(T0), max_attribute_bytes=40)
    kit.customers.upsert(external_id="u", attributes={"a": "x" * 20})

    with pytest.raises(ValidationError) as caught:
        kit.customers.upsert(external_id="u", attributes={"b": "y" * 20})
    with pytest.raises(ValidationError):
        kit.accounts.create(name="Big", attributes={"a": "z" * 50})

    assert "attributes" == caught.value.field
    assert {"a": "x" * 20} == kit.customers.get_by_external_id("u").attributes
    assert 1 == len(kit.accounts.search())


def test_the_default_cap_is_sixteen_kib() -> None:
    """16,384 bytes of compact JSON fit; one more does not."""
    filler = "x" * (16_384 - len('{"a":""}'))
    kit = rk.open(clock=rk.FrozenClock(T0))

    kit.customers.create(name="Fits", attributes={"a": filler})
    with pytest.raises(ValidationError):
        kit.customers.create(name="Too big", attributes={"a": filler + "x"})


def test_orders_outside_the_purchase_rules_window_are_refused() -> None:
    """max_future and max_past refuse far-dated orders before anything is written."""
    rules = rk.PurchaseRules(
        max_future=pendulum.duration(days=1), max_past=pendulum.duration(days=30)
    )
    kit = rk.open(clock=rk.FrozenClock(T0), purchase_rules=rules)
    alice = kit.customers.create(email="alice@example.com")

    for when in (T0.add(days=2), T0.subtract(days=31), pendulum.datetime(1970, 1, 1, tz="UTC")):
        with pytest.raises(ValidationError) as caught:
            kit.purchases.record(
                order_id="far", customer_id=alice.id, occurred_at=when, total=rk.Money("1", "EUR")
            )
        assert "occurred_at" == caught.value.field
    kit.purchases.record(
        order_id="ok",
        customer_id=alice.id,
        occurred_at=T0.add(hours=23),
        total=rk.Money("1", "EUR"),
    )
    assert 1 == kit.purchases.count()


def test_bulk_rows_outside_the_window_are_named_by_row() -> None:
    """record_many names ``rows[1].occurred_at``."""
    kit = rk.open(
        clock=rk.FrozenClock(T0),
        purchase_rules=rk.PurchaseRules(max_future=pendulum.duration(hours=1)),
    )
    row = {"customer_external_id": "u-1", "total": rk.Money("1", "EUR")}

    with pytest.raises(ValidationError) as caught:
        kit.purchases.record_many(
            [
                {**row, "order_id": "a", "occurred_at": T0},
                {**row, "order_id": "b", "occurred_at": T0.add(days=400)},
            ]
        )

    assert "rows[1].occurred_at" == caught.value.field


def test_a_b2c_account_follows_its_customers_name_and_time_zone(kit: rk.RelationKit) -> None:
    """A rename and a new zone reach the B2C account, with one AccountUpdated event."""
    seen: list[Event] = []
    kit.hooks.on(Event, seen.append)
    ana = kit.customers.create(email="ana@example.com", name="Ana")

    kit.customers.update(ana.id, name="Ana Lima", timezone="America/Sao_Paulo")

    account = kit.accounts.get(ana.id)
    assert ("Ana Lima", "America/Sao_Paulo") == (account.name, account.timezone)
    assert [("name", "timezone")] == [e.fields for e in seen if isinstance(e, AccountUpdated)]


def test_an_upsert_without_changes_emits_nothing(kit: rk.RelationKit) -> None:
    """The same payload twice: one CustomerCreated, no CustomerUpdated."""
    seen: list[Event] = []
    kit.hooks.on(Event, seen.append)

    for _ in range(2):
        kit.customers.upsert(external_id="u", email="U@example.com", attributes={"a": 1})

    assert [] == [e for e in seen if isinstance(e, CustomerUpdated)]


def test_a_registered_customer_cannot_take_another_ones_email(kit: rk.RelationKit) -> None:
    """An order for a new external id with the email of another registered customer: Conflict."""
    kit.customers.create(email="taken@example.com", external_id="first")

    with pytest.raises(Conflict):
        kit.purchases.record(
            order_id="o",
            customer_external_id="second",
            email="taken@example.com",
            occurred_at=T0,
            total=rk.Money("1", "EUR"),
        )

    assert 0 == kit.purchases.count()


@pytest.mark.parametrize(
    "bad",
    [{}, {"a": 1.5}, {"a": None}, {"a": [1]}, {'a"b': 1}, {"": 1}, "a"],
)
def test_attribute_filters_are_scalars_on_plain_keys(kit: rk.RelationKit, bad: Any) -> None:
    """Search attribute filters take str, int or bool values on quote-free keys."""
    with pytest.raises(ValidationError) as caught:
        kit.customers.search(attributes=bad)

    assert caught.value.field.startswith("attributes")


def test_an_unknown_time_zone_is_refused(kit: rk.RelationKit) -> None:
    """timezone= takes IANA names only, on customers and accounts."""
    with pytest.raises(ValidationError):
        kit.customers.create(email="x@example.com", timezone="Mars/Olympus")
    with pytest.raises(ValidationError):
        kit.accounts.upsert(external_id="co", name="Co", timezone="CET+99")

    assert 0 == kit.customers.count()
