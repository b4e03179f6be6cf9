"""relationkit.serialization: JSON-safe round trips of every model and event, strict reading."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import cattrs
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

import relationkit as rk
from relationkit import _validate
from relationkit import events as ev
from relationkit.errors import ValidationError
from relationkit.serialization import (
    configure_converter,
    dumps_event,
    loads_event,
    make_converter,
    structure_event,
    unstructure_event,
)
from relationkit.testing import strategies as rks

ROUND_TRIP = settings(max_examples=20, deadline=None)
CONVERTER = make_converter()
START = pendulum.datetime(2026, 3, 1, 9, tz="UTC")

MODELS: dict[type, Callable[[], SearchStrategy[Any]]] = {
    rk.Account: rks.accounts,
    rk.Customer: rks.customers,
    rk.StageChange: rks.stage_changes,
    rk.StageSpan: rks.stage_spans,
    rk.Interaction: rks.interactions,
    rk.LineItem: rks.line_items,
    rk.Purchase: rks.purchases,
    rk.Refund: rks.refunds,
    rk.LedgerEntry: rks.ledger_entries,
    rk.Allocation: rks.allocations,
    rk.TimelineEntry: rks.timeline_entries,
}
EVENTS: list[type[ev.Event]] = [getattr(ev, name) for name in ev.__all__]
JSON_SCALARS = (str, int, bool, type(None))


def _through_json(data: Any) -> Any:
    return json.loads(json.dumps(data))


def _json_kinds(value: Any, path: str = "$") -> list[tuple[str, type]]:
    """Return (path, type) of every value that is not dict/list/str/int/bool/None."""
    if isinstance(value, dict):
        found: list[tuple[str, type]] = [(path, str) for key in value if not isinstance(key, str)]
        for key, item in value.items():
            found += _json_kinds(item, f"{path}.{key}")
        return found
    if isinstance(value, list):
        return [kind for i, item in enumerate(value) for kind in _json_kinds(item, f"{path}[{i}]")]
    return [] if isinstance(value, JSON_SCALARS) else [(path, type(value))]


def _purchase() -> rk.Purchase:
    return rk.Purchase(
        id="pur_1",
        order_id="1001",
        account_id="acc_1",
        customer_id="cus_1",
        occurred_at=pendulum.datetime(2026, 3, 1, 10, tz="Europe/Paris"),
        total=rk.Money("59.90", "EUR"),
        lines=(rk.LineItem(sku="TSHIRT", quantity=2, unit_price=rk.Money("29.95", "EUR")),),
        recorded_at=START,
    )


def _stage_changed() -> ev.StageChanged:
    return ev.StageChanged(
        event_id="evt_1",
        occurred_at=START,
        aggregate_id="acc_1",
        sequence=2,
        from_stage=None,
        to_stage="lead",
        automatic=True,
    )


def _points_earned() -> ev.PointsEarned:
    return ev.PointsEarned(
        event_id="evt_2",
        occurred_at=START,
        aggregate_id="acc_1",
        sequence=3,
        points=50,
        entry_id="led_1",
        reason="welcome",
    )


def _customer() -> rk.Customer:
    return rk.Customer(
        id="cus_1",
        account_id="acc_1",
        email="jane.doe@example.com",
        name="Jane Doe",
        attributes={"city": "Lyon", "visits": [1, 2]},
        created_at=START,
        updated_at=START,
    )


def _interaction() -> rk.Interaction:
    return rk.Interaction(
        id="int_1",
        account_id="acc_1",
        customer_id=None,
        channel=rk.Channel.IN_STORE,
        direction=rk.Direction.INBOUND,
        occurred_at=pendulum.datetime(2026, 1, 1, 0, 0, 0, 5, tz="UTC"),
        recorded_at=START,
    )


def _error(data: Any, cls: type) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        CONVERTER.structure(data, cls)
    return caught.value


# -- round trips ---------------------------------------------------------------


@pytest.mark.parametrize("cls", list(MODELS), ids=lambda cls: cls.__name__)
@ROUND_TRIP
@given(data=st.data())
def test_every_model_round_trips_through_json(cls: type, data: st.DataObject) -> None:
    """structure(json(unstructure(model))) == model, for every model class."""
    model = data.draw(MODELS[cls]())

    assert model == CONVERTER.structure(_through_json(CONVERTER.unstructure(model)), cls)


@pytest.mark.parametrize("cls", EVENTS, ids=lambda cls: cls.__name__)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_every_event_round_trips_through_json(cls: type[ev.Event], data: st.DataObject) -> None:
    """loads_event(json(dumps_event(event))) == event, for every class of relationkit.events."""
    event = data.draw(rks.events(cls))

    back = structure_event(_through_json(unstructure_event(event, CONVERTER)), CONVERTER)

    assert event == back
    assert cls is type(back)


def test_round_trip_keeps_values_and_normalizes_time_to_utc() -> None:
    """A model read back is equal, with its datetimes as pendulum in UTC."""
    purchase = _purchase()

    back = CONVERTER.structure(_through_json(CONVERTER.unstructure(purchase)), rk.Purchase)

    assert purchase == back
    assert isinstance(back.occurred_at, pendulum.DateTime)
    expected = "UTC"
    assert expected == back.occurred_at.timezone_name
    assert isinstance(back.lines, tuple)


@ROUND_TRIP
@given(moment=rks.aware_datetimes())
def test_datetimes_in_any_zone_come_back_as_the_same_instant_in_utc(
    moment: pendulum.DateTime,
) -> None:
    """A datetime in any time zone is written with its offset and read as that instant in UTC."""
    change = rk.StageChange(account_id="acc_1", from_stage=None, to_stage="lead", at=moment)

    back = CONVERTER.structure(_through_json(CONVERTER.unstructure(change)), rk.StageChange)

    assert moment == back.at
    expected = "UTC"
    assert expected == back.at.timezone_name


# -- the format ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "expected"),
    [
        (rk.Money("59.9", "EUR"), {"amount": "59.90", "currency": "EUR"}),
        (rk.Money("1500", "JPY"), {"amount": "1500", "currency": "JPY"}),
        (rk.Money("1.5", "KWD"), {"amount": "1.500", "currency": "KWD"}),
        (rk.Money(10**12, "USD"), {"amount": "1000000000000.00", "currency": "USD"}),
        (rk.Money("-0.01", "EUR"), {"amount": "-0.01", "currency": "EUR"}),
    ],
)
def test_money_is_an_exact_decimal_string_and_a_code(money: rk.Money, expected: Any) -> None:
    """Money unstructures to {"amount": "<decimal string>", "currency": "<code>"}."""
    assert expected == CONVERTER.unstructure(money)
    assert money == CONVERTER.structure(expected, rk.Money)


def test_a_whole_purchase_has_the_documented_shape() -> None:
    """Datetimes are ISO 8601 in UTC with offset, money is a dict, tuples are lists."""
    expected = {
        "id": "pur_1",
        "order_id": "1001",
        "account_id": "acc_1",
        "customer_id": "cus_1",
        "occurred_at": "2026-03-01T09:00:00+00:00",
        "total": {"amount": "59.90", "currency": "EUR"},
        "lines": [
            {
                "sku": "TSHIRT",
                "quantity": 2,
                "unit_price": {"amount": "29.95", "currency": "EUR"},
                "category": None,
            }
        ],
        "points_used": 0,
        "recorded_at": "2026-03-01T09:00:00+00:00",
        "refunds": [],
        "hold_id": None,
        "points_account_id": None,
    }

    assert expected == CONVERTER.unstructure(_purchase())


def test_microseconds_and_enums_are_kept() -> None:
    """Sub-second time is written; enums are written by value."""
    interaction = _interaction()

    data = CONVERTER.unstructure(interaction)

    expected = ("in_store", "inbound", "2026-01-01T00:00:00.000005+00:00")
    assert expected == (data["channel"], data["direction"], data["occurred_at"])
    assert interaction == CONVERTER.structure(data, rk.Interaction)


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (pendulum.duration(), "PT0S"),
        (
            pendulum.duration(days=1, hours=1, minutes=1, seconds=1, microseconds=500_000),
            "PT90061.5S",
        ),
        (pendulum.duration(microseconds=1), "PT0.000001S"),
        (pendulum.duration(seconds=-5), "-PT5S"),
        (
            pendulum.datetime(2026, 1, 2, tz="UTC") - pendulum.datetime(2026, 1, 1, tz="UTC"),
            "PT86400S",
        ),
    ],
)
def test_durations_are_iso_8601_seconds(duration: pendulum.Duration, expected: str) -> None:
    """Durations are written as exact ISO 8601 seconds, never floats, and read back equal."""
    span = rk.StageSpan(stage="lead", entered=START, left=None, duration=duration)

    data = CONVERTER.unstructure(span)

    assert expected == data["duration"]
    assert span == CONVERTER.structure(data, rk.StageSpan)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P1D", dt.timedelta(days=1)),
        ("PT2H30M", dt.timedelta(hours=2, minutes=30)),
        ("P1DT2H3M4.25S", dt.timedelta(days=1, hours=2, minutes=3, seconds=4.25)),
        ("-PT0.5S", dt.timedelta(seconds=-0.5)),
    ],
)
def test_durations_read_days_hours_and_minutes_too(text: str, expected: dt.timedelta) -> None:
    """Hand-written ISO durations with D, H, M and S parts are read exactly."""
    data = {"stage": "lead", "entered": "2026-01-01T00:00:00Z", "left": None, "duration": text}

    span = CONVERTER.structure(data, rk.StageSpan)

    assert expected == span.duration
    assert isinstance(span.duration, pendulum.Duration)


@pytest.mark.parametrize(
    "text", ["P1Y", "P1M", "P1W", "P", "PT", "P1DT", "90", "1 day", "PT1.5", ""]
)
def test_inexact_or_malformed_durations_are_rejected(text: str) -> None:
    """Years, months, weeks and non-ISO text are refused with a ValidationError on the field."""
    data = {"stage": "lead", "entered": "2026-01-01T00:00:00Z", "left": None, "duration": text}

    expected = "duration"
    assert expected == _error(data, rk.StageSpan).field


def test_event_data_starts_with_its_type() -> None:
    """An unstructured event is its class name under "type", then its fields."""
    event = ev.PurchaseRecorded(
        event_id="evt_1",
        occurred_at=START,
        aggregate_id="acc_1",
        sequence=4,
        order_id="1001",
        purchase_id="pur_1",
        customer_id="cus_1",
        total=rk.Money("59.90", "EUR"),
        purchased_at=START,
    )

    data = dumps_event(event, CONVERTER)

    expected_first_key = "type"
    assert expected_first_key == next(iter(data))
    expected = {
        "type": "PurchaseRecorded",
        "event_id": "evt_1",
        "occurred_at": "2026-03-01T09:00:00+00:00",
        "aggregate_id": "acc_1",
        "sequence": 4,
        "order_id": "1001",
        "purchase_id": "pur_1",
        "customer_id": "cus_1",
        "total": {"amount": "59.90", "currency": "EUR"},
        "purchased_at": "2026-03-01T09:00:00+00:00",
    }
    assert expected == data
    assert event == loads_event(data, CONVERTER)
    assert data == CONVERTER.unstructure(event)


def test_no_event_has_a_field_named_type() -> None:
    """No event class has a field called "type", so it is free for the discriminator."""
    assert not [cls for cls in EVENTS if "type" in attrs.fields_dict(cls)]


# -- JSON safety ---------------------------------------------------------------


@ROUND_TRIP
@given(model=rks.models())
def test_unstructured_models_hold_only_json_types(model: Any) -> None:
    """Only dict/list/str/int/bool/None come out (host floats allowed inside attributes)."""
    data = CONVERTER.unstructure(model)

    offending = [(path, kind) for path, kind in _json_kinds(data) if ".attributes" not in path]
    assert not offending, offending
    assert data == _through_json(data)


@ROUND_TRIP
@given(event=rks.events())
def test_unstructured_events_hold_only_json_types(event: ev.Event) -> None:
    """Events come out as plain JSON types, so json.dumps needs no default=."""
    data = unstructure_event(event, CONVERTER)

    assert not _json_kinds(data), _json_kinds(data)
    assert data == _through_json(data)


@settings(max_examples=10, deadline=None)
@given(purchase=rks.purchases())
def test_money_never_becomes_a_float(purchase: rk.Purchase) -> None:
    """Every amount in a purchase's JSON is a string that parses back to the exact Decimal."""
    text = json.dumps(CONVERTER.unstructure(purchase))

    parsed = json.loads(text, parse_float=lambda raw: pytest.fail(f"float in JSON: {raw}"))

    assert purchase.total.amount == Decimal(parsed["total"]["amount"])
    assert [line.unit_price.amount for line in purchase.lines] == [
        Decimal(line["unit_price"]["amount"]) for line in parsed["lines"]
    ]


