"""Turn relationkit's models and events into JSON-safe data, and back.

One cattrs converter for relationkit, in the style of cattrs' ``preconf``
modules: :func:`configure_converter` registers relationkit's hooks on a
converter the host already has (so relationkit values nest inside the host's
own classes), and :func:`make_converter` returns a new converter with nothing
but those hooks. There is no module-level converter: each caller owns theirs.

The unstructured form holds only ``dict``, ``list``, ``str``, ``int``,
``bool`` and ``None`` (plus whatever JSON numbers a host put in a customer's
``attributes``), so ``json.dumps`` takes it as is:

- ``Money``: ``{"amount": "59.90", "currency": "EUR"}``; the amount is an
  exact decimal string at the currency's minor unit (an ``int`` amount is read
  too; a float is rejected).
- ``pendulum.DateTime``: ISO 8601 with its UTC offset, written in UTC
  (``"2026-03-01T09:00:00+00:00"``, microseconds when not zero); read back as
  a pendulum ``DateTime`` in UTC. A string without an offset is rejected: it
  is ambiguous.
- ``pendulum.Duration``: an ISO 8601 duration in seconds, exact to the
  microsecond, never a float (``"PT90061.5S"``, ``"-PT5S"``). Read back: that
  form and ``PnDTnHnMnS`` (a day is 24 hours); years, months and weeks are
  refused as inexact.
- enums: their value (``"email"``); tuples: lists.
- events: the event's fields after a ``"type"`` key holding the class name
  (``"PurchaseRecorded"``).

Structuring is strict: a string field takes only a string, an ``int`` field
only an integer (not a bool), a list field only a list. Unknown keys are
ignored, so a reader keeps working when a newer writer adds a field.

Errors:
    A converter from :func:`make_converter`, :func:`structure_event` and
    :func:`loads_event` raise :class:`~relationkit.errors.ValidationError`
    naming the offending path (``"lines[0].unit_price.amount"``). A host
    converter configured with :func:`configure_converter` keeps its own error
    style (cattrs' ``ClassValidationError``, which ``cattrs.transform_error``
    renders).

Example:
    >>> import relationkit as rk
    >>> from relationkit.serialization import make_converter
    >>> converter = make_converter()
    >>> converter.unstructure(rk.Money("59.9", "EUR"))
    {'amount': '59.90', 'currency': 'EUR'}

Added in 0.1.0.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import attrs
import cattrs
import pendulum
from cattrs.errors import (
    BaseValidationError,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from relationkit import events as _events
from relationkit._validate import attributes as _check_attributes
from relationkit.domain.customers import Account, Customer
from relationkit.domain.interactions import Interaction
from relationkit.domain.ledger import Allocation, LedgerEntry
from relationkit.domain.lifecycle import StageChange, StageSpan
from relationkit.domain.purchases import LineItem, Purchase, Refund
from relationkit.domain.timeline import TimelineEntry
from relationkit.errors import ValidationError
from relationkit.events import Event
from relationkit.money import Money

__all__ = [
    "configure_converter",
    "dumps_event",
    "loads_event",
    "make_converter",
    "structure_event",
    "unstructure_event",
]

T = TypeVar("T")
StructureHook = Callable[[Any, Any], Any]
UnstructureHook = Callable[[Any], Any]

_MODELS: frozenset[type] = frozenset(
    {
        Account,
        Allocation,
        Customer,
        Interaction,
        LedgerEntry,
        LineItem,
        Purchase,
        Refund,
        StageChange,
        StageSpan,
        TimelineEntry,
    }
)
_EVENTS: dict[str, type[Event]] = {name: getattr(_events, name) for name in _events.__all__}
_EVENT_TYPES: frozenset[type] = frozenset(_EVENTS.values())
_TYPE_KEY = "type"


# -- leaf values ---------------------------------------------------------------


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


# -- per-field hooks -----------------------------------------------------------
#
# The strict primitive, datetime, duration, enum and tuple handling applies to
# relationkit's own fields only (as attribute overrides), so configuring a host
# converter leaves the host's str, datetime or tuple hooks alone.


def _split_optional(tp: Any) -> Any | None:
    """Return ``X`` for ``X | None``, else None."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if len(args) == 2 and type(None) in args:
            return next(arg for arg in args if arg is not type(None))
    return None


