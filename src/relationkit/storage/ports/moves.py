"""Optional port protocol: moving a person's records from one account to another.

``kit.customers.move`` needs it; a backend without it refuses the move
(:class:`~relationkit.errors.StorageError`, before anything is written),
because the core port has no way to change the account of a stored
purchase or interaction. Both in-tree backends implement it.

The rule (the same on every backend): the customer's purchases of the old
account (with their lines and refunds, which hang on the order) and the
interactions naming the customer move to the new account. Interactions
with the account as a whole (no customer), stage changes, the loyalty
ledger and its state, scores and tiers stay with the account they belong
to. The write is bounded by what the old account holds: two set-based
UPDATEs on SQL, never a loop over rows.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs

__all__ = ["MovedRecords", "RecordMoves"]


@attrs.frozen(kw_only=True)
class MovedRecords:
    """How many records a move gave to the new account.

    Attributes:
        purchases: purchases (each with its lines and refunds) moved.
        interactions: interactions naming the customer moved.
    """

    purchases: int
    interactions: int


@runtime_checkable
class RecordMoves(Protocol):
    """A person's purchases and interactions given to another account."""

    def move_records(
        self, customer_id: str, from_account_id: str, to_account_id: str
    ) -> MovedRecords:
        """Give ``customer_id``'s purchases and interactions of one account to another.

        The caller holds both accounts' locks and updates the customer row
        itself (``customers.update``); this moves only the records that
        name the customer and sit in ``from_account_id``.

        Raises:
            DanglingReference: ``"account_id"`` if ``to_account_id`` is not stored.
        """
        ...