# -- strict reading ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["2026-03-01T10:00:00", "2026-03-01 10:00:00", "2026-03-01", "20260301T100000"],
)
def test_naive_datetime_strings_are_rejected(text: str) -> None:
    """A datetime without a UTC offset is ambiguous and raises ValidationError on its field."""
    data = CONVERTER.unstructure(_purchase())
    data["occurred_at"] = text

    error = _error(data, rk.Purchase)

    expected = "occurred_at"
    assert expected == error.field
    assert "offset" in error.message


def test_naive_datetime_in_an_event_is_rejected() -> None:
    """structure_event refuses an event whose occurred_at has no offset."""
    data = unstructure_event(_stage_changed(), CONVERTER)
    data["occurred_at"] = "2026-03-01T10:00:00"

    with pytest.raises(ValidationError) as caught:
        structure_event(data, CONVERTER)

    expected = "occurred_at"
    assert expected == caught.value.field


@pytest.mark.parametrize(
    "text",
    ["2026-03-01T10:00:00Z", "2026-03-01T11:00:00+01:00", "2026-03-01T05:00:00.000-05:00"],
)
def test_offsets_are_read_as_the_same_instant_in_utc(text: str) -> None:
    """Any offset is accepted and the instant is kept, expressed in UTC."""
    data = CONVERTER.unstructure(_purchase())
    data["occurred_at"] = text

    read = CONVERTER.structure(data, rk.Purchase).occurred_at

    assert pendulum.datetime(2026, 3, 1, 10, tz="UTC") == read
    expected = "UTC"
    assert expected == read.timezone_name


