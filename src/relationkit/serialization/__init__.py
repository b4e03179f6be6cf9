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

# The reference page lists these in import order (members_order: source):
# keep them in the order the functions are defined, not sorted.
# isort: off
from relationkit.serialization.converter import configure_converter, make_converter
from relationkit.serialization.events import (
    unstructure_event,
    structure_event,
    dumps_event,
    loads_event,
)
# isort: on

__all__ = [
    "configure_converter",
    "dumps_event",
    "loads_event",
    "make_converter",
    "structure_event",
    "unstructure_event",
]
