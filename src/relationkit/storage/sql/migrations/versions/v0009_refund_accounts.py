"""Schema version 9: refunds carry their order's account, indexed by time.

Adds to ``refunds`` the nullable ``account_id``, filled from each refund's
order (and moved with it when its buyer moves), and the index on
``(account_id, occurred_at, refund_id)``: a page of an account's timeline
finds its refunds from that index instead of walking all the account's
orders.

Revision ID: relationkit_0009
Revises: relationkit_0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relationkit.storage.sql.migrations.context import prefix
from relationkit.storage.sql.types import key_type

revision = "relationkit_0009"
down_revision: str | None = "relationkit_0008"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None

_PREVIOUS = "8"


def _meta(p: str, version: str) -> None:
    meta = sa.table(f"{p}meta", sa.column("key", sa.String()), sa.column("value", sa.String()))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value=version))


def upgrade() -> None:
    """Add ``refunds.account_id``, fill it from the orders, index it; record version 9."""
    p = prefix()
    refunds = f"{p}refunds"
    op.add_column(refunds, sa.Column("account_id", key_type(64), nullable=True))
    r = sa.table(refunds, sa.column("order_id"), sa.column("account_id"))
    o = sa.table(f"{p}purchases", sa.column("order_id"), sa.column("account_id"))
    owner = sa.select(o.c.account_id).where(o.c.order_id == r.c.order_id).scalar_subquery()
    op.execute(r.update().values(account_id=owner))
    op.create_index(
        op.f(f"ix_{refunds}_account_id"), refunds, ["account_id", "occurred_at", "refund_id"]
    )
    _meta(p, "9")


def downgrade() -> None:
    """Drop what :func:`upgrade` added, record version 8."""
    p = prefix()
    refunds = f"{p}refunds"
    op.drop_index(op.f(f"ix_{refunds}_account_id"), table_name=refunds)
    with op.batch_alter_table(refunds) as batch:
        batch.drop_column("account_id")
    _meta(p, _PREVIOUS)
