"""The memory backend's account histories: stage changes and interactions, with undo."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pendulum

from relationkit.domain.interactions import Interaction
from relationkit.domain.lifecycle import StageChange
from relationkit.errors import DanglingReference, DuplicateKey
from relationkit.storage.memory.paging import page, sorted_once
from relationkit.storage.memory.undo import append_item, set_item

if TYPE_CHECKING:
    from relationkit.storage.memory.store import UnitOfWork

__all__ = ["MemoryInteractions", "MemoryStages"]


class MemoryStages:
    """``uow.stages``: each account's stage changes, in the order written."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._u = uow
        self._t = uow.tables

    def add_many(self, changes: Sequence[StageChange]) -> None:
        for change in changes:
            if change.account_id not in self._t.accounts:
                raise DanglingReference("account_id")
            history = self._t.stages[change.account_id]
            append_item(history, self._u)
            history.append(change)

    def for_account(self, account_id: str) -> list[StageChange]:
        return list(self._t.stages.get(account_id, []))


class MemoryInteractions:
    """``uow.interactions``: each account's interactions, paged by time then id."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._u = uow
        self._t = uow.tables

    def add(self, interaction: Interaction) -> None:
        if interaction.id in self._t.interaction_ids:
            raise DuplicateKey("interaction_id")
        if interaction.account_id not in self._t.accounts:
            raise DanglingReference("account_id")
        set_item(self._t.interaction_ids, interaction.id, self._u)
        self._t.interaction_ids[interaction.id] = interaction.account_id
        items = self._t.interactions[interaction.account_id]
        append_item(items, self._u)
        items.append(interaction)

    def for_account(
        self,
        account_id: str,
        *,
        after: tuple[pendulum.DateTime, str] | None = None,
        limit: int | None = None,
    ) -> list[Interaction]:
        found = self._t.interactions.get(account_id, [])
        items = sorted_once(
            self._t,
            ("interactions", account_id),
            (id(found), len(found), found[-1].id if found else None),
            lambda: sorted(found, key=lambda i: (i.occurred_at, i.id)),
        )
        return page(items, lambda i: (i.occurred_at, i.id), after, limit)
