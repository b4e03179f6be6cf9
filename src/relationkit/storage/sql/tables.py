"""The SQL backend's tables, built on demand for a given ``MetaData`` and prefix.

Nothing is created at import: :func:`build_tables` adds the tables to the
host's ``MetaData`` (or to a fresh one made by :func:`new_metadata`) under
``<prefix><name>``. Every constraint and index has an explicit name wrapped in
:func:`~sqlalchemy.schema.conv`, so a host naming convention cannot rename
them: the error translation recognises constraints by these names.

Ordering columns: ids are ULID-based and sort by creation, so most lists
order by id; stage changes and refunds carry no id of their own and keep
insertion order in an autoincrement ``seq`` column.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.schema import SchemaItem, conv

from relationkit.storage.sql.types import UtcDateTime, json_type, key_type

__all__ = [
    "NAMING_CONVENTION",
    "SCHEMA_VERSION",
    "Tables",
    "build_tables",
    "new_metadata",
]

SCHEMA_VERSION = "1"
"""The layout version stored in the meta table; a mismatch refuses to open."""

NAMING_CONVENTION: Mapping[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""The convention of the ``MetaData`` relationkit makes itself."""

# Lengths: ids we generate are ~30 characters; the host's keys (order id,
# external id, refund id) are validated to at most 128; emails to 254.
_ID = 64
_HOST_KEY = 128
_KEY = 255
_EMAIL = 320
_WORD = 64


def new_metadata(schema: str | None = None) -> MetaData:
    """Return an empty ``MetaData`` with relationkit's naming convention."""
    return MetaData(schema=schema, naming_convention=dict(NAMING_CONVENTION))


