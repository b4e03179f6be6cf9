"""Schema version 5: what a web shop needs on accounts and customers.

Adds to ``accounts`` the host's ``external_id`` (unique among accounts,
through the unique index ``uq_<prefix>accounts_external_id``), JSON
``attributes``, a ``timezone`` and ``source_updated_at`` (the newest source
modification time an upsert applied); adds ``timezone`` and
``source_updated_at`` to ``customers``. Every new column is nullable, so the
rows already stored keep their meaning: no external id, no attributes
(read back as ``{}``), the program's time zone, no source time yet.

Revision ID: relationkit_0005
Revises: relationkit_0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relationkit.storage.sql.migrations.context import prefix
from relationkit.storage.sql.types import UtcDateTime, json_type, key_type

revision = "relationkit_0005"
down_revision: str | None = "relationkit_0004"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None

_PREVIOUS = "4"


def _meta(p: str, version: str) -> None:
    meta = sa.table(f"{p}meta", sa.column("key", sa.String()), sa.column("value", sa.String()))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value=version))


def upgrade() -> None:
    """Add the accounts' and customers' new columns and the unique index, record version 5."""
    p = prefix()
    accounts, customers = f"{p}accounts", f"{p}customers"
    op.add_column(accounts, sa.Column("external_id", key_type(128), nullable=True))
    op.add_column(accounts, sa.Column("attributes", json_type(), nullable=True))
    op.add_column(accounts, sa.Column("timezone", sa.String(64), nullable=True))
    op.add_column(accounts, sa.Column("source_updated_at", UtcDateTime(), nullable=True))
    op.add_column(customers, sa.Column("timezone", sa.String(64), nullable=True))
    op.add_column(customers, sa.Column("source_updated_at", UtcDateTime(), nullable=True))
    op.create_index(op.f(f"uq_{accounts}_external_id"), accounts, ["external_id"], unique=True)
    _meta(p, "5")


def downgrade() -> None:
    """Drop what :func:`upgrade` added, record version 4."""
    p = prefix()
    accounts, customers = f"{p}accounts", f"{p}customers"
    op.drop_index(op.f(f"uq_{accounts}_external_id"), table_name=accounts)
    with op.batch_alter_table(customers) as batch:
        batch.drop_column("source_updated_at")
        batch.drop_column("timezone")
    with op.batch_alter_table(accounts) as batch:
        for column in ("source_updated_at", "timezone", "attributes", "external_id"):
            batch.drop_column(column)
    _meta(p, _PREVIOUS)
