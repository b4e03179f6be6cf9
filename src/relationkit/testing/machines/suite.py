"""The state machines as tests of an adapter's suite class.

Each example of a machine gets a fresh store from ``make_storage()`` and
gives it back to ``dispose_storage()``; an adapter whose stores leave files
or tables behind overrides the latter. The number of examples and steps is
a class attribute, so an adapter (or a nightly run) can ask for more.

Added in 0.2.0.
"""

from __future__ import annotations

from typing import ClassVar

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from relationkit.testing.base import SuiteBase
from relationkit.testing.machines.equivalence import make_backend_equivalence_machine
from relationkit.testing.machines.ledger import make_ledger_machine

__all__ = ["MachineSuite", "machine_settings"]


def machine_settings(examples: int, steps: int) -> settings:
    """Return Hypothesis settings for a machine: ``examples`` runs of ``steps`` steps."""
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
        print_blob=True,
    )


class MachineSuite(SuiteBase):
    """Random operation sequences: equal to memory, and equal to the ledger model."""

    equivalence_settings: ClassVar[settings] = machine_settings(examples=25, steps=30)
    """Settings of :meth:`test_random_operations_match_memory`."""

    ledger_settings: ClassVar[settings] = machine_settings(examples=40, steps=30)
    """Settings of :meth:`test_ledger_matches_the_model`."""

    def test_random_operations_match_memory(self) -> None:
        """Random operations give the same results, errors, events and views as memory."""
        machine = make_backend_equivalence_machine(self.make_storage, dispose=self.dispose_storage)
        run_state_machine_as_test(machine, settings=self.equivalence_settings)

    def test_ledger_matches_the_model(self) -> None:
        """The loyalty ledger matches the plain model step by step."""
        machine = make_ledger_machine(self.make_storage, dispose=self.dispose_storage)
        run_state_machine_as_test(machine, settings=self.ledger_settings)
