"""The machinery behind :mod:`~relationkit.storage.sql.mapping`: columns and shapes.

A :class:`Shape` is a table's columns in order, each made by one of the
column helpers below (:func:`value`, :func:`choice`, :func:`money`, ...), and
the converters compiled from them (see the mapping module's docstring).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs
from sqlalchemy import BigInteger, Boolean, Column, Integer, String, bindparam
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.types import TypeEngine

from relationkit._validate import email_key
from relationkit.domain.customers import AccountKind
from relationkit.domain.holds import HoldStatus
from relationkit.domain.interactions import Channel, Direction
from relationkit.domain.ledger import EntryKind
from relationkit.domain.scoring.kept import ScoreKind
from relationkit.money import Money

__all__ = [
    "Col",
    "Shape",
    "choice",
    "derived",
    "flag",
    "money",
    "parent_key",
    "position",
    "serial",
    "value",
]


@attrs.frozen
class Col:
    """One column: its name, type and what it holds.

    ``dump`` is the Python expression of its value on write (``m`` is the
    model, ``p`` the parent, ``i`` the position) or None when the database
    fills it; ``attr`` and ``load`` say which model attribute it fills on read
    (``{}`` stands for the row value; ``load`` may name more columns, see
    :func:`money`).
    """

    name: str
    type: TypeEngine[Any]
    nullable: bool = False
    dump: str | None = None
    attr: str | None = None
    load: str = "{}"
    autoincrement: bool = False

    def column(self) -> Column[Any]:
        """Return a fresh ``Column`` (a Column belongs to one Table)."""
        if self.autoincrement:
            return Column(self.name, self.type, nullable=False, autoincrement=True)
        return Column(self.name, self.type, nullable=self.nullable)


def value(
    name: str, type_: TypeEngine[Any], *, nullable: bool = False, attr: str | None = None
) -> list[Col]:
    """A column holding a model attribute as it is."""
    attr = attr or name
    return [Col(name, type_, nullable, dump=f"m.{attr}", attr=attr)]


def choice(name: str, enum_type: type[enum.Enum], length: int) -> list[Col]:
    """A column holding an enum attribute's value."""
    return [
        Col(
            name,
            String(length),
            dump=f"m.{name}.value",
            attr=name,
            load=f"{enum_type.__name__}({{}})",
        )
    ]


def flag(name: str) -> list[Col]:
    """A boolean attribute (SQLite hands back 0 or 1)."""
    return [
        Col(name, Boolean(create_constraint=False), dump=f"m.{name}", attr=name, load="bool({})")
    ]


def money(attr: str, minor: str, currency: str = "currency") -> list[Col]:
    """A Money attribute as integer minor units plus an ISO 4217 code."""
    return [
        Col(
            minor,
            BigInteger(),
            dump=f"m.{attr}.minor",
            attr=attr,
            load=f"Money.from_minor({{}}, {{{currency}}})",
        ),
        Col(currency, String(3), dump=f"m.{attr}.currency"),
    ]


def derived(name: str, type_: TypeEngine[Any], dump: str) -> list[Col]:
    """A column computed from the model on write and not read back."""
    return [Col(name, type_, nullable=True, dump=dump)]


def parent_key(name: str, type_: TypeEngine[Any], parent_attr: str) -> list[Col]:
    """A child row's reference to its parent (the parent's ``parent_attr``)."""
    return [Col(name, type_, dump=f"p.{parent_attr}")]


def position(name: str = "position") -> list[Col]:
    """A child row's place among its parent's children (their order on read)."""
    return [Col(name, Integer(), dump="i")]


def serial(name: str = "seq") -> list[Col]:
    """An autoincrement column that keeps insertion order (not in the model)."""
    big = BigInteger().with_variant(Integer(), "sqlite")  # SQLite: INTEGER PRIMARY KEY is the rowid
    return [Col(name, big, autoincrement=True)]


