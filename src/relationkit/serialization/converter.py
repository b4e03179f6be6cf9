"""The relationkit converter: configure a host's cattrs converter, or make a new one."""

from __future__ import annotations

from typing import Any, TypeVar

import cattrs

from relationkit.money import Money
from relationkit.serialization.classes import (
    _event_structure_factory,
    _event_unstructure_factory,
    _is_event,
    _is_model,
    _model_structure_factory,
    _model_unstructure_factory,
)
from relationkit.serialization.errors import _structure
from relationkit.serialization.values import _money_in, _money_out

T = TypeVar("T")


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
