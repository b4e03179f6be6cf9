"""Turn one event into JSON-safe data with a "type" key, and back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cattrs

from relationkit.errors import ValidationError
from relationkit.events import Event
from relationkit.serialization.classes import _EVENT_TYPES, _TYPE_KEY, _event_class
from relationkit.serialization.converter import make_converter
from relationkit.serialization.errors import _structure


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
