"""Schema version 6: points held at checkout and refunds parked before their order.

Creates ``holds`` (one row per hold, open or closed: derived from the
ledger's ``hold``, ``release`` and capturing ``redeem`` entries, like the open
lots) and ``parked_refunds`` (refunds stored until their order is recorded).
Adds to ``points_state`` the points open holds reserve (``held``, 0 for
every row already stored: no ledger of that version holds anything) and the
soonest lapse of an open hold (``next_release``, nullable); adds to
``purchases`` the ``hold_id`` an order captured (nullable).

Revision ID: relationkit_0006
Revises: relationkit_0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relationkit.storage.sql.migrations.context import prefix
from relationkit.storage.sql.types import UtcDateTime, key_type

revision = "relationkit_0006"
down_revision: str | None = "relationkit_0005"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None

_PREVIOUS = "5"


def _meta(p: str, version: str) -> None:
    meta = sa.table(f"{p}meta", sa.column("key", sa.String()), sa.column("value", sa.String()))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value=version))


def upgrade() -> None:
    """Create ``holds`` and ``parked_refunds``, add the new columns, record version 6."""
    p = prefix()
    f = op.f
    holds, parked = f"{p}holds", f"{p}parked_refunds"
    op.create_table(
        holds,
        sa.Column("id", key_type(64), nullable=False),
        sa.Column("account_id", key_type(64), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("closed_by", key_type(64), nullable=True),
        sa.Column("captured", sa.BigInteger(), nullable=False),
        sa.Column("order_id", key_type(128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=f(f"pk_{holds}")),
        sa.ForeignKeyConstraint(
            ["account_id"], [f"{p}accounts.id"], name=f(f"fk_{holds}_account_id")
        ),
    )
    op.create_index(f(f"ix_{holds}_open"), holds, ["account_id", "status", "expires_at"])
    op.create_table(
        parked,
        sa.Column("refund_id", key_type(128), nullable=False),
        sa.Column("order_id", key_type(128), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("occurred_at", UtcDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("parked_at", UtcDateTime(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("refund_id", name=f(f"pk_{parked}")),
    )
    op.create_index(f(f"ix_{parked}_order_id"), parked, ["order_id"])
    op.create_index(f(f"ix_{parked}_parked_at"), parked, ["parked_at", "refund_id"])
    states = f"{p}points_state"
    # Every stored state row holds nothing yet; the default fills them.
    op.add_column(
        states, sa.Column("held", sa.BigInteger(), nullable=False, server_default=sa.text("0"))
    )
    op.add_column(states, sa.Column("next_release", UtcDateTime(), nullable=True))
    op.add_column(f"{p}purchases", sa.Column("hold_id", key_type(64), nullable=True))
    _meta(p, "6")


def downgrade() -> None:
    """Drop what :func:`upgrade` added, record version 5."""
    p = prefix()
    with op.batch_alter_table(f"{p}purchases") as batch:
        batch.drop_column("hold_id")
    with op.batch_alter_table(f"{p}points_state") as batch:
        batch.drop_column("next_release")
        batch.drop_column("held")
    op.drop_table(f"{p}parked_refunds")
    op.drop_table(f"{p}holds")
    _meta(p, _PREVIOUS)
