"""Schema version 4: the kept scores.

Adds ``scores`` (the current score of each account and kind, with its band,
indexed for ranking and band filters) and ``score_snapshots`` (their
append-only history by ``as_of``). Both start empty: ``kit.scores.refresh()``
fills them.

Revision ID: relationkit_0004
Revises: relationkit_0003
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from relationkit.storage.sql.migrations.context import prefix
from relationkit.storage.sql.types import UtcDateTime

revision = "relationkit_0004"
down_revision: str | None = "relationkit_0003"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None

_ID = sa.String(64).with_variant(sa.String(64, collation="C"), "postgresql")


def _meta(p: str, version: str) -> None:
    meta = sa.table(f"{p}meta", sa.column("key", sa.String()), sa.column("value", sa.String()))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value=version))


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.Column("score", sa.BigInteger(), nullable=False),
        sa.Column("band", sa.String(32), nullable=False),
        sa.Column("computed_at", UtcDateTime(), nullable=False),
    ]


def upgrade() -> None:
    """Create the score tables and their indexes, record version 4."""
    p = prefix()
    f = op.f
    for table, key in (
        ("scores", ["account_id", "kind"]),
        ("score_snapshots", ["account_id", "kind", "as_of"]),
    ):
        op.create_table(
            f"{p}{table}",
            *_columns(),
            sa.PrimaryKeyConstraint(*key, name=f(f"pk_{p}{table}")),
            sa.ForeignKeyConstraint(
                ["account_id"], [f"{p}accounts.id"], name=f(f"fk_{p}{table}_account_id")
            ),
        )
    op.create_index(f(f"ix_{p}scores_rank"), f"{p}scores", ["kind", "score", "account_id"])
    op.create_index(f(f"ix_{p}scores_band"), f"{p}scores", ["kind", "band", "account_id"])
    _meta(p, "4")


def downgrade() -> None:
    """Drop the score tables, record version 3."""
    p = prefix()
    op.drop_table(f"{p}score_snapshots")
    op.drop_table(f"{p}scores")
    _meta(p, "3")
