"""The SQL backend's tables, built on demand for a given ``MetaData`` and prefix.

Nothing is created at import: :func:`build_tables` adds the tables to the
host's ``MetaData`` (or to a fresh one made by :func:`new_metadata`) under
``<prefix><name>``. Columns come from the shapes of
:mod:`~relationkit.storage.sql.mapping`; this module adds only keys,
references and indexes. Every constraint and index has an explicit name
wrapped in :func:`~sqlalchemy.schema.conv`, so a host naming convention cannot
rename them: the error translation and the schema check recognise them by
these names.

Ordering columns: ids are ULID-based and sort by creation, so most lists
order by id; stage changes and refunds carry no id of their own and keep
insertion order in an autoincrement ``seq`` column; ledger entries carry the
``seq`` the service gives them (1, 2, 3, ... per account).
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
from sqlalchemy import (
    ForeignKeyConstraint,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
)
from sqlalchemy.schema import SchemaItem, conv

from relationkit.storage.sql import mapping as m

__all__ = ["NAMING_CONVENTION", "SCHEMA_VERSION", "Tables", "build_tables", "new_metadata"]

SCHEMA_VERSION = "9"
"""The layout version stored in the meta table; another one refuses to open.

2: ``ledger_entries.seq`` with the unique ``(account_id, seq)``; references
from stage changes, interactions, purchases and ledger entries to accounts.
3: ``points_state`` and ``open_lots`` (the loyalty state kept beside the
ledger); ledger indexes on ``(account_id, source)`` and ``(account_id, at)``;
the ledger's ``lot_id``, ``expires_at`` and ``available_at`` indexes and the
allocations' ``lot_id`` index, which only the old due scan used, are gone.
4: ``scores`` (the current score of each account and kind, with its band,
indexed for ranking and band filters) and ``score_snapshots`` (their
append-only history by ``as_of``).
5: on ``accounts``, the host's ``external_id`` (unique index), JSON
``attributes``, ``timezone`` and ``source_updated_at``; on ``customers``,
``timezone`` and ``source_updated_at`` (all nullable).
6: ``holds`` (points held at checkout, derived from the ledger) and
``parked_refunds`` (refunds that arrived before their order); on
``points_state``, ``held`` and ``next_release``; on ``purchases``, ``hold_id``.
7: on ``ledger_entries``, the ``rate`` (an exact decimal as text) and
``source_currency`` of points earned through an order in another currency
(nullable).
8: on ``purchases``, ``points_account_id`` (the account whose ledger holds
an order's points, set when its buyer moves) and the index on
``(customer_id, occurred_at, id)``.
9: on ``refunds``, the ``account_id`` of their order (kept when it moves)
and the index on ``(account_id, occurred_at, refund_id)`` that pages an
account's refunds by time.
Each version is one revision of the shipped migrations
(:mod:`relationkit.storage.sql.migrations`).
"""

NAMING_CONVENTION: Mapping[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""The convention of the ``MetaData`` relationkit makes itself."""


def new_metadata(schema: str | None = None) -> MetaData:
    """Return an empty ``MetaData`` with relationkit's naming convention."""
    return MetaData(schema=schema, naming_convention=dict(NAMING_CONVENTION))


@attrs.frozen(kw_only=True)
class Tables:
    """The backend's tables, and what each named constraint means.

    Attributes:
        logical_names: constraint name -> the name :class:`DuplicateKey`
            reports (``"order_id"``, ``"email"``, ...) or, for a reference,
            the field :class:`DanglingReference` names; used on PostgreSQL.
        column_names: the sorted ``table.column`` list that SQLite puts in
            its error message -> the same logical name.
    """

    meta: Table
    accounts: Table
    customers: Table
    stage_changes: Table
    interactions: Table
    purchases: Table
    purchase_lines: Table
    refunds: Table
    ledger_entries: Table
    ledger_allocations: Table
    points_state: Table
    open_lots: Table
    idempotency: Table
    scores: Table
    score_snapshots: Table
    holds: Table
    parked_refunds: Table
    prefix: str
    logical_names: Mapping[str, str]
    column_names: Mapping[tuple[str, ...], str]

    @property
    def all(self) -> tuple[Table, ...]:
        """Every table, parents before children."""
        return (
            self.meta,
            self.accounts,
            self.customers,
            self.stage_changes,
            self.interactions,
            self.purchases,
            self.purchase_lines,
            self.refunds,
            self.ledger_entries,
            self.ledger_allocations,
            self.points_state,
            self.open_lots,
            self.idempotency,
            self.scores,
            self.score_snapshots,
            self.holds,
            self.parked_refunds,
        )


class _Namer:
    """Name constraints and remember which rule each one stands for."""

    def __init__(self, metadata: MetaData, prefix: str) -> None:
        self.prefix = prefix
        # A referenced table's name, schema-qualified like the tables themselves.
        self.ref = f"{metadata.schema}." if metadata.schema else ""
        self.logical: dict[str, str] = {}
        self.columns: dict[tuple[str, ...], str] = {}

    def name(self, shape: m.Shape) -> str:
        return f"{self.prefix}{shape.table}"

    def key(self, table: str, columns: tuple[str, ...], logical: str) -> PrimaryKeyConstraint:
        name = f"pk_{table}"
        self._remember(name, table, columns, logical)
        return PrimaryKeyConstraint(*columns, name=conv(name))

    def unique(self, table: str, columns: tuple[str, ...], logical: str) -> UniqueConstraint:
        name = f"uq_{table}_{'_'.join(columns)}"
        self._remember(name, table, columns, logical)
        return UniqueConstraint(*columns, name=conv(name))

    def _remember(self, name: str, table: str, columns: tuple[str, ...], logical: str) -> None:
        self.logical[name] = logical
        self.columns[tuple(sorted(f"{table}.{c}" for c in columns))] = logical

    def unique_index(self, table: str, columns: tuple[str, ...], logical: str) -> Index:
        # A unique index rather than a constraint: a migration adds it on
        # SQLite without rebuilding the table; errors name it the same way.
        name = f"uq_{table}_{'_'.join(columns)}"
        self._remember(name, table, columns, logical)
        return Index(conv(name), *columns, unique=True)

    def index(self, table: str, suffix: str, *columns: str, **kw: object) -> Index:
        return Index(conv(f"ix_{table}_{suffix}"), *columns, **kw)  # type: ignore[arg-type]

    def refers(
        self, table: str, column: str, parent: str, parent_column: str
    ) -> ForeignKeyConstraint:
        name = f"fk_{table}_{column}"
        self.logical[name] = column
        return ForeignKeyConstraint(
            [column], [f"{self.ref}{parent}.{parent_column}"], name=conv(name)
        )


def _table(metadata: MetaData, name: str, shape: m.Shape, *items: SchemaItem) -> Table:
    # keep_existing: a second store on the same MetaData and prefix reuses the
    # tables instead of failing; the definitions are the same by construction.
    return Table(name, metadata, *shape.columns(), *items, keep_existing=True)


def build_tables(metadata: MetaData, prefix: str = "rk_") -> Tables:
    """Add relationkit's tables to ``metadata`` and return them.

    Args:
        metadata: the host's ``MetaData`` or one from :func:`new_metadata`.
        prefix: prepended to every table name (and so to constraint names).

    Returns:
        The tables, with the meaning of every named constraint.
    """
    n = _Namer(metadata, prefix)
    meta, accounts, customers = n.name(m.META), n.name(m.ACCOUNT), n.name(m.CUSTOMER)
    stages, interactions = n.name(m.STAGE_CHANGE), n.name(m.INTERACTION)
    purchases, lines, refunds = n.name(m.PURCHASE), n.name(m.LINE), n.name(m.REFUND)
    entries, allocations = n.name(m.ENTRY), n.name(m.ALLOCATION)
    states, lots = n.name(m.POINTS_STATE), n.name(m.OPEN_LOT)
    idempotency = n.name(m.IDEMPOTENCY)
    scores, snapshots = n.name(m.SCORE), n.name(m.SCORE_SNAPSHOT)
    account_id = (accounts, "id")

    return Tables(
        meta=_table(metadata, meta, m.META, n.key(meta, ("key",), "meta_key")),
        accounts=_table(
            metadata,
            accounts,
            m.ACCOUNT,
            n.key(accounts, ("id",), "account_id"),
            n.index(accounts, "stage", "stage"),
            n.unique_index(accounts, ("external_id",), "account_external_id"),
        ),
        customers=_table(
            metadata,
            customers,
            m.CUSTOMER,
            n.key(customers, ("id",), "customer_id"),
            n.unique(customers, ("email_key",), "email"),
            n.unique(customers, ("external_id",), "external_id"),
            n.refers(customers, "account_id", *account_id),
            n.index(customers, "account_id", "account_id", "id"),
        ),
        stage_changes=_table(
            metadata,
            stages,
            m.STAGE_CHANGE,
            n.key(stages, ("seq",), "stage_change"),
            n.refers(stages, "account_id", *account_id),
            n.index(stages, "account_id", "account_id", "seq"),
        ),
        interactions=_table(
            metadata,
            interactions,
            m.INTERACTION,
            n.key(interactions, ("id",), "interaction_id"),
            n.refers(interactions, "account_id", *account_id),
            n.index(interactions, "account_id", "account_id", "occurred_at", "id"),
        ),
        # The order id is the key, so that storing a purchase twice reports
        # "order_id" on every dialect. Purchase ids are generated and only
        # indexed: like the memory backend, nothing else relies on them.
        purchases=_table(
            metadata,
            purchases,
            m.PURCHASE,
            n.key(purchases, ("order_id",), "order_id"),
            n.refers(purchases, "account_id", *account_id),
            n.index(purchases, "id", "id"),
            n.index(purchases, "account_id", "account_id", "occurred_at", "id"),
            n.index(purchases, "customer_id", "customer_id", "occurred_at", "id"),
        ),
        purchase_lines=_table(
            metadata,
            lines,
            m.LINE,
            n.key(lines, ("order_id", "position"), "purchase_line"),
            n.refers(lines, "order_id", purchases, "order_id"),
        ),
        refunds=_table(
            metadata,
            refunds,
            m.REFUND,
            n.key(refunds, ("seq",), "refund_seq"),
            n.unique(refunds, ("refund_id",), "refund_id"),
            n.refers(refunds, "order_id", purchases, "order_id"),
            n.index(refunds, "order_id", "order_id", "seq"),
            # TimelineReads.refunds: one account's refunds by time.
            n.index(refunds, "account_id", "account_id", "occurred_at", "refund_id"),
        ),
        ledger_entries=_table(
            metadata,
            entries,
            m.ENTRY,
            n.key(entries, ("id",), "entry_id"),
            # Two writers numbering the same account's entries collide here.
            n.unique(entries, ("account_id", "seq"), "ledger_seq"),
            n.refers(entries, "account_id", *account_id),
            # LedgerRepository.by_source (a refund finds its order's entries).
            n.index(entries, "account_id_source", "account_id", "source"),
            # TierMeasures.points_earned_between: one account's window of time.
            n.index(entries, "account_id_at", "account_id", "at"),
        ),
        ledger_allocations=_table(
            metadata,
            allocations,
            m.ALLOCATION,
            n.key(allocations, ("entry_id", "position"), "allocation"),
            n.refers(allocations, "entry_id", entries, "id"),
        ),
        points_state=_table(
            metadata,
            states,
            m.POINTS_STATE,
            n.key(states, ("account_id",), "points_state"),
            n.refers(states, "account_id", *account_id),
            # LedgerScans.due_accounts: the states due by a given instant.
            n.index(states, "next_due", "next_due", "account_id"),
            # BalanceRanking.top_balances, read backwards.
            n.index(states, "balance", "balance", "account_id"),
        ),
        open_lots=_table(
            metadata,
            lots,
            m.OPEN_LOT,
            n.key(lots, ("id",), "open_lot"),
            n.refers(lots, "account_id", *account_id),
            n.index(lots, "account_id", "account_id", "id"),
            # PointsRepository.spendable_lots: consumption order, one index per half.
            n.index(lots, "expiry", "account_id", "expires_at", "id"),
            n.index(lots, "opened", "account_id", "at", "id"),
            # lot_bounds and due_lots: the soonest unlock of pending lots.
            n.index(lots, "unlock", "account_id", "available_at"),
        ),
        idempotency=_table(
            metadata,
            idempotency,
            m.IDEMPOTENCY,
            n.key(idempotency, ("scope", "key"), "idempotency_key"),
        ),
        scores=_table(
            metadata,
            scores,
            m.SCORE,
            n.key(scores, ("account_id", "kind"), "score"),
            n.refers(scores, "account_id", *account_id),
            # ScoreRepository.ranked and segment filters on a kind's scores and bands.
            n.index(scores, "rank", "kind", "score", "account_id"),
            n.index(scores, "band", "kind", "band", "account_id"),
        ),
        score_snapshots=_table(
            metadata,
            snapshots,
            m.SCORE_SNAPSHOT,
            n.key(snapshots, ("account_id", "kind", "as_of"), "score_snapshot"),
            n.refers(snapshots, "account_id", *account_id),
        ),
        # Schema 6 (checkout).
        holds=_table(
            metadata,
            n.name(m.HOLD),
            m.HOLD,
            n.key(n.name(m.HOLD), ("id",), "hold_id"),
            n.refers(n.name(m.HOLD), "account_id", *account_id),
            # CheckoutRepository.holds_of, due_holds and next_release: by account and status.
            n.index(n.name(m.HOLD), "open", "account_id", "status", "expires_at"),
        ),
        parked_refunds=_table(
            metadata,
            n.name(m.PARKED_REFUND),
            m.PARKED_REFUND,
            n.key(n.name(m.PARKED_REFUND), ("refund_id",), "parked_refund"),
            # parked_for: the refunds an arriving order applies.
            n.index(n.name(m.PARKED_REFUND), "order_id", "order_id"),
            # parked_page: oldest first, for a host clearing the stale ones.
            n.index(n.name(m.PARKED_REFUND), "parked_at", "parked_at", "refund_id"),
        ),
        prefix=prefix,
        logical_names=n.logical,
        column_names=n.columns,
    )
