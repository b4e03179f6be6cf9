"""Hooks for relationkit's leaf values: money, datetimes, durations, strict primitives, enums."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import pendulum
from cattrs.errors import IterableValidationError, IterableValidationNote

from relationkit._validate import attributes as _check_attributes
from relationkit.errors import ValidationError
from relationkit.money import Money

StructureHook = Callable[[Any, Any], Any]
UnstructureHook = Callable[[Any], Any]


def _reject(message: str) -> ValidationError:
    # The field is filled in from the cattrs path when the error is reported.
    return ValidationError("", message)


def _money_out(value: Money) -> dict[str, str]:
    return {"amount": format(value.amount, "f"), "currency": value.currency}


def _money_in(value: Any, _: Any) -> Money:
    if isinstance(value, Money):
        return value
    if not isinstance(value, Mapping):
        raise _reject("must be a mapping with 'amount' and 'currency'")
    for key in ("amount", "currency"):
        if key not in value:
            raise ValidationError(key, "is required")
    return Money(value["amount"], value["currency"])


def _datetime_out(field: str) -> UnstructureHook:
    def unstructure(value: Any) -> str:
        if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError(field, "must be a timezone-aware datetime to be written")
        return value.astimezone(dt.UTC).isoformat()

    return unstructure


def _datetime_in(value: Any, _: Any) -> pendulum.DateTime:
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise _reject("must be an ISO 8601 datetime with a UTC offset") from None
    elif isinstance(value, dt.datetime):
        parsed = value
    else:
        raise _reject("must be an ISO 8601 datetime string")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _reject("must carry a UTC offset (naive datetimes are ambiguous)")
    return pendulum.instance(parsed).in_timezone("UTC")


def _micros(value: dt.timedelta) -> int:
    # Read timedelta's own fields: pendulum.Duration overrides ``seconds`` with
    # a signed remainder (-5 for minus five seconds, where timedelta says 86395).
    days: int = dt.timedelta.days.__get__(value)
    seconds: int = dt.timedelta.seconds.__get__(value)
    micros: int = dt.timedelta.microseconds.__get__(value)
    return (days * 86_400 + seconds) * 1_000_000 + micros


def _duration_out(value: dt.timedelta) -> str:
    micros = _micros(value)
    whole, fraction = divmod(abs(micros), 1_000_000)
    text = f"{'-' if micros < 0 else ''}PT{whole}"
    if fraction:
        text += "." + f"{fraction:06d}".rstrip("0")
    return text + "S"


_DURATION = re.compile(
    r"(?P<sign>-)?P(?:(?P<days>\d{1,9})D)?"
    r"(?:T(?:(?P<hours>\d{1,12})H)?(?:(?P<minutes>\d{1,14})M)?"
    r"(?:(?P<seconds>\d{1,15})(?:\.(?P<fraction>\d{1,6}))?S)?)?"
)


def _duration_in(value: Any, _: Any) -> pendulum.Duration:
    if isinstance(value, dt.timedelta):
        return pendulum.Duration(microseconds=_micros(value))
    if not isinstance(value, str):
        raise _reject("must be an ISO 8601 duration string such as 'PT90.5S'")
    match = _DURATION.fullmatch(value)
    # "P", "PT" and "P1DT" match the pattern but are not valid durations.
    if match is None or value.endswith(("P", "T")):
        raise _reject("must be an ISO 8601 duration such as 'PT90.5S' (no years or months)")
    part = match.groupdict(default="0")
    seconds = (
        int(part["days"]) * 86_400
        + int(part["hours"]) * 3_600
        + int(part["minutes"]) * 60
        + int(part["seconds"])
    )
    micros = seconds * 1_000_000 + int(part["fraction"].ljust(6, "0"))
    try:
        return pendulum.Duration(microseconds=-micros if match["sign"] else micros)
    except OverflowError:
        raise _reject("is out of range") from None


def _str_in(value: Any, _: Any) -> str:
    if not isinstance(value, str):
        raise _reject("must be a string")
    return str(value)


def _int_in(value: Any, _: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _reject("must be an integer")
    return int(value)


def _decimal_out(value: Decimal) -> str:
    # Text keeps an exact decimal exact (a rate), as JSON numbers would not.
    return str(value)


def _decimal_in(value: Any, _: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise _reject("must be a decimal number as a string")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise _reject("is not a decimal number") from None
    if not number.is_finite():
        raise _reject("must be finite")
    return number


def _bool_in(value: Any, _: Any) -> bool:
    if not isinstance(value, bool):
        raise _reject("must be true or false")
    return value


def _identity(value: Any) -> Any:
    return value


def _enum_in(kind: type[enum.Enum]) -> StructureHook:
    allowed = ", ".join(str(member.value) for member in kind)

    def structure(value: Any, _: Any) -> enum.Enum:
        try:
            return kind(value)
        except (ValueError, TypeError):
            raise _reject(f"must be one of: {allowed}") from None

    return structure


def _enum_out(kind: type[enum.Enum]) -> UnstructureHook:
    def unstructure(value: Any) -> Any:
        return (value if isinstance(value, kind) else kind(value)).value

    return unstructure


def _json_out(value: Any) -> Any:
    """Copy JSON-safe data, turning tuples into lists."""
    if isinstance(value, Mapping):
        return {key: _json_out(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_out(item) for item in value]
    return value


def _attributes_in(value: Any, _: Any) -> dict[str, Any]:
    checked: dict[str, Any] = _json_out(_check_attributes(value, ""))
    return checked


def _optional(hook: StructureHook, inner: Any) -> StructureHook:
    def structure(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    return structure


def _optional_out(hook: UnstructureHook) -> UnstructureHook:
    def unstructure(value: Any) -> Any:
        return None if value is None else hook(value)

    return unstructure


def _tuple_in(hook: StructureHook, item_type: Any) -> StructureHook:
    def structure(value: Any, declared: Any) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise _reject("must be a list")
        items: list[Any] = []
        failures: list[Exception] = []
        for index, item in enumerate(value):
            try:
                items.append(hook(item, item_type))
            except Exception as exc:
                exc.add_note(
                    IterableValidationNote(
                        f"Structuring {declared!r} @ index {index}", index, item_type
                    )
                )
                failures.append(exc)
        if failures:
            raise IterableValidationError(f"While structuring {declared!r}", failures, declared)
        return tuple(items)

    return structure


def _tuple_out(hook: UnstructureHook) -> UnstructureHook:
    def unstructure(value: Any) -> list[Any]:
        return [hook(item) for item in value]

    return unstructure
