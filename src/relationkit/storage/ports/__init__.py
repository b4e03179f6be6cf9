"""The storage port: what a backend must do, and what it may do better.

- :mod:`~relationkit.storage.ports.core`: the records a backend stores and
  fetches per aggregate, plus the unit of work. Every backend implements all
  of it.
- :mod:`~relationkit.storage.ports.queries`: optional, ``runtime_checkable``
  protocols for work a database does better (aggregates, due scans,
  savepoints). A unit of work that implements one is used for it; otherwise
  the services use the reference implementation in
  :mod:`relationkit.storage.fallback`, built on the core alone.

The port's errors (:class:`~relationkit.errors.DuplicateKey`,
:class:`~relationkit.errors.DanglingReference`,
:class:`~relationkit.errors.TransientStorageError`) live in
:mod:`relationkit.errors` with the rest of the tree.
"""

from relationkit.errors import DanglingReference, DuplicateKey, TransientStorageError
from relationkit.storage.ports.core import (
    AccountRepository,
    CustomerRepository,
    IdempotencyRecord,
    IdempotencyRepository,
    InteractionRepository,
    LedgerRepository,
    PointsRepository,
    PurchaseRepository,
    StageRepository,
    Storage,
    UnitOfWork,
    chunked,
)
from relationkit.storage.ports.queries import (
    AccountQuery,
    BalanceRanking,
    CustomerQuery,
    Directory,
    LedgerScans,
    PurchaseCounts,
    RecordCounts,
    Savepoints,
    SpendRanking,
    SpendRow,
    StageCounts,
    TierMeasures,
)

__all__ = [
    "AccountQuery",
    "AccountRepository",
    "BalanceRanking",
    "CustomerQuery",
    "CustomerRepository",
    "DanglingReference",
    "Directory",
    "DuplicateKey",
    "IdempotencyRecord",
    "IdempotencyRepository",
    "InteractionRepository",
    "LedgerRepository",
    "LedgerScans",
    "PointsRepository",
    "PurchaseCounts",
    "PurchaseRepository",
    "RecordCounts",
    "Savepoints",
    "SpendRanking",
    "SpendRow",
    "StageCounts",
    "StageRepository",
    "Storage",
    "TierMeasures",
    "TransientStorageError",
    "UnitOfWork",
    "chunked",
]
