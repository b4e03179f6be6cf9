"""What every class of the shipped suite shares: the store it tests and its fixtures.

An adapter's test class provides :meth:`SuiteBase.make_storage` (and, when
it declares ``second_handle`` or ``reopen``, :meth:`SuiteBase.make_second_handle`)
plus its :class:`~relationkit.testing.requirements.Requirements`. Per-test
resources (a temporary directory, a table prefix) belong in an autouse
fixture of the subclass: pytest runs it before the ``storage`` fixture below
and tears it down after.

Added in 0.2.0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import ClassVar, Protocol

import pendulum
import pytest

import relationkit as rk
from relationkit.events import Event
from relationkit.money import Money
from relationkit.storage.ports import Storage
from relationkit.testing.requirements import Requirements, skip_unmet

__all__ = ["T0", "Boom", "OpenKit", "SuiteBase", "eur"]

T0 = pendulum.datetime(2026, 1, 5, 9, 0, tz="UTC")
"""The frozen time every suite kit starts at."""


def eur(amount: str) -> Money:
    """Return ``Money(amount, "EUR")``."""
    return Money(amount, "EUR")


class Boom(Exception):
    """Raised by tests to roll a transaction back."""


class OpenKit(Protocol):
    """The ``open_kit`` fixture: a kit over the test's store under ``program``."""

    def __call__(self, program: rk.LoyaltyProgram, *, timezone: str = "UTC") -> rk.RelationKit: ...


class SuiteBase:
    """Fixtures shared by every class of the suite; subclasses provide the store."""

    requirements: ClassVar[Requirements] = Requirements()
    """What the adapter declares; override in the adapter's test class."""

    def make_storage(self) -> Storage:
        """Return a new, empty store; the suite closes it after use."""
        raise NotImplementedError("an adapter's test class must implement make_storage()")

    def make_second_handle(self) -> Storage:
        """Return another handle over the store the last ``make_storage()`` returned.

        Needed when the adapter declares ``second_handle`` or ``reopen``: a
        separate connection (or process-level handle) that sees the same
        committed data, and still sees it after the first handle is closed.
        """
        raise NotImplementedError(
            "an adapter declaring Requirements(second_handle=True) or (reopen=True) "
            "must implement make_second_handle()"
        )

    def dispose_storage(self, storage: Storage) -> None:
        """Release a store the state machines made for one example (default: close it).

        Override to also delete its files or drop its tables, so that
        hundreds of examples do not pile up.
        """
        storage.close()

    @pytest.fixture(autouse=True)
    def _requirements(self, request: pytest.FixtureRequest) -> None:
        """Skip the test when it needs a flag the adapter does not declare."""
        skip_unmet(self.requirements, request.function)

    @pytest.fixture
    def clock(self) -> rk.FrozenClock:
        """A frozen clock at :data:`T0`."""
        return rk.FrozenClock(T0)

    @pytest.fixture
    def storage(self) -> Iterator[Storage]:
        """A fresh, empty store from :meth:`make_storage`, closed afterwards."""
        store = self.make_storage()
        yield store
        store.close()

    @pytest.fixture
    def kit(self, storage: Storage, clock: rk.FrozenClock) -> Iterator[rk.RelationKit]:
        """A kit over the fresh store, timed by the frozen clock."""
        kit = rk.open(storage=storage, clock=clock)
        yield kit
        kit.close()

    @pytest.fixture
    def events(self, kit: rk.RelationKit) -> list[Event]:
        """Every event the kit dispatches, in dispatch order."""
        seen: list[Event] = []
        kit.hooks.on(Event, seen.append)
        return seen

    @pytest.fixture
    def second_handle(self, storage: Storage) -> Iterator[Callable[[], Storage]]:
        """A factory of further handles over ``storage``'s data (closed afterwards).

        Tests using it declare ``@requires("second_handle")`` or
        ``@requires("reopen")``.
        """
        made: list[Storage] = []

        def factory() -> Storage:
            handle = self.make_second_handle()
            made.append(handle)
            return handle

        yield factory
        for handle in reversed(made):
            handle.close()

    @pytest.fixture
    def open_kit(self, storage: Storage, clock: rk.FrozenClock) -> Iterator[OpenKit]:
        """A factory of kits over the test's store, timed by its clock, under a program."""
        kits: list[rk.RelationKit] = []

        def factory(program: rk.LoyaltyProgram, *, timezone: str = "UTC") -> rk.RelationKit:
            kit = rk.open(storage=storage, clock=clock, loyalty=program, timezone=timezone)
            kits.append(kit)
            return kit

        yield factory
        for kit in kits:
            kit.close()
