"""Backend equivalence: random operation sequences give the same answers on two backends.

:func:`make_backend_equivalence_machine` builds a Hypothesis
``RuleBasedStateMachine`` that runs two kits side by side, one over the
reference backend (memory) and one over the backend under test, with one
:class:`~relationkit.FrozenClock` and a counting id generator each, so both
make the same ids at the same times. Every rule (create customers, B2B
accounts and contacts, move stages, record and replay purchases, refund,
import batches, log interactions, roll transactions back) runs on both kits;
the results or errors, and the events dispatched, must be equal. After each
step, everything the public API shows must be equal too: counts, stage
distribution, top spenders, and every known account's stage, contacts,
history, spans, interactions, purchases and timeline, every known customer
and order, and the look-ups by email and external id.

The machine is composed from mixins over
``_equivalence_lockstep.LockstepMachine`` (the two kits, ``both()``, the
draws that depend on the state): the rules for people and stages
(``_equivalence_people``), purchases (``_equivalence_purchases``) and
transaction blocks (``_equivalence_transactions``), and the invariant
(``_equivalence_views``); the argument pools are in ``_equivalence_draws``.

Example::

    from relationkit.storage.sql import SqlStorage
    from relationkit.testing.machines.equivalence import make_backend_equivalence_machine

    Machine = make_backend_equivalence_machine(lambda: SqlStorage.from_url("sqlite://"))
    TestSqliteMatchesMemory = Machine.TestCase

Needs Hypothesis (``pip install hypothesis``).
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis.stateful import RuleBasedStateMachine

import relationkit as rk
from relationkit.storage.ports import Storage
from relationkit.testing.machines._equivalence_lockstep import CountingIds
from relationkit.testing.machines._equivalence_people import PeopleRules
from relationkit.testing.machines._equivalence_purchases import PurchaseRules
from relationkit.testing.machines._equivalence_transactions import TransactionRules
from relationkit.testing.machines._equivalence_views import ViewChecks

__all__ = ["CountingIds", "make_backend_equivalence_machine"]


def make_backend_equivalence_machine(
    make_storage: Callable[[], Storage],
    *,
    dispose: Callable[[Storage], None] | None = None,
    make_reference: Callable[[], Storage] = rk.MemoryStorage,
) -> type[RuleBasedStateMachine]:
    """Build a state machine checking that a backend behaves like the reference.

    Args:
        make_storage: returns a fresh, empty store of the backend under test;
            called once per Hypothesis example.
        dispose: called with each store after it is closed (drop its tables,
            delete its file).
        make_reference: returns a fresh reference store (memory by default).

    Returns:
        A ``RuleBasedStateMachine`` subclass; run it through its ``TestCase``
        attribute, with settings of your choice.
    """

    class BackendEquivalence(PeopleRules, PurchaseRules, TransactionRules, ViewChecks):
        """The reference kit and the candidate kit, driven in lockstep."""

        def new_reference_store(self) -> Storage:
            return make_reference()

        def new_candidate_store(self) -> Storage:
            return make_storage()

        def dispose_candidate(self, store: Storage) -> None:
            if dispose is not None:
                dispose(store)

    return BackendEquivalence