_NAMESPACE: dict[str, Any] = {
    "Money": Money,
    "email_key": email_key,
    **{e.__name__: e for e in (AccountKind, Channel, Direction, EntryKind, ScoreKind)},
    "HoldStatus": HoldStatus,
}


class Shape:
    """A model's table: its columns in order, and the converters derived from them.

    Args:
        table: the table's name without the store's prefix.
        model: the attrs class a row stands for.
        columns: the columns, in table order (see the column helpers).
        children: model attributes filled from child tables (given to :meth:`load`).
        of: for a child table, the parent's attribute that holds the children.
        immutable: attributes an UPDATE leaves alone (besides the key).
        key: the key columns an UPDATE selects by.
    """

    def __init__(
        self,
        table: str,
        model: type,
        columns: Iterable[list[Col]],
        *,
        children: Sequence[str] = (),
        of: str | None = None,
        immutable: Sequence[str] = (),
        key: Sequence[str] = ("id",),
    ) -> None:
        self.table = table
        self.model = model
        self.cols: tuple[Col, ...] = tuple(c for group in columns for c in group)
        self.children = tuple(children)
        self.of = of
        self.key = tuple(key)
        index = {c.name: i for i, c in enumerate(self.cols)}
        stored = {c.name: c for c in self.cols if c.dump is not None}
        items = ", ".join(f"{name!r}: {c.dump}" for name, c in stored.items())
        if of is None:
            rows_src = f"def rows(models):\n    return [{{{items}}} for m in models]\n"
        else:
            rows_src = (
                "def rows(parents):\n"
                f"    return [{{{items}}} for p in parents for i, m in enumerate(p.{of})]\n"
            )
        fields = [
            f"{c.attr}=" + c.load.format(f"r[{i}]", **{k: f"r[{v}]" for k, v in index.items()})
            for i, c in enumerate(self.cols)
            if c.attr is not None
        ]
        fields += [f"{name}=tuple({name})" for name in self.children]
        extra = "".join(f", {name}=()" for name in self.children)
        load_src = f"def load(r{extra}):\n    return {model.__name__}({', '.join(fields)})\n"
        frozen = set(self.key) | set(immutable)
        changing = [
            (name, c.dump)
            for name, c in stored.items()
            if name not in frozen and not (c.attr is not None and c.attr in frozen)
        ]
        self.changing = tuple(name for name, _ in changing)
        binds = ", ".join(f"'b_{name}': {dump}" for name, dump in changing)
        if all(name in stored for name in self.key):
            keys = ", ".join(f"'b_{name}': {stored[name].dump}" for name in self.key)
            update_src = (
                f"def update_params(models):\n    return [{{{keys}, {binds}}} for m in models]\n"
            )
        else:  # append-only rows (their key is numbered by the database)
            update_src = (
                "def update_params(models):\n    raise TypeError('rows are never updated')\n"
            )
        namespace = {**_NAMESPACE, model.__name__: model}
        exec(rows_src + load_src + update_src, namespace)
        self.rows: Callable[[Iterable[Any]], list[dict[str, Any]]] = namespace["rows"]
        self.load: Callable[..., Any] = namespace["load"]
        self.update_params: Callable[[Iterable[Any]], list[dict[str, Any]]] = namespace[
            "update_params"
        ]

    def columns(self) -> list[Column[Any]]:
        """Return new ``Column`` objects for a ``Table`` of this shape."""
        return [c.column() for c in self.cols]

    def update_values(self, types: dict[str, TypeEngine[Any]]) -> dict[str, BindParameter[Any]]:
        """Return the SET clause of an UPDATE: ``b_<column>`` binds for the mutable columns."""
        return {name: bindparam(f"b_{name}", type_=types[name]) for name in self.changing}

    def model_fields(self) -> set[str]:
        """Return the model attributes this shape stores (for the completeness test)."""
        return {c.attr for c in self.cols if c.attr is not None} | set(self.children)
