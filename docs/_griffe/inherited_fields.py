"""List an attrs class's inherited fields in its own "Attributes:" table.

An attrs subclass carries every field of its bases (an event has the
``event_id``, ``occurred_at``, ``aggregate_id`` and ``sequence`` of
:class:`relationkit.events.Event` beside its own), but its docstring describes
only the fields it adds. This griffe extension, loaded from ``mkdocs.yml``,
copies the entries of each base's ``Attributes:`` section after the class's
own, marked with the base they come from, so every class's table lists all
of its fields. Only the rendered docs change; the docstrings stay as written.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_SECTION = "Attributes:"
_ENTRY = re.compile(r"^(?P<indent>\s+)(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(\([^)]*\))?\s*:")


def _is_attrs_class(cls: griffe.Class) -> bool:
    """Return whether ``cls`` is decorated by attrs (``@attrs.frozen``, ``@attrs.define``, ...)."""
    return any(str(d.value).startswith(("attrs.", "attr.")) for d in cls.decorators)


def _section_bounds(lines: list[str]) -> tuple[int, int] | None:
    """Return the first and past-the-last line of the ``Attributes:`` section, if any."""
    try:
        start = lines.index(_SECTION)
    except ValueError:
        return None
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][:1].isspace()):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return start, end


def entries(text: str) -> dict[str, list[str]]:
    """Return the ``Attributes:`` entries of a Google docstring: name -> its lines."""
    lines = text.split("\n")
    bounds = _section_bounds(lines)
    found: dict[str, list[str]] = {}
    if bounds is None:
        return found
    current: list[str] | None = None
    for line in lines[bounds[0] + 1 : bounds[1]]:
        match = _ENTRY.match(line)
        if match is not None and len(match["indent"]) <= 4:
            current = found.setdefault(match["name"], [])
        if current is not None:
            current.append(line)
    return found


def with_inherited(text: str, inherited: dict[str, tuple[str, list[str]]]) -> str:
    """Return ``text`` with the ``inherited`` entries (name -> (base, lines)) appended.

    Entries the class documents itself are left as the class wrote them.
    """
    own = entries(text)
    extra: list[str] = []
    for name, (base, lines) in inherited.items():
        if name in own:
            continue
        extra.extend(lines)
        extra[-1] = extra[-1].rstrip() + f" (from `{base}`)"
    if not extra:
        return text
    lines = text.split("\n")
    bounds = _section_bounds(lines)
    if bounds is None:
        return "\n".join([*lines, "", _SECTION, *extra])
    end = bounds[1]
    return "\n".join([*lines[:end], *extra, *lines[end:]])


def _documented_fields(
    cls: griffe.Class, done: dict[str, dict[str, tuple[str, list[str]]]]
) -> dict[str, tuple[str, list[str]]]:
    """Return every field entry ``cls`` shows, own and inherited, completing its docstring."""
    if cls.path in done:
        return done[cls.path]
    inherited: dict[str, tuple[str, list[str]]] = {}
    for base in cls.resolved_bases:
        if isinstance(base, griffe.Class) and _is_attrs_class(base):
            for name, entry in _documented_fields(base, done).items():
                inherited.setdefault(name, entry)
    text = cls.docstring.value if cls.docstring is not None else ""
    merged = {name: (cls.name, lines) for name, lines in entries(text).items()}
    for name, entry in inherited.items():
        merged.setdefault(name, entry)
    if cls.docstring is not None and inherited:
        cls.docstring.value = with_inherited(text, inherited)
    done[cls.path] = merged
    return merged


def _classes(obj: griffe.Object) -> list[griffe.Class]:
    found: list[griffe.Class] = []
    for member in obj.members.values():
        if member.is_alias:
            continue
        if isinstance(member, griffe.Class):
            found.append(member)
            found.extend(_classes(member))
        elif isinstance(member, griffe.Module):
            found.extend(_classes(member))
    return found


class InheritedFields(griffe.Extension):
    """Complete every attrs class's ``Attributes:`` table with its bases' fields."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Merge the inherited entries once the whole package is loaded."""
        done: dict[str, dict[str, tuple[str, list[str]]]] = {}
        for cls in _classes(pkg):
            if _is_attrs_class(cls):
                _documented_fields(cls, done)
