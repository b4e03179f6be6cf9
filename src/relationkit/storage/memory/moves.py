"""The memory backend's :class:`~relationkit.storage.ports.moves.RecordMoves`.

Touches only the old account's purchases and interactions: the index lists
of both accounts are replaced by new lists (never changed in place), so
the undo log restores them whole on a rollback.
"""

from __future__ import annotations

import attrs

from relationkit.errors import DanglingReference
from relationkit.storage.memory.tables import Tables
from relationkit.storage.memory.undo import UndoLog, set_item
from relationkit.storage.ports.moves import MovedRecords

__all__ = ["move_records"]


def move_records(
    t: Tables, uow: UndoLog, customer_id: str, from_account_id: str, to_account_id: str
) -> MovedRecords:
    """Give the customer's purchases and interactions of one account to another."""
    if to_account_id not in t.accounts:
        raise DanglingReference("account_id")
    owned = t.purchases_by_account.get(from_account_id, [])
    moving = [o for o in owned if t.purchases[o].customer_id == customer_id]
    if moving:
        gone = set(moving)
        for order_id in moving:
            set_item(t.purchases, order_id, uow)
            moved = t.purchases[order_id]
            t.purchases[order_id] = attrs.evolve(
                moved, account_id=to_account_id, points_account_id=moved.points_account
            )
        set_item(t.purchases_by_account, from_account_id, uow)
        t.purchases_by_account[from_account_id] = [o for o in owned if o not in gone]
        set_item(t.purchases_by_account, to_account_id, uow)
        t.purchases_by_account[to_account_id] = [
            *t.purchases_by_account.get(to_account_id, []),
            *moving,
        ]
    items = t.interactions.get(from_account_id, [])
    talks = [i for i in items if i.customer_id == customer_id]
    if talks:
        for talk in talks:
            set_item(t.interaction_ids, talk.id, uow)
            t.interaction_ids[talk.id] = to_account_id
        set_item(t.interactions, from_account_id, uow)
        t.interactions[from_account_id] = [i for i in items if i.customer_id != customer_id]
        set_item(t.interactions, to_account_id, uow)
        t.interactions[to_account_id] = [
            *t.interactions.get(to_account_id, []),
            *(attrs.evolve(i, account_id=to_account_id) for i in talks),
        ]
    return MovedRecords(purchases=len(moving), interactions=len(talks))
