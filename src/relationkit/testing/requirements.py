"""What an adapter declares it can do, and the decorator that turns a missing flag into a skip.

The shipped suite never skips a test by hand. A test that needs more than the
core storage port names what it needs with :func:`requires`; an adapter's
test class declares what it offers with :class:`Requirements`; a test whose
requirement is not declared is skipped with a reason naming the flag, so a
test report says what was not checked and why::

    class TestMyStore(AdapterSuite):
        requirements = Requirements(savepoints=True, reopen=True, second_handle=True)

Declaring a flag is a promise the suite checks: ``savepoints=True`` also
runs a port test that the unit of work implements
:class:`~relationkit.storage.ports.queries.Savepoints`, and leaving it out
runs one that it does not.

Added in 0.2.0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import attrs
import pytest

__all__ = ["Requirements", "requires", "skip_unmet"]

_T = TypeVar("_T")
_ATTRIBUTE = "__relationkit_requires__"


@attrs.frozen(kw_only=True)
class Requirements:
    """The flags an adapter declares; every flag is off unless declared.

    Attributes:
        savepoints: the unit of work implements
            :class:`~relationkit.storage.ports.queries.Savepoints`, so a failure
            inside a nested ``kit.transaction()`` undoes only that block.
        reopen: data survives ``close()``: a handle made by
            ``make_second_handle()`` after the first was closed sees it all.
        second_handle: ``make_second_handle()`` returns another handle (its
            own connections) over the same data, open at the same time.
        concurrent_writers: two handles may write at once, from two threads;
            writers of one account are serialised (needs ``second_handle``).
        row_locks: ``accounts.get_many(for_update=True)`` locks those accounts
            only, so a writer of another account is not blocked (PostgreSQL);
            without it a whole-store write lock is assumed (SQLite).
    """

    savepoints: bool = False
    reopen: bool = False
    second_handle: bool = False
    concurrent_writers: bool = False
    row_locks: bool = False

    def unmet(self, flags: Sequence[str]) -> list[str]:
        """Return the flags among ``flags`` that are not declared, in order."""
        return [flag for flag in flags if not getattr(self, flag)]


_FLAGS = frozenset(field.name for field in attrs.fields(Requirements))


def requires(*flags: str) -> Callable[[_T], _T]:
    """Mark a test (or every test of a class) as needing ``flags``.

    On a class, the mark goes on each ``test_*`` method the class defines,
    not on the class, so that a suite combining many classes does not pass
    one class's needs on to the others.

    Raises:
        ValueError: a flag that :class:`Requirements` does not have.
    """
    unknown = sorted(set(flags) - _FLAGS)
    if unknown:
        raise ValueError(f"unknown requirement(s) {unknown}; known: {sorted(_FLAGS)}")

    def mark(target: _T) -> _T:
        if isinstance(target, type):
            for name, member in vars(target).items():
                if name.startswith("test_") and callable(member):
                    _add(member, flags)
        else:
            _add(target, flags)
        return target

    return mark


def _add(function: object, flags: Sequence[str]) -> None:
    setattr(function, _ATTRIBUTE, (*getattr(function, _ATTRIBUTE, ()), *flags))


def skip_unmet(requirements: Requirements, function: object) -> None:
    """Skip the running test if ``function`` needs a flag ``requirements`` lacks."""
    unmet = requirements.unmet(getattr(function, _ATTRIBUTE, ()))
    if unmet:
        declared = ", ".join(f"{flag}=True" for flag in unmet)
        pytest.skip(f"needs Requirements({declared}), which the adapter does not declare")
