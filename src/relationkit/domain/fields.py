"""Field expressions: a small, closed, typed tree of conditions on an account's fields.

``F("attributes.industry") == "retail"`` builds a :class:`Compare` node;
``&``, ``|`` and ``~`` combine nodes. The tree is closed on purpose:

- field names come from :data:`FIELDS` or have the form ``attributes.<key>``
  (a custom attribute of the account's people), ``score.<kind>`` or
  ``band.<kind>`` (a kept score, :mod:`relationkit.domain.scoring.kept`);
  anything else raises :class:`~relationkit.errors.ValidationError` when the
  expression is built;
- values are plain scalars (text, integers, finite numbers, booleans,
  aware datetimes), kept as values: a backend that translates the tree to
  SQL binds them as parameters and never splices them into the statement.

:meth:`Expr.evaluate` is the reference meaning, with SQL's three-valued
logic: a comparison with a missing field (or with a value of another type)
is *unknown* (None); ``~unknown`` is unknown; ``unknown & False`` is False;
``unknown | True`` is True. :meth:`Expr.matches` is true only for True.
Lead-scoring fit rules use it today; segments can translate the same tree.
"""

from __future__ import annotations

import decimal
import enum
import math
import re
from collections.abc import Callable, Iterable
from typing import Any, Final, TypeAlias

import attrs
import pendulum

from relationkit.errors import ValidationError

__all__ = [
    "FIELDS",
    "MISSING",
    "AllOf",
    "AnyOf",
    "Compare",
    "Exists",
    "Expr",
    "F",
    "Field",
    "In",
    "Not",
    "Op",
    "Value",
]

FIELDS: Final = frozenset(
    {
        "id",
        "name",
        "kind",
        "stage",
        "tier",
        "created_at",
        "stage_since",
        "email",
        "role",
        "external_id",
    }
)
"""The plain field names an expression may name (besides the dotted families)."""

_FAMILIES: Final = ("attributes", "score", "band")
_KEY = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")

Value: TypeAlias = str | int | float | bool | decimal.Decimal | pendulum.DateTime
"""What a comparison may hold on its right-hand side."""


class _Missing:
    """The marker a lookup returns for a field the record does not have."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
"""Returned by a lookup for a field that is absent (compares as unknown)."""

Lookup: TypeAlias = Callable[[str], Any]


class Op(enum.StrEnum):
    """A comparison operator."""

    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


def _check_name(name: object) -> str:
    if not isinstance(name, str):
        raise ValidationError("field", "must be a string")
    if name in FIELDS:
        return name
    family, dot, key = name.partition(".")
    if dot and family in _FAMILIES and _KEY.match(key):
        return name
    raise ValidationError(
        "field",
        f"{name[:80]!r} is not a known field; use one of {', '.join(sorted(FIELDS))}"
        " or attributes.<key>, score.<kind>, band.<kind>",
    )


def _check_value(value: object, field: str) -> Value:
    if isinstance(value, bool | int | str | decimal.Decimal):
        if isinstance(value, decimal.Decimal) and not value.is_finite():
            raise ValidationError(field, "must be a finite number")
        if isinstance(value, str) and len(value) > 1000:
            raise ValidationError(field, "must be at most 1000 characters")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(field, "must be a finite number")
        return value
    if isinstance(value, pendulum.DateTime):
        if value.tzinfo is None:
            raise ValidationError(field, "must be timezone-aware")
        return value
    raise ValidationError(
        field, "must be text, a number, a boolean or an aware datetime (use .exists() for null)"
    )


def _kind(value: object) -> str:
    """The comparison family of a value: values of two families never compare."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float | decimal.Decimal):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, pendulum.DateTime):
        return "time"
    return "other"


def _compare(op: Op, left: Any, right: Value) -> bool | None:
    if left is MISSING or left is None or _kind(left) != _kind(right):
        return None
    if isinstance(left, float | decimal.Decimal) or isinstance(right, float | decimal.Decimal):
        left, right = decimal.Decimal(str(left)), decimal.Decimal(str(right))
    match op:
        case Op.EQ:
            return bool(left == right)
        case Op.NE:
            return bool(left != right)
        case Op.LT:
            return bool(left < right)
        case Op.LE:
            return bool(left <= right)
        case Op.GT:
            return bool(left > right)
        case Op.GE:
            return bool(left >= right)


class Expr:
    """Base of every node: combine with ``&``, ``|`` and ``~``."""

    def evaluate(self, lookup: Lookup) -> bool | None:
        """Return True, False or None (unknown) for the record ``lookup`` reads.

        Args:
            lookup: returns a field's value by name, or :data:`MISSING`.
        """
        raise NotImplementedError

    def matches(self, lookup: Lookup) -> bool:
        """Return whether the record ``lookup`` reads satisfies the expression."""
        return self.evaluate(lookup) is True

    def fields(self) -> frozenset[str]:
        """Return the field names the expression reads."""
        raise NotImplementedError

    def __and__(self, other: Expr) -> Expr:
        return AllOf(items=(self, _expr(other)))

    def __or__(self, other: Expr) -> Expr:
        return AnyOf(items=(self, _expr(other)))

    def __invert__(self) -> Expr:
        return Not(item=self)