@attrs.frozen(kw_only=True)
class Tables:
    """The backend's tables, and what each named constraint means.

    Attributes:
        logical_names: constraint name -> the name :class:`DuplicateKey`
            reports (``"order_id"``, ``"email"``, ...), used on PostgreSQL.
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
    idempotency: Table
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
            self.idempotency,
        )


class _Namer:
    """Name constraints and remember which rule each one stands for."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.logical: dict[str, str] = {}
        self.columns: dict[tuple[str, ...], str] = {}

    def table(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def unique(self, kind: str, table: str, columns: tuple[str, ...], logical: str) -> conv:
        name = f"{kind}_{table}" if kind == "pk" else f"{kind}_{table}_{'_'.join(columns)}"
        self.logical[name] = logical
        self.columns[tuple(sorted(f"{table}.{c}" for c in columns))] = logical
        return conv(name)

    def index(self, table: str, suffix: str) -> conv:
        return conv(f"ix_{table}_{suffix}")

    def foreign(self, table: str, column: str) -> conv:
        return conv(f"fk_{table}_{column}")


def _table(metadata: MetaData, name: str, *items: SchemaItem) -> Table:
    # keep_existing: a second store on the same MetaData and prefix reuses the
    # tables instead of failing; the definitions are the same by construction.
    return Table(name, metadata, *items, keep_existing=True)


def build_tables(metadata: MetaData, prefix: str = "rk_") -> Tables:
    """Add relationkit's tables to ``metadata`` and return them.

    Args:
        metadata: the host's ``MetaData`` or one from :func:`new_metadata`.
        prefix: prepended to every table name (and so to constraint names).

    Returns:
        The tables, with the meaning of every uniqueness constraint.
    """
    n = _Namer(prefix)
    meta = n.table("meta")
    accounts = n.table("accounts")
    customers = n.table("customers")
    stages = n.table("stage_changes")
    interactions = n.table("interactions")
    purchases = n.table("purchases")
    lines = n.table("purchase_lines")
    refunds = n.table("refunds")
    entries = n.table("ledger_entries")
    allocations = n.table("ledger_allocations")
    idempotency = n.table("idempotency")
    # A referenced table's name, schema-qualified like the tables themselves.
    ref = f"{metadata.schema}." if metadata.schema else ""

    t_meta = _table(
        metadata,
        meta,
        Column("key", String(_WORD), nullable=False),
        Column("value", String(_KEY), nullable=False),
        PrimaryKeyConstraint("key", name=n.unique("pk", meta, ("key",), "meta_key")),
    )
    t_accounts = _table(
        metadata,
        accounts,
        Column("id", key_type(_ID), nullable=False),
        Column("name", Text, nullable=False),
        Column("kind", String(8), nullable=False),
        Column("stage", String(_KEY), nullable=False),
        Column("stage_since", UtcDateTime, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("version", BigInteger, nullable=False),
        Column("tier", String(_KEY)),
        PrimaryKeyConstraint("id", name=n.unique("pk", accounts, ("id",), "account_id")),
        Index(n.index(accounts, "stage"), "stage"),
    )
    t_customers = _table(
        metadata,
        customers,
        Column("id", key_type(_ID), nullable=False),
        Column("account_id", key_type(_ID), nullable=False),
        Column("email", String(_EMAIL)),
        Column("email_key", String(_EMAIL)),
        Column("name", Text),
        Column("external_id", key_type(_HOST_KEY)),
        Column("role", String(_KEY)),
        Column("attributes", json_type(), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
        PrimaryKeyConstraint("id", name=n.unique("pk", customers, ("id",), "customer_id")),
        UniqueConstraint("email_key", name=n.unique("uq", customers, ("email_key",), "email")),
        UniqueConstraint(
            "external_id", name=n.unique("uq", customers, ("external_id",), "external_id")
        ),
        ForeignKeyConstraint(
            ["account_id"], [f"{ref}{accounts}.id"], name=n.foreign(customers, "account_id")
        ),
        Index(n.index(customers, "account_id"), "account_id", "id"),
    )
    t_stages = _table(
        metadata,
        stages,
        # BIGINT on PostgreSQL; plain INTEGER on SQLite, where only an
        # "INTEGER PRIMARY KEY" autoincrements (it is the rowid).
        Column(
            "seq",
            BigInteger().with_variant(Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        Column("account_id", key_type(_ID), nullable=False),
        Column("from_stage", String(_KEY)),
        Column("to_stage", String(_KEY), nullable=False),
        Column("at", UtcDateTime, nullable=False),
        Column("reason", Text),
        Column("automatic", Boolean(create_constraint=False), nullable=False),
        PrimaryKeyConstraint("seq", name=n.unique("pk", stages, ("seq",), "stage_change")),
        Index(n.index(stages, "account_id"), "account_id", "seq"),
    )
    t_interactions = _table(
        metadata,
        interactions,
        Column("id", key_type(_ID), nullable=False),
        Column("account_id", key_type(_ID), nullable=False),
        Column("customer_id", key_type(_ID)),
        Column("channel", String(_WORD), nullable=False),
        Column("direction", String(_WORD), nullable=False),
        Column("occurred_at", UtcDateTime, nullable=False),
        Column("subject", Text),
        Column("notes", Text),
        Column("outcome", Text),
        Column("recorded_at", UtcDateTime, nullable=False),
        PrimaryKeyConstraint("id", name=n.unique("pk", interactions, ("id",), "interaction_id")),
        Index(n.index(interactions, "account_id"), "account_id", "occurred_at", "id"),
    )
    t_purchases = _table(
        metadata,
        purchases,
        Column("id", key_type(_ID), nullable=False),
        Column("order_id", key_type(_HOST_KEY), nullable=False),
        Column("account_id", key_type(_ID), nullable=False),
        Column("customer_id", key_type(_ID), nullable=False),
        Column("occurred_at", UtcDateTime, nullable=False),
        Column("total_minor", BigInteger, nullable=False),
        Column("currency", String(3), nullable=False),
        Column("points_used", BigInteger, nullable=False),
        Column("recorded_at", UtcDateTime, nullable=False),
        # The order id is the key, so that storing a purchase twice reports
        # "order_id" on every dialect. Purchase ids are generated and only
        # indexed: like the memory backend, nothing else relies on them.
        PrimaryKeyConstraint("order_id", name=n.unique("pk", purchases, ("order_id",), "order_id")),
        Index(n.index(purchases, "id"), "id"),
        Index(n.index(purchases, "account_id"), "account_id", "occurred_at", "id"),
    )
    t_lines = _table(
        metadata,
        lines,
        Column("order_id", key_type(_HOST_KEY), nullable=False),
        Column("position", Integer, nullable=False),
        Column("sku", String(_KEY), nullable=False),
        Column("quantity", BigInteger, nullable=False),
        Column("unit_price_minor", BigInteger, nullable=False),
        Column("currency", String(3), nullable=False),
        Column("category", String(_KEY)),
        PrimaryKeyConstraint(
            "order_id",
            "position",
            name=n.unique("pk", lines, ("order_id", "position"), "purchase_line"),
        ),
        ForeignKeyConstraint(
            ["order_id"], [f"{ref}{purchases}.order_id"], name=n.foreign(lines, "order_id")
        ),
    )
    t_refunds = _table(
        metadata,
        refunds,
        Column(
            "seq",
            BigInteger().with_variant(Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        Column("refund_id", key_type(_HOST_KEY), nullable=False),
        Column("order_id", key_type(_HOST_KEY), nullable=False),
        Column("amount_minor", BigInteger, nullable=False),
        Column("currency", String(3), nullable=False),
        Column("occurred_at", UtcDateTime, nullable=False),
        Column("reason", Text),
        Column("recorded_at", UtcDateTime, nullable=False),
        PrimaryKeyConstraint("seq", name=n.unique("pk", refunds, ("seq",), "refund_seq")),
        UniqueConstraint("refund_id", name=n.unique("uq", refunds, ("refund_id",), "refund_id")),
        ForeignKeyConstraint(
            ["order_id"], [f"{ref}{purchases}.order_id"], name=n.foreign(refunds, "order_id")
        ),
        Index(n.index(refunds, "order_id"), "order_id", "seq"),
    )
    t_entries = _table(
        metadata,
        entries,
        Column("id", key_type(_ID), nullable=False),
        Column("account_id", key_type(_ID), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("points", BigInteger, nullable=False),
        Column("at", UtcDateTime, nullable=False),
        Column("recorded_at", UtcDateTime, nullable=False),
        Column("lot_id", key_type(_ID)),
        Column("expires_at", UtcDateTime),
        Column("available_at", UtcDateTime),
        Column("source", String(_KEY)),
        Column("reason", Text),
        Column("idempotency_key", String(_KEY)),
        Column("debt", BigInteger, nullable=False),
        PrimaryKeyConstraint("id", name=n.unique("pk", entries, ("id",), "entry_id")),
        Index(n.index(entries, "account_id"), "account_id", "id"),
        # The "is this lot settled?" probes of due_accounts.
        Index(n.index(entries, "lot_id"), "lot_id"),
        # Candidates of due_accounts. Only credits expire and only pending
        # entries unlock, so partial indexes leave the other rows out.
        Index(
            n.index(entries, "expires_at"),
            "expires_at",
            postgresql_where=text("expires_at IS NOT NULL"),
            sqlite_where=text("expires_at IS NOT NULL"),
        ),
        Index(
            n.index(entries, "available_at"),
            "available_at",
            postgresql_where=text("available_at IS NOT NULL"),
            sqlite_where=text("available_at IS NOT NULL"),
        ),
    )
    t_allocations = _table(
        metadata,
        allocations,
        Column("entry_id", key_type(_ID), nullable=False),
        Column("position", Integer, nullable=False),
        Column("lot_id", key_type(_ID), nullable=False),
        Column("points", BigInteger, nullable=False),
        PrimaryKeyConstraint(
            "entry_id",
            "position",
            name=n.unique("pk", allocations, ("entry_id", "position"), "allocation"),
        ),
        ForeignKeyConstraint(
            ["entry_id"], [f"{ref}{entries}.id"], name=n.foreign(allocations, "entry_id")
        ),
        Index(n.index(allocations, "lot_id"), "lot_id"),
    )
    t_idempotency = _table(
        metadata,
        idempotency,
        Column("scope", String(_KEY), nullable=False),
        Column("key", String(_KEY), nullable=False),
        Column("payload_hash", String(_KEY), nullable=False),
        Column("result", Text, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        PrimaryKeyConstraint(
            "scope",
            "key",
            name=n.unique("pk", idempotency, ("scope", "key"), "idempotency_key"),
        ),
    )
    return Tables(
        meta=t_meta,
        accounts=t_accounts,
        customers=t_customers,
        stage_changes=t_stages,
        interactions=t_interactions,
        purchases=t_purchases,
        purchase_lines=t_lines,
        refunds=t_refunds,
        ledger_entries=t_entries,
        ledger_allocations=t_allocations,
        idempotency=t_idempotency,
        logical_names=n.logical,
        column_names=n.columns,
    )
