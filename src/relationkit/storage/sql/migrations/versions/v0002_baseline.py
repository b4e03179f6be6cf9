"""Schema version 2: the tables as relationkit 0.1 created them (the baseline).

Revision ID: relationkit_0002
Revises: (none; the root of the ``relationkit`` branch)
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from relationkit.storage.sql.migrations.context import prefix
from relationkit.storage.sql.types import UtcDateTime

revision = "relationkit_0002"
down_revision: str | None = None
branch_labels = ("relationkit",)
depends_on: str | None = None

_TABLES = (
    "meta",
    "accounts",
    "customers",
    "stage_changes",
    "interactions",
    "purchases",
    "purchase_lines",
    "refunds",
    "ledger_entries",
    "ledger_allocations",
    "idempotency",
)


def _key(length: int) -> Any:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _serial() -> Any:
    return sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        autoincrement=True,
        nullable=False,
    )


def _col(name: str, type_: Any, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=nullable)


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, UtcDateTime(), nullable=nullable)


def upgrade() -> None:
    """Create the schema-2 tables under the prefix and record version 2."""
    p = prefix()
    f = op.f

    def pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
        return sa.PrimaryKeyConstraint(*columns, name=f(f"pk_{p}{table}"))

    def fk(table: str, column: str, parent: str, parent_column: str) -> sa.ForeignKeyConstraint:
        name = f(f"fk_{p}{table}_{column}")
        return sa.ForeignKeyConstraint([column], [f"{p}{parent}.{parent_column}"], name=name)

    def uq(table: str, *columns: str) -> sa.UniqueConstraint:
        return sa.UniqueConstraint(*columns, name=f(f"uq_{p}{table}_{'_'.join(columns)}"))

    def ix(table: str, suffix: str, *columns: str, **kw: Any) -> None:
        op.create_index(f(f"ix_{p}{table}_{suffix}"), f"{p}{table}", list(columns), **kw)

    op.create_table(
        f"{p}meta",
        _col("key", sa.String(64)),
        _col("value", sa.String(255)),
        pk("meta", "key"),
    )
    op.create_table(
        f"{p}accounts",
        _col("id", _key(64)),
        _col("name", sa.Text()),
        _col("kind", sa.String(8)),
        _col("stage", sa.String(255)),
        _at("stage_since"),
        _at("created_at"),
        _col("version", sa.BigInteger()),
        _col("tier", sa.String(255), nullable=True),
        pk("accounts", "id"),
    )
    ix("accounts", "stage", "stage")
    op.create_table(
        f"{p}customers",
        _col("id", _key(64)),
        _col("account_id", _key(64)),
        _col("email", sa.String(320), nullable=True),
        _col("email_key", sa.String(320), nullable=True),
        _col("name", sa.Text(), nullable=True),
        _col("external_id", _key(128), nullable=True),
        _col("role", sa.String(255), nullable=True),
        _col("attributes", sa.JSON()),
        _at("created_at"),
        _at("updated_at"),
        pk("customers", "id"),
        uq("customers", "email_key"),
        uq("customers", "external_id"),
        fk("customers", "account_id", "accounts", "id"),
    )
    ix("customers", "account_id", "account_id", "id")
    op.create_table(
        f"{p}stage_changes",
        _serial(),
        _col("account_id", _key(64)),
        _col("from_stage", sa.String(255), nullable=True),
        _col("to_stage", sa.String(255)),
        _at("at"),
        _col("reason", sa.Text(), nullable=True),
        _col("automatic", sa.Boolean(create_constraint=False)),
        pk("stage_changes", "seq"),
        fk("stage_changes", "account_id", "accounts", "id"),
    )
    ix("stage_changes", "account_id", "account_id", "seq")
    op.create_table(
        f"{p}interactions",
        _col("id", _key(64)),
        _col("account_id", _key(64)),
        _col("customer_id", _key(64), nullable=True),
        _col("channel", sa.String(64)),
        _col("direction", sa.String(64)),
        _at("occurred_at"),
        _col("subject", sa.Text(), nullable=True),
        _col("notes", sa.Text(), nullable=True),
        _col("outcome", sa.Text(), nullable=True),
        _at("recorded_at"),
        pk("interactions", "id"),
        fk("interactions", "account_id", "accounts", "id"),
    )
    ix("interactions", "account_id", "account_id", "occurred_at", "id")
    op.create_table(
        f"{p}purchases",
        _col("id", _key(64)),
        _col("order_id", _key(128)),
        _col("account_id", _key(64)),
        _col("customer_id", _key(64)),
        _at("occurred_at"),
        _col("total_minor", sa.BigInteger()),
        _col("currency", sa.String(3)),
        _col("points_used", sa.BigInteger()),
        _at("recorded_at"),
        pk("purchases", "order_id"),
        fk("purchases", "account_id", "accounts", "id"),
    )
    ix("purchases", "id", "id")
    ix("purchases", "account_id", "account_id", "occurred_at", "id")
    op.create_table(
        f"{p}purchase_lines",
        _col("order_id", _key(128)),
        _col("position", sa.Integer()),
        _col("sku", sa.String(255)),
        _col("quantity", sa.BigInteger()),
        _col("unit_price_minor", sa.BigInteger()),
        _col("currency", sa.String(3)),
        _col("category", sa.String(255), nullable=True),
        pk("purchase_lines", "order_id", "position"),
        fk("purchase_lines", "order_id", "purchases", "order_id"),
    )
    op.create_table(
        f"{p}refunds",
        _serial(),
        _col("refund_id", _key(128)),
        _col("order_id", _key(128)),
        _col("amount_minor", sa.BigInteger()),
        _col("currency", sa.String(3)),
        _at("occurred_at"),
        _col("reason", sa.Text(), nullable=True),
        _at("recorded_at"),
        pk("refunds", "seq"),
        uq("refunds", "refund_id"),
        fk("refunds", "order_id", "purchases", "order_id"),
    )
    ix("refunds", "order_id", "order_id", "seq")
    op.create_table(
        f"{p}ledger_entries",
        _col("id", _key(64)),
        _col("account_id", _key(64)),
        _col("seq", sa.BigInteger()),
        _col("kind", sa.String(16)),
        _col("points", sa.BigInteger()),
        _at("at"),
        _at("recorded_at"),
        _col("lot_id", _key(64), nullable=True),
        _at("expires_at", nullable=True),
        _at("available_at", nullable=True),
        _col("source", sa.String(255), nullable=True),
        _col("reason", sa.Text(), nullable=True),
        _col("idempotency_key", sa.String(255), nullable=True),
        _col("debt", sa.BigInteger()),
        pk("ledger_entries", "id"),
        uq("ledger_entries", "account_id", "seq"),
        fk("ledger_entries", "account_id", "accounts", "id"),
    )
    ix("ledger_entries", "lot_id", "lot_id")
    for column in ("expires_at", "available_at"):
        where = sa.text(f"{column} IS NOT NULL")
        ix("ledger_entries", column, column, postgresql_where=where, sqlite_where=where)
    op.create_table(
        f"{p}ledger_allocations",
        _col("entry_id", _key(64)),
        _col("position", sa.Integer()),
        _col("lot_id", _key(64)),
        _col("points", sa.BigInteger()),
        pk("ledger_allocations", "entry_id", "position"),
        fk("ledger_allocations", "entry_id", "ledger_entries", "id"),
    )
    ix("ledger_allocations", "lot_id", "lot_id")
    op.create_table(
        f"{p}idempotency",
        _col("scope", sa.String(255)),
        _col("key", sa.String(255)),
        _col("payload_hash", sa.String(255)),
        _col("result", sa.Text()),
        _at("created_at"),
        pk("idempotency", "scope", "key"),
    )
    meta = sa.table(f"{p}meta", sa.column("key", sa.String()), sa.column("value", sa.String()))
    op.bulk_insert(meta, [{"key": "schema_version", "value": "2"}])


def downgrade() -> None:
    """Drop every table of schema version 2 (and all that it held)."""
    p = prefix()
    for name in reversed(_TABLES):
        op.drop_table(f"{p}{name}")
