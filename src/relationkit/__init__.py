"""relationkit: embeddable customer relationship management for Python.

Open a kit over a store, then use its services::

    import relationkit as rk

    kit = rk.open()                              # in memory
    kit = rk.open("sqlite:///crm.db")            # an embedded SQLite file
    alice = kit.customers.create(email="alice@example.com", name="Alice")

Everything public is listed in ``__all__``; other names may change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from relationkit import errors, events
from relationkit.clock import Clock, FrozenClock, SystemClock
from relationkit.domain.customers import Account, AccountKind, Customer
from relationkit.domain.interactions import Channel, Direction, Interaction
from relationkit.domain.ledger import Allocation, EntryKind, LedgerEntry
from relationkit.domain.lifecycle import DEFAULT_STAGE_GRAPH, StageChange, StageGraph, StageSpan
from relationkit.domain.loyalty import Expiry, LoyaltyProgram, Tier
from relationkit.domain.points import OpenLot, PointsState
from relationkit.domain.purchases import LineItem, Purchase, Refund
from relationkit.domain.timeline import TimelineEntry
from relationkit.hooks import ErrorPolicy, HookFailure, Hooks
from relationkit.ids import IdGenerator, UlidGenerator
from relationkit.kit import RelationKit
from relationkit.money import Money
from relationkit.services.loyalty import DueResult, LoyaltySummary, RebuildReport, VerifyReport
from relationkit.services.purchases import BulkResult
from relationkit.storage.memory import MemoryStorage
from relationkit.storage.ports import SpendRow, Storage

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine, MetaData

__all__ = [
    "DEFAULT_STAGE_GRAPH",
    "Account",
    "AccountKind",
    "Allocation",
    "BulkResult",
    "Channel",
    "Clock",
    "Customer",
    "Direction",
    "DueResult",
    "EntryKind",
    "ErrorPolicy",
    "Expiry",
    "FrozenClock",
    "HookFailure",
    "Hooks",
    "IdGenerator",
    "Interaction",
    "LedgerEntry",
    "LineItem",
    "LoyaltyProgram",
    "LoyaltySummary",
    "MemoryStorage",
    "Money",
    "OpenLot",
    "PointsState",
    "Purchase",
    "RebuildReport",
    "Refund",
    "RelationKit",
    "SpendRow",
    "StageChange",
    "StageGraph",
    "StageSpan",
    "Storage",
    "SystemClock",
    "Tier",
    "TimelineEntry",
    "UlidGenerator",
    "VerifyReport",
    "__version__",
    "errors",
    "events",
    "open",
]

__version__ = "0.1.0"


def open(
    url: str | None = None,
    *,
    engine: Engine | Connection | None = None,
    storage: Storage | None = None,
    metadata: MetaData | None = None,
    table_prefix: str = "rk_",
    create_tables: bool = True,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    timezone: str = "UTC",
    stages: StageGraph | None = None,
    hook_errors: ErrorPolicy = "raise",
    retries: int = 10,
    **options: Any,
) -> RelationKit:
    """Open a kit over a store.

    Give at most one of ``url``, ``engine`` and ``storage``; with none, the
    kit keeps everything in memory.

    Args:
        url: ``"sqlite:///crm.db"``, ``"postgresql+psycopg://..."``,
            ``"memory://"``, or a scheme an installed plugin registers in the
            ``relationkit.storage`` entry-point group.
        engine: a SQLAlchemy ``Engine`` or ``Connection`` the host owns (it is
            not disposed by :meth:`RelationKit.close`).
        storage: any object meeting :class:`relationkit.Storage`.
        metadata: the host's SQLAlchemy ``MetaData`` to add relationkit's tables to.
        table_prefix: prefix of relationkit's table names.
        create_tables: create missing tables (else a missing table is an error).
        clock: the time source (``SystemClock()`` by default).
        ids: the id generator.
        timezone: the zone for calendar rules (expiry at end of month, periods).
        stages: the lifecycle stage graph (:data:`DEFAULT_STAGE_GRAPH`).
        hook_errors: ``"raise"``, ``"log"`` or ``"collect"``.
        retries: how often a transaction that met a busy database, a deadlock
            or a concurrent duplicate is tried again before ``StorageError``.
        **options: passed to the backend (``loyalty=`` goes to the kit).

    Returns:
        A :class:`RelationKit`; use it as a context manager to close it.

    Raises:
        ValidationError: on conflicting arguments or an unknown URL scheme.
        StorageError: if the store cannot be opened.
        SchemaMismatch: if the database holds another schema version.
    """
    from relationkit.errors import ValidationError

    loyalty = options.pop("loyalty", None)
    given = [
        name
        for name, value in (("url", url), ("engine", engine), ("storage", storage))
        if value is not None
    ]
    if len(given) > 1:
        raise ValidationError(
            given[1], f"give only one of url, engine and storage (got {', '.join(given)})"
        )
    owns = True
    if storage is not None:
        if options or metadata is not None:
            raise ValidationError("storage", "backend options go to the storage's own constructor")
        chosen = storage
        owns = False
    elif engine is not None:
        from relationkit.storage.sql import SqlStorage

        chosen = SqlStorage(
            engine, metadata=metadata, prefix=table_prefix, create=create_tables, **options
        )
    elif url is not None:
        from relationkit.storage.registry import default_registry

        sql = {"metadata": metadata, "prefix": table_prefix, "create": create_tables}
        chosen = default_registry().open(url, sql=sql, **options)
    else:
        chosen = MemoryStorage()
    try:
        kit = RelationKit(
            chosen,
            clock=clock,
            ids=ids,
            timezone=timezone,
            stages=stages,
            hook_errors=hook_errors,
            retries=retries,
            owns_storage=owns,
        )
        if loyalty is not None:
            kit.loyalty.configure(loyalty)
    except BaseException:
        if owns:
            chosen.close()
        raise
    return kit
