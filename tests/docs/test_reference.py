"""The API reference has no empty entry: every public object it renders says what it is.

The objects are the ones ``docs/reference.md`` renders (its ``:::`` entries)
plus everything in ``relationkit.__all__``, read by griffe with the
extensions ``mkdocs.yml`` loads, so what is checked is what the page shows.
An entry is empty when:

- a module, class, function, method, property or constant has no docstring;
- a field of an attrs class (an event, a model) is not described in the
  class's ``Attributes:`` (or ``Args:``) section, its bases' sections included
  (``docs/_griffe/inherited_fields.py`` copies them into the table);
- a member of an enum is not described in the enum's ``Attributes:`` section.

Packages rendered with ``members: false`` (the storage port) must give each
public module its own entry, and every service of a kit (``kit.customers``,
``kit.scores``, ...) must have one, so new modules and services cannot be
left off the page.
"""

from __future__ import annotations

import enum
import importlib
import re
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import griffe
import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML (from mkdocs) ships no stubs

import relationkit as rk

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "reference.md"
_ENTRY = re.compile(r"^:::\s*(?P<path>[\w.]+)\s*$")
_FIELD_SECTIONS = (griffe.DocstringSectionKind.attributes, griffe.DocstringSectionKind.parameters)


def reference_entries() -> list[tuple[str, dict[str, Any]]]:
    """Return each ``::: path`` of the reference page with its options."""
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    found = []
    for number, line in enumerate(lines):
        match = _ENTRY.match(line)
        if match is None:
            continue
        block = []
        for following in lines[number + 1 :]:
            if following.strip() and not following.startswith(" "):
                break
            block.append(following)
        parsed = yaml.safe_load(textwrap.dedent("\n".join(block))) if block else None
        options = (parsed or {}).get("options", {}) if isinstance(parsed, dict) else {}
        found.append((match["path"], options))
    return found


def load_package(name: str, search_path: Path) -> griffe.Object | griffe.Alias:
    """Load a package with griffe the way mkdocstrings does for ``mkdocs.yml``."""
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    python = config["plugins"][2]["mkdocstrings"]["handlers"]["python"]["options"]
    paths = [str(ROOT / extension) for extension in python["extensions"]]
    return griffe.load(
        name,
        search_paths=[search_path],
        extensions=griffe.load_extensions(*paths),
        docstring_parser=griffe.Parser.google,
        # The reference page's own setting: attrs classes document their
        # generated __init__ under "Args:", which static analysis cannot see.
        docstring_options={"warn_unknown_params": False, "warn_missing_types": False},
        resolve_aliases=True,
        resolve_implicit=True,
    )


@pytest.fixture(scope="module")
def package() -> griffe.Object | griffe.Alias:
    """relationkit as griffe reads it for the reference page."""
    return load_package("relationkit", ROOT / "src")


# -- the checker ---------------------------------------------------------------


def _target(obj: griffe.Object | griffe.Alias) -> griffe.Object:
    return obj.final_target if isinstance(obj, griffe.Alias) else obj


def _runtime(path: str) -> object:
    """Import the object at a dotted ``path``."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            value = getattr(value, part)
        return value
    raise ImportError(path)


def _described(obj: griffe.Object) -> dict[str, str]:
    """Return the names an object's docstring describes (Attributes and Args) -> description."""
    if obj.docstring is None:
        return {}
    described: dict[str, str] = {}
    for section in obj.docstring.parsed:
        if section.kind in _FIELD_SECTIONS:
            for item in section.value:
                described.setdefault(item.name, item.description.strip())
    return described


def _has_docstring(obj: griffe.Object) -> bool:
    return obj.docstring is not None and bool(obj.docstring.value.strip())


def _class_problems(cls: griffe.Class) -> Iterator[str]:
    runtime = _runtime(cls.path)
    described = _described(cls)
    if isinstance(runtime, type) and attrs.has(runtime):
        for field in attrs.fields(runtime):
            if field.name.startswith("_"):
                continue
            member = cls.all_members.get(field.name)
            own = member is not None and _has_docstring(_target(member))
            if not described.get(field.name) and not own:
                yield f"{cls.path}: field {field.name!r} is not described"
    if isinstance(runtime, type) and issubclass(runtime, enum.Enum):
        for name in runtime.__members__:
            if not described.get(name):
                yield f"{cls.path}: member {name!r} is not described"
    for name, member in cls.members.items():
        if name.startswith("_") or member.is_alias:
            continue
        if isinstance(member, griffe.Function) and not _has_docstring(member):
            yield f"{member.path}: no docstring"
        if isinstance(member, griffe.Class):
            yield from check(member)


