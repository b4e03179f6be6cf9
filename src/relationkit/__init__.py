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
from relationkit.domain.fields import F
from relationkit.domain.holds import Hold, HoldStatus
from relationkit.domain.interactions import Channel, Direction, Interaction
from relationkit.domain.ledger import Allocation, EntryKind, LedgerEntry
from relationkit.domain.lifecycle import DEFAULT_STAGE_GRAPH, StageChange, StageGraph, StageSpan
from relationkit.domain.loyalty import CurrencyRule, EarningOutcome, Expiry, LoyaltyProgram, Tier
from relationkit.domain.parked import ParkedRefund
from relationkit.domain.points import OpenLot, PointsState
from relationkit.domain.purchases import LineItem, Purchase, PurchaseRules, Refund
from relationkit.domain.scoring import (
    AccountHealth,
    Bands,
    ChurnModel,
    ChurnRisk,
    EngagementRule,
    FitRule,
    HealthModel,
    KeptScore,
    LeadModel,
    LeadScore,
    ScoreKind,
    StageThreshold,
)
from relationkit.domain.timeline import TimelineEntry
from relationkit.hooks import ErrorPolicy, HookFailure, Hooks
from relationkit.ids import IdGenerator, UlidGenerator
from relationkit.kit import RelationKit
from relationkit.money import Money
from relationkit.services.loyalty import DueResult, LoyaltySummary, RebuildReport, VerifyReport
from relationkit.services.purchases import BulkResult
from relationkit.services.scores.kept import RefreshReport
from relationkit.storage.memory import MemoryStorage
from relationkit.storage.ports import SpendRow, Storage

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine, MetaData

    from relationkit.storage.sql.replica import ReplicaReads

__all__ = [
    "DEFAULT_STAGE_GRAPH",
    "Account",
    "AccountHealth",
    "AccountKind",
    "Allocation",
    "Bands",
    "BulkResult",
    "Channel",
    "ChurnModel",
    "ChurnRisk",
    "Clock",
    "CurrencyRule",
    "Customer",
    "Direction",
    "DueResult",
    "EarningOutcome",
    "EngagementRule",
    "EntryKind",
    "ErrorPolicy",
    "Expiry",
    "F",
    "FitRule",
    "FrozenClock",
    "HealthModel",
    "Hold",
    "HoldStatus",
    "HookFailure",
    "Hooks",
    "IdGenerator",
    "Interaction",
    "KeptScore",
    "LeadModel",
    "LeadScore",
    "LedgerEntry",
    "LineItem",
    "LoyaltyProgram",
    "LoyaltySummary",
    "MemoryStorage",
    "Money",
    "OpenLot",
    "ParkedRefund",
    "PointsState",
    "Purchase",
    "PurchaseRules",
    "RebuildReport",
    "RefreshReport",
    "Refund",
    "RelationKit",
    "ScoreKind",
    "SpendRow",
    "StageChange",
    "StageGraph",
    "StageSpan",
    "StageThreshold",
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
"""The installed relationkit's version."""


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
    replica: str | Engine | None = None,
    replica_reads: ReplicaReads = "all",
    max_replica_lag: float | None = None,
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
        replica: a PostgreSQL hot standby of the primary (its URL, or an
            ``Engine`` the host owns): read-only work outside
            ``kit.transaction()`` runs there; see "Read replicas" in the
            backends guide.
        replica_reads: ``"all"`` (every read may use the replica) or
            ``"analytics"`` (scores and rankings only).
        max_replica_lag: seconds; while the replica is further behind,
            reads go to the primary. None: no bound (a thread still reads
            its own writes).
        **options: passed to the backend (``loyalty=``,
            ``max_attribute_bytes=`` and ``purchase_rules=`` go to the kit).

    Returns:
        A :class:`RelationKit`; use it as a context manager to close it.

    Raises:
        ValidationError: on conflicting arguments or an unknown URL scheme.
        StorageError: if the store cannot be opened.
        SchemaMismatch: if the database holds another schema version.
    """
    from relationkit.errors import ValidationError

    loyalty = options.pop("loyalty", None)
    max_attribute_bytes = options.pop("max_attribute_bytes", 16_384)
    purchase_rules = options.pop("purchase_rules", None)
    if replica is not None:
        from relationkit.storage.sql.replica import check_replica_options

        if storage is not None:
            raise ValidationError("replica", "give the replica to the storage's own constructor")
        check_replica_options(
            replica, url=url, engine=engine, reads=replica_reads, max_lag=max_replica_lag
        )
    elif max_replica_lag is not None or replica_reads != "all":
        raise ValidationError("replica", "replica_reads and max_replica_lag need a replica")
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
        if replica is not None:
            from relationkit.storage.sql import SqlStorage
            from relationkit.storage.sql.replica import ReplicatedStorage

            if not isinstance(chosen, SqlStorage):
                raise ValidationError("replica", "read replicas need the SQL backend")
            chosen = ReplicatedStorage(
                chosen, replica, reads=replica_reads, max_lag=max_replica_lag
            )
        kit = RelationKit(
            chosen,
            clock=clock,
            ids=ids,
            timezone=timezone,
            stages=stages,
            hook_errors=hook_errors,
            retries=retries,
            owns_storage=owns,
            max_attribute_bytes=max_attribute_bytes,
            purchase_rules=purchase_rules,
        )
        if loyalty is not None:
            kit.loyalty.configure(loyalty)
    except BaseException:
        if owns:
            chosen.close()
        raise
    return kit