def _homogeneous_tuple_item(tp: Any) -> Any | None:
    """Return ``X`` for ``tuple[X, ...]``, else None."""
    args = typing.get_args(tp)
    if typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis:
        return args[0]
    return None


def _structure_hook(converter: cattrs.Converter, tp: Any) -> StructureHook:
    simple: dict[Any, StructureHook] = {
        str: _str_in,
        int: _int_in,
        bool: _bool_in,
        pendulum.DateTime: _datetime_in,
        pendulum.Duration: _duration_in,
    }
    if tp in simple:
        return simple[tp]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_in(tp)
    inner = _split_optional(tp)
    if inner is not None:
        return _optional(_structure_hook(converter, inner), inner)
    item = _homogeneous_tuple_item(tp)
    if item is not None:
        return _tuple_in(_structure_hook(converter, item), item)
    if typing.get_origin(tp) is dict:
        return _attributes_in
    return converter.get_structure_hook(tp)


def _unstructure_hook(converter: cattrs.Converter, tp: Any, field: str) -> UnstructureHook:
    if tp in (str, int, bool):
        return _identity
    if tp is pendulum.DateTime:
        return _datetime_out(field)
    if tp is pendulum.Duration:
        return _duration_out
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_out(tp)
    inner = _split_optional(tp)
    if inner is not None:
        return _optional_out(_unstructure_hook(converter, inner, field))
    item = _homogeneous_tuple_item(tp)
    if item is not None:
        return _tuple_out(_unstructure_hook(converter, item, field))
    if typing.get_origin(tp) is dict:
        return _json_out
    return converter.get_unstructure_hook(tp)


# -- classes -------------------------------------------------------------------


def _is_model(tp: Any) -> bool:
    return tp in _MODELS


def _is_event(tp: Any) -> bool:
    return tp in _EVENT_TYPES


def _fields_out(cls: Any, converter: cattrs.Converter) -> Callable[[Any], dict[str, Any]]:
    attrs.resolve_types(cls)
    overrides: dict[str, Any] = {
        a.name: override(unstruct_hook=_unstructure_hook(converter, a.type, a.name))
        for a in attrs.fields(cls)
    }
    # Generated hooks stay out of linecache: make_converter() may be called
    # often (unstructure_event without a converter), and linecache would keep
    # every generated source for the life of the process.
    return make_dict_unstructure_fn(
        cls,
        converter,
        _cattrs_omit_if_default=False,
        _cattrs_use_linecache=False,
        _cattrs_use_alias=False,
        **overrides,
    )


def _fields_in(cls: Any, converter: cattrs.Converter) -> StructureHook:
    attrs.resolve_types(cls)
    overrides: dict[str, Any] = {
        a.name: override(struct_hook=_structure_hook(converter, a.type)) for a in attrs.fields(cls)
    }
    generated = make_dict_structure_fn(
        cls,
        converter,
        _cattrs_forbid_extra_keys=False,
        _cattrs_use_linecache=False,
        _cattrs_prefer_attrib_converters=False,
        _cattrs_detailed_validation=True,
        _cattrs_use_alias=False,
        **overrides,
    )

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, Mapping):
            raise _reject("must be a mapping (a JSON object)")
        return generated(value, cls)

    return structure


def _model_unstructure_factory(cls: Any, converter: cattrs.Converter) -> UnstructureHook:
    return _fields_out(cls, converter)


def _model_structure_factory(cls: Any, converter: cattrs.Converter) -> StructureHook:
    return _fields_in(cls, converter)


def _event_unstructure_factory(cls: Any, converter: cattrs.Converter) -> UnstructureHook:
    fields = _fields_out(cls, converter)
    name = cls.__name__

    def unstructure(event: Any) -> dict[str, Any]:
        if type(event) is not cls:
            # Declared as a base (Event), holding a subclass: write the subclass.
            return converter.unstructure(event)  # type: ignore[no-any-return]
        return {_TYPE_KEY: name, **fields(event)}

    return unstructure