def test_a_naive_datetime_in_a_model_cannot_be_written() -> None:
    """Unstructuring a model that holds a naive datetime raises ValidationError."""
    naive = dt.datetime(2026, 1, 1)
    change = rk.StageChange(account_id="acc_1", from_stage=None, to_stage="lead", at=naive)  # type: ignore[arg-type]

    with pytest.raises(ValidationError) as caught:
        CONVERTER.unstructure(change)

    expected = "at"
    assert expected == caught.value.field


def test_unknown_event_type_is_rejected() -> None:
    """A "type" that names no class of relationkit.events raises ValidationError on "type"."""
    with pytest.raises(ValidationError) as caught:
        structure_event({"type": "OrderShipped", "event_id": "evt_1"}, CONVERTER)

    expected = "type"
    assert expected == caught.value.field
    assert "OrderShipped" in caught.value.message


@pytest.mark.parametrize(
    "data",
    [{"event_id": "evt_1"}, {"type": None}, {"type": 3}, {"type": "__class__"}, {"type": "Money"}],
)
def test_missing_or_bogus_event_type_is_rejected(data: dict[str, Any]) -> None:
    """No "type", a non-string or a name outside relationkit.events is a ValidationError."""
    with pytest.raises(ValidationError) as caught:
        structure_event(data, CONVERTER)

    expected = "type"
    assert expected == caught.value.field


