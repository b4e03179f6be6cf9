"""Port tests: the storage port driven directly, without the kit.

What an adapter author runs first. Each module covers one part of
:mod:`relationkit.storage.ports`:

- :mod:`~relationkit.testing.port.transactions`: commit, rollback, readers;
- :mod:`~relationkit.testing.port.savepoints`: savepoints, when declared;
- :mod:`~relationkit.testing.port.accounts`, :mod:`~relationkit.testing.port.customers`,
  :mod:`~relationkit.testing.port.history`, :mod:`~relationkit.testing.port.purchases`,
  :mod:`~relationkit.testing.port.ledger`, :mod:`~relationkit.testing.port.idempotency`:
  each repository's storage, order rules and documented errors;
- :mod:`~relationkit.testing.port.copies`: no object shared with the caller;
- :mod:`~relationkit.testing.port.handles`: second handles and write locks;
- :mod:`~relationkit.testing.port.queries`: the optional query protocols
  against the reference answers of :mod:`relationkit.storage.fallback`.

Added in 0.2.0.
"""

from __future__ import annotations

from relationkit.testing.port.accounts import AccountPort
from relationkit.testing.port.copies import CopyPort
from relationkit.testing.port.customers import CustomerPort
from relationkit.testing.port.handles import HandlePort
from relationkit.testing.port.history import HistoryPort
from relationkit.testing.port.idempotency import IdempotencyPort
from relationkit.testing.port.ledger import LedgerPort
from relationkit.testing.port.paging import PagingPort, PointsPort
from relationkit.testing.port.purchases import PurchasePort
from relationkit.testing.port.queries import QueryPort
from relationkit.testing.port.savepoints import SavepointPort
from relationkit.testing.port.transactions import TransactionPort

__all__ = [
    "AccountPort",
    "CopyPort",
    "CustomerPort",
    "HandlePort",
    "HistoryPort",
    "IdempotencyPort",
    "LedgerPort",
    "PagingPort",
    "PointsPort",
    "PortSuite",
    "PurchasePort",
    "QueryPort",
    "SavepointPort",
    "TransactionPort",
]


class PortSuite(
    TransactionPort,
    SavepointPort,
    AccountPort,
    CustomerPort,
    HistoryPort,
    PurchasePort,
    LedgerPort,
    PagingPort,
    PointsPort,
    IdempotencyPort,
    CopyPort,
    HandlePort,
    QueryPort,
):
    """Every port test: subclass it with a ``Test`` name to run the port level alone."""
