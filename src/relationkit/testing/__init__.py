"""Helpers for testing relationkit and its storage adapters, shipped in the wheel.

The contract suite every backend passes unchanged is
:class:`AdapterSuite`. A third-party adapter's test module subclasses it,
says how to make a fresh store, and declares what the store can do::

    # tests/test_my_store.py
    import uuid

    import pytest
    import relationkit as rk
    from relationkit.testing import AdapterSuite, Requirements

    class TestMyStore(AdapterSuite):
        requirements = Requirements(savepoints=True, reopen=True, second_handle=True)

        @pytest.fixture(autouse=True)
        def _directory(self, tmp_path):           # per-test resources first
            self.path = tmp_path

        def make_storage(self) -> rk.Storage:     # a fresh, empty store on each call
            self.store_path = self.path / uuid.uuid4().hex
            return MyStore(self.store_path)

        def make_second_handle(self) -> rk.Storage:  # same data, another handle
            return MyStore(self.store_path)

    # tests/conftest.py: readable assertion failures from the suite's modules
    import pytest
    pytest.register_assert_rewrite("relationkit.testing")

Tests that need a flag the adapter does not declare are skipped with a
reason naming it (see :mod:`relationkit.testing.requirements`). The levels
can also be run one at a time, each a class to subclass the same way, and
each in a package whose module names say what they test:

- :mod:`relationkit.testing.port` (``PortSuite``): the storage port alone,
  what to make pass first; query protocols against the reference answers;
- :mod:`relationkit.testing.behaviour` (``BehaviourSuite``): the kit over
  the store;
- :mod:`relationkit.testing.loyalty` (``LoyaltySuite``): the loyalty ledger;
- :mod:`relationkit.testing.machines` (``MachineSuite``): Hypothesis state
  machines comparing the store with memory and with a ledger model.

:mod:`relationkit.testing.strategies` holds Hypothesis strategies for
relationkit's values.

The suite needs pytest, and the machines and strategies need Hypothesis.
Importing :mod:`relationkit` or this package imports neither: the names
below load their modules on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from relationkit.testing.requirements import Requirements, requires
    from relationkit.testing.suite import AdapterSuite

__all__ = ["AdapterSuite", "Requirements", "requires"]

_LAZY = {
    "AdapterSuite": "relationkit.testing.suite",
    "Requirements": "relationkit.testing.requirements",
    "requires": "relationkit.testing.requirements",
}


def __getattr__(name: str) -> Any:
    """Import the public names on first use (they need pytest and Hypothesis)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
