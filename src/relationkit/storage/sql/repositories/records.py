"""Append-only records in SQL: stage history, interactions, idempotency records."""

from __future__ import annotations

from collections.abc import Sequence

import pendulum

from relationkit.domain.interactions import Interaction
from relationkit.domain.lifecycle import StageChange
from relationkit.storage.ports.core import IdempotencyRecord
from relationkit.storage.sql.mapping import IDEMPOTENCY, INTERACTION, STAGE_CHANGE
from relationkit.storage.sql.repositories import Repository, page_params

__all__ = ["SqlIdempotency", "SqlInteractions", "SqlStages"]


class SqlStages(Repository):
    """Lifecycle history (:class:`~relationkit.storage.ports.StageRepository`)."""

    __slots__ = ()

    def add_many(self, changes: Sequence[StageChange]) -> None:
        """Append stage changes; their ``seq`` keeps the order they came in."""
        rows = STAGE_CHANGE.rows(changes)
        self._x.insert(self._s.inserts["stage_changes"], rows, dangling="account_id")

    def for_account(self, account_id: str) -> list[StageChange]:
        """Return an account's stage changes in ``at`` then insertion order."""
        found = self._x.rows(self._s.stages_of_account, {"account_id": account_id})
        return [STAGE_CHANGE.load(r) for r in found]


class SqlInteractions(Repository):
    """Interactions (:class:`~relationkit.storage.ports.InteractionRepository`)."""

    __slots__ = ()

    def add(self, interaction: Interaction) -> None:
        """Insert one interaction."""
        rows = INTERACTION.rows([interaction])
        self._x.insert(self._s.inserts["interactions"], rows, dangling="account_id")

    def for_account(
        self,
        account_id: str,
        *,
        after: tuple[pendulum.DateTime, str] | None = None,
        limit: int | None = None,
    ) -> list[Interaction]:
        """Return an account's interactions, in ``occurred_at`` then id order.

        ``after`` is the ``(occurred_at, id)`` of the previous page's last
        row; ``limit`` caps the page (None: all that follow). One query.
        """
        key = {"account_id": account_id}
        if after is None and limit is None:
            found = self._x.rows(self._s.interactions_of_account, key)
        else:
            stmt = self._s.pages.of(
                "interactions", after=after is not None, limited=limit is not None
            )
            found = self._x.rows(stmt, page_params(key, after, limit))
        return [INTERACTION.load(r) for r in found]


class SqlIdempotency(Repository):
    """Idempotent requests (:class:`~relationkit.storage.ports.IdempotencyRepository`)."""

    __slots__ = ()

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        """Return the record for ``(scope, key)``."""
        found = self._x.rows(self._s.idempotency_record, {"scope": scope, "key": key})
        return IDEMPOTENCY.load(found[0]) if found else None

    def add(self, record: IdempotencyRecord) -> None:
        """Insert a record (an existing ``(scope, key)``: ``DuplicateKey("idempotency_key")``)."""
        self._x.insert(self._s.inserts["idempotency"], IDEMPOTENCY.rows([record]))