def test_structure_event_rejects_a_non_mapping() -> None:
    """A list or a string is not an event."""
    with pytest.raises(ValidationError):
        structure_event(["PurchaseRecorded"], CONVERTER)  # type: ignore[arg-type]


def test_event_bases_dispatch_on_type_and_require_it() -> None:
    """Structuring as Event picks the subclass from "type"; without "type" it is an error."""
    event = _points_earned()
    data = unstructure_event(event, CONVERTER)

    assert event == CONVERTER.structure(data, ev.Event)
    assert event == CONVERTER.structure(data, ev.LoyaltyEvent)
    untyped = {k: v for k, v in data.items() if k != "type"}
    expected = ("type", "type")
    assert expected == (_error(untyped, ev.Event).field, _error(data, ev.StageChanged).field)


def test_a_concrete_event_class_reads_data_without_type() -> None:
    """Structuring as the concrete class does not need "type" (it is implied)."""
    event = ev.TierChanged(
        event_id="evt_3",
        occurred_at=START,
        aggregate_id="acc_1",
        sequence=9,
        old_tier=None,
        new_tier="gold",
    )
    data = {k: v for k, v in unstructure_event(event, CONVERTER).items() if k != "type"}

    assert event == CONVERTER.structure(data, ev.TierChanged)


def test_unstructure_event_rejects_non_events() -> None:
    """Only relationkit events get a "type"; anything else is a ValidationError."""
    with pytest.raises(ValidationError):
        unstructure_event(_purchase(), CONVERTER)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("sequence", "5", "sequence"),
        ("sequence", True, "sequence"),
        ("sequence", 1.0, "sequence"),
        ("event_id", None, "event_id"),
        ("event_id", 7, "event_id"),
        ("automatic", "yes", "automatic"),
        ("to_stage", ["lead"], "to_stage"),
    ],
)
def test_primitive_fields_are_strict(field: str, value: Any, path: str) -> None:
    """No coercion: "5" is not an int, True is not an int, None is not a string."""
    data = unstructure_event(_stage_changed(), CONVERTER)
    data[field] = value

    with pytest.raises(ValidationError) as caught:
        structure_event(data, CONVERTER)

    assert path == caught.value.field


