"""Schema version 7: orders in other currencies earn at a rate fixed at purchase.

Adds to ``ledger_entries`` the ``rate`` (the text of an exact decimal: units
of the program's currency per unit of the order's) and the
``source_currency`` of the order the points were earned through. Both are
nullable: the entries already stored were all earned in the program's
currency, and keep that meaning.

Revision ID: relationkit_0007
Revises: relationkit_0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relationkit.storage.sql.decimals import RATE_LENGTH
from relationkit.storage.sql.migrations.context import prefix

revision = "relationkit_0007"
down_revision: str | None = "relationkit_0006"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None

_PREVIOUS = "6"


def _meta(p: str, version: str) -> None:
    meta = sa.table(f"{p}meta", sa.column("key", sa.String()), sa.column("value", sa.String()))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value=version))


def upgrade() -> None:
    """Add the ledger's ``rate`` and ``source_currency``, record version 7."""
    p = prefix()
    entries = f"{p}ledger_entries"
    op.add_column(entries, sa.Column("rate", sa.String(RATE_LENGTH), nullable=True))
    op.add_column(entries, sa.Column("source_currency", sa.String(3), nullable=True))
    _meta(p, "7")


def downgrade() -> None:
    """Drop what :func:`upgrade` added, record the previous version."""
    p = prefix()
    with op.batch_alter_table(f"{p}ledger_entries") as batch:
        batch.drop_column("source_currency")
        batch.drop_column("rate")
    _meta(p, _PREVIOUS)