def _event_structure_factory(cls: Any, converter: cattrs.Converter) -> StructureHook:
    fields = _fields_in(cls, converter)
    # A base such as Event or LoyaltyEvent needs "type" to pick the subclass;
    # structuring a bare base would silently drop the subclass's fields.
    needs_type = any(t is not cls and issubclass(t, cls) for t in _EVENT_TYPES)

    def structure(value: Any, _: Any) -> Event:
        if not isinstance(value, Mapping):
            raise _reject("must be a mapping (a JSON object)")
        if _TYPE_KEY not in value:
            if needs_type:
                raise ValidationError(_TYPE_KEY, "is required to pick the event class")
            return fields(value, cls)  # type: ignore[no-any-return]
        target = _event_class(value[_TYPE_KEY])
        if not issubclass(target, cls):
            raise ValidationError(_TYPE_KEY, f"names {target.__name__}, not a {cls.__name__}")
        body = {key: item for key, item in value.items() if key != _TYPE_KEY}
        if target is cls:
            return fields(body, cls)  # type: ignore[no-any-return]
        return converter.get_structure_hook(target)(body, target)  # type: ignore[no-any-return]

    return structure


def _event_class(tag: object) -> type[Event]:
    """Return the event class named by a ``"type"`` value."""
    found = _EVENTS.get(tag) if isinstance(tag, str) else None
    if found is None:
        # Echo the name only when it looks like a class name: it helps with
        # version skew and cannot carry personal data.
        shown = (
            f" {tag!r}" if isinstance(tag, str) and tag.isidentifier() and len(tag) <= 64 else ""
        )
        raise ValidationError(
            _TYPE_KEY,
            f"names no event class of relationkit.events (got{shown or ' another value'})",
        )
    return found


# -- errors --------------------------------------------------------------------


def _join(path: str, field: str) -> str:
    if not field:
        return path
    if not path or field.startswith("["):
        return path + field
    return f"{path}.{field}"