def test_errors_name_nested_paths_and_list_every_problem() -> None:
    """Nested problems are reported by path (lines[0].quantity, total.amount), all of them."""
    data = CONVERTER.unstructure(_purchase())
    data["lines"][0]["quantity"] = 0
    data["total"] = {"amount": "59.999", "currency": "EUR"}
    del data["order_id"]

    error = _error(data, rk.Purchase)

    expected = "order_id"
    assert expected == error.field
    assert "is required" in error.message
    assert "lines[0].quantity" in error.message
    assert "total.amount" in error.message
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("money", "path"),
    [
        ({"amount": 59.9, "currency": "EUR"}, "total.amount"),
        ({"amount": "59.90", "currency": "XXX"}, "total.currency"),
        ({"amount": "59.90"}, "total.currency"),
        ("59.90 EUR", "total"),
    ],
)
def test_bad_money_is_rejected_with_its_path(money: Any, path: str) -> None:
    """Float amounts, unknown codes, missing keys and strings are not money."""
    data = CONVERTER.unstructure(_purchase())
    data["total"] = money

    assert path == _error(data, rk.Purchase).field


def test_an_int_amount_is_read_as_money() -> None:
    """{"amount": 10, ...} is accepted: an integer is exact."""
    assert rk.Money("10.00", "EUR") == CONVERTER.structure(
        {"amount": 10, "currency": "EUR"}, rk.Money
    )


def test_unknown_enum_values_list_the_allowed_ones() -> None:
    """A channel that does not exist names the field and the allowed values."""
    data = CONVERTER.unstructure(_interaction())
    data["channel"] = "pigeon"

    error = _error(data, rk.Interaction)

    expected = "channel"
    assert expected == error.field
    assert "email" in error.message


def test_error_messages_do_not_echo_personal_data() -> None:
    """A rejected value (an email-shaped name) is never quoted back in the message."""
    data = CONVERTER.unstructure(_customer())
    data["name"] = ["jane.doe@example.com"]
    data["email"] = {"secret": "jane.doe@example.com"}

    error = _error(data, rk.Customer)

    assert "jane.doe" not in str(error)


def test_a_non_mapping_is_rejected_at_the_root() -> None:
    """A list where a model is expected names the model."""
    expected = "Purchase"
    assert expected == _error([], rk.Purchase).field


def test_unknown_keys_are_ignored_for_forward_compatibility() -> None:
    """Data written by a newer relationkit with an extra field is still read."""
    data = CONVERTER.unstructure(_purchase())
    data["added_in_a_later_version"] = True

    assert _purchase() == CONVERTER.structure(data, rk.Purchase)


def test_attributes_must_be_json_safe_mappings() -> None:
    """A customer's attributes are read as a JSON object with string keys."""
    data = CONVERTER.unstructure(_customer())
    data["attributes"] = ["not", "a", "mapping"]

    expected = "attributes"
    assert expected == _error(data, rk.Customer).field


# -- converters ----------------------------------------------------------------


def test_make_converter_returns_independent_converters() -> None:
    """No shared state: a hook added to one converter does not leak into another."""
    first, second = make_converter(), make_converter()
    first.register_unstructure_hook(rk.Money, lambda money: str(money))

    assert first is not second
    expected = ("1.00 EUR", {"amount": "1.00", "currency": "EUR"})
    assert expected == (
        first.unstructure(rk.Money("1", "EUR")),
        second.unstructure(rk.Money("1", "EUR")),
    )


def test_one_shot_helpers_work_without_a_converter() -> None:
    """unstructure_event/structure_event make their own converter when given none."""
    event = ev.CustomerUpdated(
        event_id="evt_4",
        occurred_at=START,
        aggregate_id="acc_1",
        sequence=5,
        customer_id="cus_1",
        fields=("email", "name"),
    )

    assert event == structure_event(_through_json(unstructure_event(event)))


@attrs.frozen
class _Point:
    x: int
    y: int


@attrs.frozen
class _HostOnly:
    reference: str
    placed: dt.datetime
    where: _Point
    tags: tuple[str, ...]


@attrs.frozen
class _HostOrder:
    reference: str
    total: rk.Money
    purchase: rk.Purchase
    last_event: ev.Event


