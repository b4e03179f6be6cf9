"""Hooks for relationkit's models and events, built field by field."""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs
import cattrs
import pendulum
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from relationkit import events as _events
from relationkit.domain.customers import Account, Customer
from relationkit.domain.interactions import Interaction
from relationkit.domain.ledger import Allocation, LedgerEntry
from relationkit.domain.lifecycle import StageChange, StageSpan
from relationkit.domain.purchases import LineItem, Purchase, Refund
from relationkit.domain.timeline import TimelineEntry
from relationkit.errors import ValidationError
from relationkit.events import Event
from relationkit.serialization.values import (
    StructureHook,
    UnstructureHook,
    _attributes_in,
    _bool_in,
    _datetime_in,
    _datetime_out,
    _decimal_in,
    _decimal_out,
    _duration_in,
    _duration_out,
    _enum_in,
    _enum_out,
    _identity,
    _int_in,
    _json_out,
    _optional,
    _optional_out,
    _reject,
    _str_in,
    _tuple_in,
    _tuple_out,
)

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
        Decimal: _decimal_in,
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
    if tp is Decimal:
        return _decimal_out
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
