"""Behaviour tests: the public facade (``rk.open(storage=...)``) over the backend.

Only what can come out differently from one backend to another lives here:
what is stored and read back, uniqueness, ordering, rollbacks, hooks after
commit, event sequences, re-opening, other handles, concurrent writers.
Checks of the services alone (input validation, rules that never reach the
store) are relationkit's own unit tests and are not run again per backend.

Added in 0.2.0.
"""

from __future__ import annotations

from relationkit.testing.behaviour.accounts import AccountBehaviour
from relationkit.testing.behaviour.company_first import CompanyFirstBehaviour
from relationkit.testing.behaviour.concurrency import ConcurrencyBehaviour
from relationkit.testing.behaviour.customers import CustomerBehaviour
from relationkit.testing.behaviour.directory import DirectoryBehaviour
from relationkit.testing.behaviour.events import EventBehaviour
from relationkit.testing.behaviour.hooks import HookBehaviour
from relationkit.testing.behaviour.imports import BulkImportBehaviour
from relationkit.testing.behaviour.interactions import InteractionBehaviour
from relationkit.testing.behaviour.lifecycle import LifecycleBehaviour
from relationkit.testing.behaviour.moves import MoveBehaviour
from relationkit.testing.behaviour.persistence import PersistenceBehaviour
from relationkit.testing.behaviour.purchases import PurchaseBehaviour
from relationkit.testing.behaviour.refunds import RefundBehaviour
from relationkit.testing.behaviour.shop import ShopBehaviour
from relationkit.testing.behaviour.timeline import TimelineBehaviour
from relationkit.testing.behaviour.transactions import TransactionBehaviour
from relationkit.testing.behaviour.values import ValueBehaviour

__all__ = [
    "AccountBehaviour",
    "BehaviourSuite",
    "BulkImportBehaviour",
    "CompanyFirstBehaviour",
    "ConcurrencyBehaviour",
    "CustomerBehaviour",
    "DirectoryBehaviour",
    "EventBehaviour",
    "HookBehaviour",
    "InteractionBehaviour",
    "LifecycleBehaviour",
    "MoveBehaviour",
    "PersistenceBehaviour",
    "PurchaseBehaviour",
    "RefundBehaviour",
    "ShopBehaviour",
    "TimelineBehaviour",
    "TransactionBehaviour",
    "ValueBehaviour",
]


class BehaviourSuite(
    CustomerBehaviour,
    DirectoryBehaviour,
    AccountBehaviour,
    LifecycleBehaviour,
    InteractionBehaviour,
    PurchaseBehaviour,
    RefundBehaviour,
    BulkImportBehaviour,
    ValueBehaviour,
    TimelineBehaviour,
    TransactionBehaviour,
    HookBehaviour,
    EventBehaviour,
    PersistenceBehaviour,
    ConcurrencyBehaviour,
    ShopBehaviour,
    MoveBehaviour,
    CompanyFirstBehaviour,
):
    """Every behaviour test: subclass it with a ``Test`` name to run this level alone."""
