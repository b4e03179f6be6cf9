"""Schema version 3: the loyalty state beside the ledger, filled from it.

Adds ``points_state`` (one row per account with entries) and ``open_lots``
(one row per lot with points left), folds every ledger into them
(:mod:`relationkit.storage.sql.migrations.backfill`), adds the ledger's
``(account_id, source)`` and ``(account_id, at)`` indexes, and drops the
indexes only the old due scan read.

Revision ID: relationkit_0003
Revises: relationkit_0002
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from relationkit.storage.sql.migrations.backfill import fill
from relationkit.storage.sql.migrations.context import prefix
from relationkit.storage.sql.types import UtcDateTime

revision = "relationkit_0003"
down_revision: str | None = "relationkit_0002"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None

_ID = sa.String(64).with_variant(sa.String(64, collation="C"), "postgresql")
_OLD_INDEXES = (
    ("ledger_entries", "lot_id", ("lot_id",), None),
    ("ledger_entries", "expires_at", ("expires_at",), "expires_at IS NOT NULL"),
    ("ledger_entries", "available_at", ("available_at",), "available_at IS NOT NULL"),
    ("ledger_allocations", "lot_id", ("lot_id",), None),
)


def _meta(p: str, version: str) -> None:
    meta = sa.table(f"{p}meta", sa.column("key", sa.String()), sa.column("value", sa.String()))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value=version))


def upgrade() -> None:
    """Create and fill the state tables, swap the ledger's indexes, record version 3."""
    p = prefix()
    f = op.f
    big: Any = sa.BigInteger()

    def refers(table: str) -> sa.ForeignKeyConstraint:
        name = f(f"fk_{p}{table}_account_id")
        return sa.ForeignKeyConstraint(["account_id"], [f"{p}accounts.id"], name=name)

    op.create_table(
        f"{p}points_state",
        sa.Column("account_id", _ID, nullable=False),
        *(sa.Column(n, big, nullable=False) for n in ("last_seq", "balance", "pending")),
        *(sa.Column(n, big, nullable=False) for n in ("debt", "earned")),
        *(
            sa.Column(n, UtcDateTime(), nullable=True)
            for n in ("next_activation", "next_expiry", "next_due")
        ),
        sa.PrimaryKeyConstraint("account_id", name=f(f"pk_{p}points_state")),
        refers("points_state"),
    )
    op.create_table(
        f"{p}open_lots",
        sa.Column("id", _ID, nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("pending", sa.Boolean(create_constraint=False), nullable=False),
        sa.Column("points", big, nullable=False),
        sa.Column("remaining", big, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("available_at", UtcDateTime(), nullable=True),
        sa.Column("source", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=f(f"pk_{p}open_lots")),
        refers("open_lots"),
    )
    fill(op.get_bind(), p)
    # Indexes after the fill: built once instead of maintained row by row.
    for table, suffix, columns in (
        ("points_state", "next_due", ["next_due", "account_id"]),
        ("points_state", "balance", ["balance", "account_id"]),
        ("open_lots", "account_id", ["account_id", "id"]),
        ("open_lots", "expiry", ["account_id", "expires_at", "id"]),
        ("open_lots", "opened", ["account_id", "at", "id"]),
        ("open_lots", "unlock", ["account_id", "available_at"]),
        ("ledger_entries", "account_id_source", ["account_id", "source"]),
        ("ledger_entries", "account_id_at", ["account_id", "at"]),
    ):
        op.create_index(f(f"ix_{p}{table}_{suffix}"), f"{p}{table}", columns)
    for table, suffix, _columns, _where in _OLD_INDEXES:
        op.drop_index(f(f"ix_{p}{table}_{suffix}"), table_name=f"{p}{table}")
    _meta(p, "3")


def downgrade() -> None:
    """Drop the state tables and the new indexes, restore the old ones, record version 2."""
    p = prefix()
    f = op.f
    for table, suffix in (
        ("ledger_entries", "account_id_source"),
        ("ledger_entries", "account_id_at"),
    ):
        op.drop_index(f(f"ix_{p}{table}_{suffix}"), table_name=f"{p}{table}")
    for table, suffix, columns, where in _OLD_INDEXES:
        kw: dict[str, Any] = {}
        if where is not None:
            kw = {"postgresql_where": sa.text(where), "sqlite_where": sa.text(where)}
        op.create_index(f(f"ix_{p}{table}_{suffix}"), f"{p}{table}", list(columns), **kw)
    op.drop_table(f"{p}open_lots")
    op.drop_table(f"{p}points_state")
    _meta(p, "2")
