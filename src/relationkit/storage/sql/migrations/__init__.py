"""The SQL schema's history as Alembic revisions, shipped in the package.

Each schema version is one revision of the branch labelled ``relationkit``
(:data:`BRANCH`), in :data:`VERSIONS`:

- ``relationkit_0002``: the tables of schema version 2 (the baseline);
- ``relationkit_0003``: ``points_state`` and ``open_lots``, filled from the
  ledgers, and the ledger's new indexes (schema version 3);
- ``relationkit_0004``: ``scores`` and ``score_snapshots``, the kept scores
  (schema version 4);
- ``relationkit_0005``: the accounts' external id, attributes, time zone
  and source time, the customers' time zone and source time (schema
  version 5);
- ``relationkit_0006``: ``holds`` and ``parked_refunds``, the state rows'
  ``held`` and ``next_release``, the purchases' ``hold_id`` (schema version 6);
- ``relationkit_0007``: the ledger entries' ``rate`` and
  ``source_currency``, for orders in other currencies (schema version 7);
- ``relationkit_0008``: the purchases' ``points_account_id``, kept when a
  buyer moves, and their ``(customer_id, occurred_at, id)`` index (schema
  version 8);
- ``relationkit_0009``: the refunds' ``account_id`` (their order's, kept when
  it moves) and its ``(account_id, occurred_at, refund_id)`` index (schema
  version 9).

``relationkit db upgrade URL [--prefix rk_]`` (:func:`runner.upgrade`) runs
them without an ``env.py``, in one transaction, recording the revision in
``<prefix>alembic_version``; a store that ``rk.open`` created, and that has
no such table yet, is stamped from the version in its meta table first.

A host with its own Alembic history can add :data:`VERSIONS` to its
``version_locations`` (the branch label keeps the histories apart: upgrade
``relationkit@head``) and tell the revisions its prefix with
``config.attributes["relationkit_prefix"] = "rk_"`` in its ``env.py`` or
``-x relationkit_prefix=rk_`` on the command line.

Revisions are frozen: they spell out the tables of their version instead of
calling :func:`~relationkit.storage.sql.schema.tables.build_tables`, which
describes only the newest one. The integration tests check that upgrading
gives exactly what ``build_tables`` declares (Alembic's autogenerate finds
no difference).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["BRANCH", "HEAD", "PREFIX_KEY", "REVISIONS", "VERSIONS"]

BRANCH = "relationkit"
"""The branch label of relationkit's revisions."""

HEAD = f"{BRANCH}@head"

PREFIX_KEY = "relationkit_prefix"
"""The ``Config.attributes`` key (or ``-x`` argument) that carries the table prefix."""

VERSIONS = str(Path(__file__).parent / "versions")
"""The directory of the revision scripts."""

REVISIONS = {
    "2": "relationkit_0002",
    "3": "relationkit_0003",
    "4": "relationkit_0004",
    "5": "relationkit_0005",
    "6": "relationkit_0006",
    "7": "relationkit_0007",
    "8": "relationkit_0008",
    "9": "relationkit_0009",
}
"""The revision that produces each schema version recorded in the meta table."""