def _problems(exc: BaseException, path: str) -> Iterator[tuple[str, str]]:
    """Yield ``(path, message)`` for each leaf of a cattrs validation error."""
    if isinstance(exc, IterableValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, index_note in with_notes:
            yield from _problems(sub, f"{path}[{index_note.index!r}]")
        for sub in without:
            yield from _problems(sub, path)
    elif isinstance(exc, ClassValidationError):
        class_notes, others = exc.group_exceptions()
        for sub, attribute_note in class_notes:
            yield from _problems(sub, _join(path, attribute_note.name))
        for sub in others:
            yield from _problems(sub, path)
    elif isinstance(exc, ValidationError):
        yield _join(path, exc.field), exc.message
    elif isinstance(exc, KeyError):
        yield path, "is required"
    elif isinstance(exc, ForbiddenExtraKeysError):
        yield path, f"has unknown keys: {', '.join(sorted(exc.extra_fields))}"
    elif isinstance(exc, BaseExceptionGroup):
        for member in exc.exceptions:
            yield from _problems(member, path)
    else:
        # Never str(exc): it may quote the rejected value, which may be personal.
        yield path, f"could not be read ({type(exc).__name__})"


def _validation_error(exc: BaseException, root: str) -> ValidationError:
    """Turn a structuring failure into one readable ValidationError."""
    problems = list(_problems(exc, ""))
    if not problems:
        problems = [("", "is invalid")]
    listed = [(path or root, message) for path, message in problems]
    field, message = listed[0]
    if len(listed) > 1:
        shown = " | ".join(f"{p}: {m}" for p, m in listed[1:6])
        more = f" | and {len(listed) - 6} more" if len(listed) > 6 else ""
        message = f"{message} (also {shown}{more})"
    return ValidationError(field, message)


_STRUCTURE_ERRORS = (BaseValidationError, ValueError, TypeError, KeyError)


def _structure(converter: cattrs.Converter, data: Any, cls: type[T]) -> T:
    try:
        result: T = converter.get_structure_hook(cls)(data, cls)
    except _STRUCTURE_ERRORS as exc:
        raise _validation_error(exc, getattr(cls, "__name__", "data")) from exc
    return result


class _RelationKitConverter(cattrs.Converter):
    """A cattrs converter whose :meth:`structure` raises relationkit's ValidationError."""

    def structure(self, obj: Any, cl: type[T]) -> T:
        """Structure ``obj`` as ``cl``.

        Raises:
            ValidationError: naming the path of the first problem found.
        """
        return _structure(self, obj, cl)


# -- public --------------------------------------------------------------------


def configure_converter(converter: cattrs.Converter) -> None:
    """Register relationkit's hooks on ``converter``.

    Adds hooks for :class:`~relationkit.Money`, every model (``Account``,
    ``Customer``, ``Purchase``, ...) and every event class of
    :mod:`relationkit.events`. The strict handling of strings, datetimes,
    durations, enums and tuples is scoped to those classes' fields, so the
    host's own hooks (for ``datetime``, ``str``, its own classes) keep working.

    Args:
        converter: the host's converter (a ``cattrs.Converter``).
    """
    converter.register_unstructure_hook(Money, _money_out)
    converter.register_structure_hook(Money, _money_in)
    converter.register_unstructure_hook_factory(_is_model, _model_unstructure_factory)
    converter.register_structure_hook_factory(_is_model, _model_structure_factory)
    converter.register_unstructure_hook_factory(_is_event, _event_unstructure_factory)
    converter.register_structure_hook_factory(_is_event, _event_structure_factory)


def make_converter() -> cattrs.Converter:
    """Return a new converter configured for relationkit.

    Its ``structure`` raises :class:`~relationkit.errors.ValidationError`
    (naming the field path) instead of cattrs' validation errors. Each call
    returns an independent converter; keep one and reuse it on hot paths, as
    a converter builds and caches a hook per class on first use.

    Returns:
        A ``cattrs.Converter``.
    """
    converter = _RelationKitConverter(detailed_validation=True)
    configure_converter(converter)
    return converter


def unstructure_event(event: Event, converter: cattrs.Converter | None = None) -> dict[str, Any]:
    """Return an event as JSON-safe data with a ``"type"`` key (its class name).

    Args:
        event: an instance of a class from :mod:`relationkit.events`.
        converter: a converter set up by :func:`configure_converter` or
            :func:`make_converter`; a new one is made when omitted (pass one
            when serializing many events).

    Returns:
        A dict such as ``{"type": "PurchaseRecorded", "event_id": ..., ...}``.

    Raises:
        ValidationError: if ``event`` is not a relationkit event.
    """
    cls = type(event)
    if cls not in _EVENT_TYPES:
        raise ValidationError("event", "must be an instance of a class of relationkit.events")
    data: dict[str, Any] = (converter or make_converter()).unstructure(event, unstructure_as=cls)
    return data


def structure_event(data: Mapping[str, Any], converter: cattrs.Converter | None = None) -> Event:
    """Build an event from data made by :func:`unstructure_event`.

    The ``"type"`` key picks the class among :data:`relationkit.events.__all__`.

    Args:
        data: the unstructured event, e.g. ``json.loads`` of a queue message.
        converter: a converter set up by :func:`configure_converter` or
            :func:`make_converter`; a new one is made when omitted.

    Returns:
        The event, of the class ``data["type"]`` names.

    Raises:
        ValidationError: if ``"type"`` is missing or names no event class, or
            a field is missing or malformed (the error names its path).
    """
    if not isinstance(data, Mapping):
        raise ValidationError("event", "must be a mapping (a JSON object)")
    if _TYPE_KEY not in data:
        raise ValidationError(_TYPE_KEY, "is required to pick the event class")
    cls = _event_class(data[_TYPE_KEY])
    return _structure(converter or make_converter(), data, cls)


dumps_event = unstructure_event
"""Alias of :func:`unstructure_event` (returns a dict, not a string)."""

loads_event = structure_event
"""Alias of :func:`structure_event` (takes a dict, not a string)."""