def _host_converter() -> cattrs.Converter:
    host = cattrs.Converter()
    host.register_unstructure_hook(_Point, lambda p: f"{p.x},{p.y}")
    host.register_structure_hook(_Point, lambda s, _: _Point(*map(int, s.split(","))))
    host.register_unstructure_hook(dt.datetime, lambda d: d.timestamp())
    host.register_structure_hook(
        dt.datetime, lambda ts, _: dt.datetime.fromtimestamp(ts, tz=dt.UTC)
    )
    host.register_unstructure_hook(str, lambda s: s.upper())
    return host


def test_configure_converter_keeps_the_host_hooks_working() -> None:
    """After configure_converter, the host's own types serialize exactly as before."""
    host = _host_converter()
    mine = _HostOnly(
        reference="abc",
        placed=dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC),
        where=_Point(1, 2),
        tags=("x", "y"),
    )
    before = host.unstructure(mine)

    configure_converter(host)
    after = host.unstructure(mine)

    assert before == after
    expected = "1,2"
    assert expected == after["where"]
    assert mine.where == host.structure(after, _HostOnly).where


def test_relationkit_values_nest_inside_host_classes() -> None:
    """Money, models and events in a host class use relationkit's format, host fields the host's."""
    host = _host_converter()
    configure_converter(host)
    order = _HostOrder(
        reference="abc",
        total=rk.Money("5", "EUR"),
        purchase=_purchase(),
        last_event=_points_earned(),
    )

    data = host.unstructure(order)

    expected = ("ABC", {"amount": "5.00", "currency": "EUR"}, "PointsEarned")
    assert expected == (data["reference"], data["total"], data["last_event"]["type"])
    assert CONVERTER.unstructure(_purchase()) == data["purchase"]
    back = host.structure(_through_json(data), _HostOrder)
    assert (order.total, order.purchase, order.last_event) == (
        back.total,
        back.purchase,
        back.last_event,
    )


def test_configured_host_converter_keeps_cattrs_error_style() -> None:
    """A host converter raises cattrs' ClassValidationError, which transform_error renders."""
    host = cattrs.Converter()
    configure_converter(host)
    data = CONVERTER.unstructure(_purchase())
    data["occurred_at"] = "2026-03-01T10:00:00"

    with pytest.raises(cattrs.ClassValidationError) as caught:
        host.structure(data, rk.Purchase)

    expected = ["invalid value for type, expected DateTime @ $.occurred_at"]
    assert expected == cattrs.transform_error(caught.value)


def test_structure_event_turns_host_converter_errors_into_validation_errors() -> None:
    """structure_event speaks ValidationError whichever configured converter it is given."""
    host = cattrs.Converter()
    configure_converter(host)
    data = unstructure_event(_stage_changed(), host)
    data["sequence"] = "one"

    with pytest.raises(ValidationError) as caught:
        structure_event(data, host)

    expected = "sequence"
    assert expected == caught.value.field


def test_copied_converter_keeps_relationkit_hooks() -> None:
    """converter.copy() carries the hooks over and still raises ValidationError."""
    copied = make_converter().copy()

    expected = {"amount": "1.00", "currency": "EUR"}
    assert expected == copied.unstructure(rk.Money("1", "EUR"))
    with pytest.raises(ValidationError):
        copied.structure({"amount": 1.5, "currency": "EUR"}, rk.Money)


# -- strategies ----------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    name=rks.names(),
    email=rks.emails(),
    identifier=rks.identifiers(),
    moment=rks.aware_datetimes(),
)
def test_strategies_draw_what_the_validators_accept(
    name: str, email: str, identifier: str, moment: pendulum.DateTime
) -> None:
    """Names, emails, identifiers and datetimes from the strategies pass relationkit's checks."""
    assert name == _validate.text(name, "name")
    assert email == _validate.email(email)
    assert identifier == _validate.identifier(identifier, "id")
    assert moment == _validate.aware_utc(moment, "at")
    assert 1990 <= moment.year <= 2100


def test_importing_relationkit_does_not_import_hypothesis() -> None:
    """Hypothesis is a dev dependency: relationkit and relationkit.testing load without it."""
    code = "import sys, relationkit, relationkit.testing; print('hypothesis' in sys.modules)"
    source_root = str(Path(rk.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([source_root, os.environ.get("PYTHONPATH", "")]),
    }

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )

    expected = "False"
    assert expected == result.stdout.strip()