def check(obj: griffe.Object | griffe.Alias, members: list[str] | None = None) -> Iterator[str]:
    """Yield a line per empty entry of ``obj`` and of the members it renders.

    Args:
        obj: a module, class, function or attribute, as griffe loaded it.
        members: the members a module renders (default: its ``__all__``, or
            every public name defined in it).
    """
    target = _target(obj)
    if not _has_docstring(target):
        yield f"{target.path}: no docstring"
    if isinstance(target, griffe.Class):
        yield from _class_problems(target)
    if not isinstance(target, griffe.Module):
        return
    if members is None:
        exports = target.exports
        if exports is not None:
            members = [str(name) for name in exports]
        else:
            members = [
                name
                for name, member in target.members.items()
                if not name.startswith("_") and not member.is_alias
            ]
    for name in members:
        member = target.members.get(name)
        if member is None:
            yield f"{target.path}: {name!r} is listed but not found"
        else:
            yield from check(member)


def _members_option(options: dict[str, Any]) -> list[str] | None:
    members = options.get("members")
    return [str(name) for name in members] if isinstance(members, list) else None


# -- the reference ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "options"),
    reference_entries(),
    ids=[path for path, _ in reference_entries()],
)
def test_reference_entry_has_no_empty_entry(
    package: griffe.Object, path: str, options: dict[str, Any]
) -> None:
    """Every object a ``:::`` entry of the reference page renders is documented."""
    obj = package[path.removeprefix("relationkit.")] if path != "relationkit" else package
    if options.get("members") is False:
        problems = [] if _has_docstring(_target(obj)) else [f"{path}: no docstring"]
    else:
        problems = list(check(obj, _members_option(options)))

    assert [] == problems


def test_every_public_name_has_an_entry(package: griffe.Object) -> None:
    """Every name of ``relationkit.__all__`` is documented, modules (errors, events) included."""
    problems = [problem for name in rk.__all__ for problem in check(package[name])]

    assert [] == problems


def test_reference_lists_every_public_name() -> None:
    """The reference page's ``relationkit`` entry renders every name of ``__all__``."""
    entries = dict(reference_entries())
    listed = set(_members_option(entries["relationkit"]) or [])
    modules = {name for name in rk.__all__ if isinstance(getattr(rk, name), type(sys))}

    assert set() == set(rk.__all__) - listed - modules
    assert set() == {f"relationkit.{name}" for name in modules} - set(entries)


def test_packages_without_members_list_each_module(package: griffe.Object) -> None:
    """A package rendered with ``members: false`` gives each public module its own entry."""
    entries = reference_entries()
    paths = {path for path, _ in entries}
    missing = []
    for path, options in entries:
        if options.get("members") is not False:
            continue
        pkg = _target(package[path.removeprefix("relationkit.")])
        for name, member in pkg.members.items():
            module = isinstance(_target(member), griffe.Module) and not name.startswith("_")
            if module and member.path not in paths:
                missing.append(member.path)

    assert [] == missing


def test_every_kit_service_has_an_entry(package: griffe.Object) -> None:
    """Each service a kit exposes (``kit.customers``, ...) is rendered by the reference page."""
    paths = {
        _target(package[path.removeprefix("relationkit.")]).path
        for path, _ in reference_entries()
        if path != "relationkit"
    }
    with rk.open() as kit:
        services = {
            f"{type(value).__module__}.{type(value).__qualname__}"
            for name, value in vars(kit).items()
            if not name.startswith("_")
            and type(value).__module__.startswith("relationkit.services.")
        }

    assert services, "no service found on the kit"
    assert set() == services - paths


# -- the checker itself ----------------------------------------------------------

SAMPLE = '''
"""A sample module."""

import enum

import attrs

__all__ = ["Base", "Colour", "Child", "undocumented"]


class Colour(enum.Enum):
    """A colour.

    Attributes:
        RED: red.
    """

    RED = 1
    BLUE = 2


@attrs.frozen
class Base:
    """A base.

    Attributes:
        shared: described once, on the base.
    """

    shared: int


@attrs.frozen
class Child(Base):
    """A child.

    Attributes:
        own: described.
    """

    own: int
    forgotten: int

    def method(self) -> None:
        pass


def undocumented() -> None:
    pass
'''


def test_checker_reports_each_kind_of_empty_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checker finds an undescribed field and member, a bare method and function.

    An inherited field described on its base counts as described.
    """
    (tmp_path / "rk_reference_sample.py").write_text(SAMPLE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    sample = load_package("rk_reference_sample", tmp_path)

    problems = sorted(check(sample))

    assert [
        "rk_reference_sample.Child.method: no docstring",
        "rk_reference_sample.Child: field 'forgotten' is not described",
        "rk_reference_sample.Colour: member 'BLUE' is not described",
        "rk_reference_sample.undocumented: no docstring",
    ] == problems


def test_inherited_fields_join_the_subclass_table(tmp_path: Path) -> None:
    """The griffe extension lists a base's fields in its subclass's Attributes table."""
    (tmp_path / "rk_reference_inherit.py").write_text(SAMPLE, encoding="utf-8")
    sample = _target(load_package("rk_reference_inherit", tmp_path))

    described = _described(_target(sample["Child"]))

    assert {
        "own": "described.",
        "shared": "described once, on the base. (from `Base`)",
    } == described