def _expr(value: object) -> Expr:
    if not isinstance(value, Expr):
        raise ValidationError("expression", "can only be combined with another expression")
    return value


@attrs.frozen(kw_only=True)
class Compare(Expr):
    """``field <op> value``."""

    field: str
    op: Op
    value: Value

    def evaluate(self, lookup: Lookup) -> bool | None:
        """Return the comparison's truth, or None when the field is missing."""
        return _compare(self.op, lookup(self.field), self.value)

    def fields(self) -> frozenset[str]:
        """Return ``{field}``."""
        return frozenset({self.field})


@attrs.frozen(kw_only=True)
class In(Expr):
    """``field`` equals one of ``values``."""

    field: str
    values: tuple[Value, ...]

    def evaluate(self, lookup: Lookup) -> bool | None:
        """Return whether the field equals one of the values (None when missing)."""
        left = lookup(self.field)
        results = [_compare(Op.EQ, left, v) for v in self.values]
        if any(r is True for r in results):
            return True
        return None if any(r is None for r in results) else False

    def fields(self) -> frozenset[str]:
        """Return ``{field}``."""
        return frozenset({self.field})


@attrs.frozen(kw_only=True)
class Exists(Expr):
    """``field`` is present and not null."""

    field: str

    def evaluate(self, lookup: Lookup) -> bool | None:
        """Return whether the field has a value (never unknown)."""
        found = lookup(self.field)
        return found is not MISSING and found is not None

    def fields(self) -> frozenset[str]:
        """Return ``{field}``."""
        return frozenset({self.field})


@attrs.frozen(kw_only=True)
class AllOf(Expr):
    """Every item holds (``&``)."""

    items: tuple[Expr, ...]

    def evaluate(self, lookup: Lookup) -> bool | None:
        """Return False if any item is False, else None if any is unknown, else True."""
        results = [item.evaluate(lookup) for item in self.items]
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True

    def fields(self) -> frozenset[str]:
        """Return the fields of every item."""
        return frozenset().union(*(item.fields() for item in self.items))


@attrs.frozen(kw_only=True)
class AnyOf(Expr):
    """At least one item holds (``|``)."""

    items: tuple[Expr, ...]

    def evaluate(self, lookup: Lookup) -> bool | None:
        """Return True if any item is True, else None if any is unknown, else False."""
        results = [item.evaluate(lookup) for item in self.items]
        if any(r is True for r in results):
            return True
        return None if any(r is None for r in results) else False

    def fields(self) -> frozenset[str]:
        """Return the fields of every item."""
        return frozenset().union(*(item.fields() for item in self.items))


@attrs.frozen(kw_only=True)
class Not(Expr):
    """The item does not hold (``~``); unknown stays unknown."""

    item: Expr

    def evaluate(self, lookup: Lookup) -> bool | None:
        """Return the negation of the item (None stays None)."""
        result = self.item.evaluate(lookup)
        return None if result is None else not result

    def fields(self) -> frozenset[str]:
        """Return the item's fields."""
        return self.item.fields()


@attrs.frozen(eq=False)
class Field:
    """A named field; compare it to build an expression (see :func:`F`)."""

    name: str = attrs.field(converter=_check_name)

    def _cmp(self, op: Op, value: object) -> Compare:
        return Compare(field=self.name, op=op, value=_check_value(value, self.name))

    def __eq__(self, value: object) -> Compare:  # type: ignore[override]
        return self._cmp(Op.EQ, value)

    def __ne__(self, value: object) -> Compare:  # type: ignore[override]
        return self._cmp(Op.NE, value)

    def __lt__(self, value: object) -> Compare:
        return self._cmp(Op.LT, value)

    def __le__(self, value: object) -> Compare:
        return self._cmp(Op.LE, value)

    def __gt__(self, value: object) -> Compare:
        return self._cmp(Op.GT, value)

    def __ge__(self, value: object) -> Compare:
        return self._cmp(Op.GE, value)

    __hash__ = None  # type: ignore[assignment]

    def is_in(self, values: Iterable[object]) -> In:
        """Return ``field`` equals one of ``values`` (at least one value).

        Raises:
            ValidationError: no values, or a value of an unsupported type.
        """
        checked = tuple(_check_value(v, self.name) for v in values)
        if not checked:
            raise ValidationError(self.name, "is_in needs at least one value")
        return In(field=self.name, values=checked)

    def exists(self) -> Exists:
        """Return ``field`` is present and not null."""
        return Exists(field=self.name)


def F(name: str) -> Field:
    """Return the field ``name`` to compare: ``F("stage") == "customer"``.

    Args:
        name: one of :data:`FIELDS`, or ``attributes.<key>``,
            ``score.<kind>``, ``band.<kind>``.

    Raises:
        ValidationError: the name is not a known field.
    """
    return Field(name)
