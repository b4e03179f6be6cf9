"""Schema version 8: orders keep the account that holds their points when their buyer moves.

Adds to ``purchases`` the nullable ``points_account_id``: set (once) when the
buyer of an order moves to another account, to the account the order was
recorded in, whose ledger holds the points the order earned and spent; a
refund reverses them there. Adds the index on ``(customer_id, occurred_at,
id)`` that pages one buyer's orders in a company account. Orders already
stored never moved, so they keep NULL: their own account.

Revision ID: relationkit_0008
Revises: relationkit_0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relationkit.storage.sql.migrations.context import prefix
from relationkit.storage.sql.types import key_type

revision = "relationkit_0008"
down_revision: str | None = "relationkit_0007"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None

_PREVIOUS = "7"


def _meta(p: str, version: str) -> None:
    meta = sa.table(f"{p}meta", sa.column("key", sa.String()), sa.column("value", sa.String()))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value=version))


def upgrade() -> None:
    """Add ``purchases.points_account_id`` and the buyer index, record version 8."""
    p = prefix()
    purchases = f"{p}purchases"
    op.add_column(purchases, sa.Column("points_account_id", key_type(64), nullable=True))
    op.create_index(
        op.f(f"ix_{purchases}_customer_id"), purchases, ["customer_id", "occurred_at", "id"]
    )
    _meta(p, "8")


def downgrade() -> None:
    """Drop what :func:`upgrade` added, record version 7."""
    p = prefix()
    purchases = f"{p}purchases"
    op.drop_index(op.f(f"ix_{purchases}_customer_id"), table_name=purchases)
    with op.batch_alter_table(purchases) as batch:
        batch.drop_column("points_account_id")
    _meta(p, _PREVIOUS)
