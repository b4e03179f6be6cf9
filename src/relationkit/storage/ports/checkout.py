"""An optional protocol: what checkouts keep in the store, holds and parked refunds.

A unit of work that implements :class:`CheckoutStore` has a ``checkout``
repository (:class:`CheckoutRepository`):

- *holds* (:class:`~relationkit.domain.holds.Hold`): one row per hold, open
  or closed, derived from the ledger's ``hold``/``release``/``redeem``
  entries and written in the transaction that appends them (like the open
  lots); ``rebuild`` re-derives them.
- *parked refunds* (:class:`~relationkit.domain.parked.ParkedRefund`):
  refunds that arrived before their order, stored until it is recorded.

A backend without it still runs everything else; ``kit.loyalty.hold`` and
``refund(..., park_if_unknown=True)`` raise
:class:`~relationkit.errors.StorageError` saying so. The rules of
:mod:`relationkit.storage.ports.core` (errors, copies, ordering) hold here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import pendulum

from relationkit.domain.holds import Hold
from relationkit.domain.parked import ParkedRefund

__all__ = ["CheckoutRepository", "CheckoutStore"]


class CheckoutRepository(Protocol):
    """Holds and parked refunds."""

    def holds(self, hold_ids: Sequence[str]) -> dict[str, Hold]:
        """Return the holds among these ids, by id."""
        ...

    def put_holds(self, holds: Sequence[Hold]) -> None:
        """Insert or replace holds by id (the last one of an id wins).

        Raises:
            DanglingReference: ``"account_id"``.
        """
        ...

    def delete_holds(self, hold_ids: Sequence[str]) -> None:
        """Delete these holds (``rebuild`` dropping what the ledger lacks; unknown ids ignored)."""
        ...

    def holds_of(self, account_ids: Sequence[str]) -> dict[str, list[Hold]]:
        """Return every hold of these accounts, each list in id order ([] if none)."""
        ...

    def due_holds(self, account_id: str, as_of: pendulum.DateTime) -> list[Hold]:
        """Return the account's open holds with ``expires_at <= as_of``, in id order."""
        ...

    def next_release(self, account_id: str) -> pendulum.DateTime | None:
        """Return the soonest ``expires_at`` of the account's open holds (None: none open)."""
        ...

    def add_parked(self, refund: ParkedRefund) -> None:
        """Park a refund.

        Raises:
            DuplicateKey: ``"parked_refund"`` for a ``refund_id`` parked already.
        """
        ...

    def put_parked(self, refund: ParkedRefund) -> None:
        """Replace a parked refund (its ``problem`` noted when its order refused it)."""
        ...

    def parked(self, refund_ids: Sequence[str]) -> dict[str, ParkedRefund]:
        """Return the parked refunds among these refund ids, by refund id."""
        ...

    def parked_for(self, order_ids: Sequence[str]) -> list[ParkedRefund]:
        """Return the refunds parked for these orders, by ``(parked_at, refund_id)``."""
        ...

    def parked_page(
        self,
        *,
        after: tuple[pendulum.DateTime, str] | None = None,
        before: pendulum.DateTime | None = None,
        limit: int = 100,
    ) -> list[ParkedRefund]:
        """Return parked refunds by ``(parked_at, refund_id)``, after ``after``.

        Only those parked before ``before`` when it is given; at most ``limit``.
        """
        ...

    def remove_parked(self, refund_ids: Sequence[str]) -> None:
        """Delete these parked refunds (unknown ids ignored)."""
        ...


@runtime_checkable
class CheckoutStore(Protocol):
    """A unit of work that keeps holds and parked refunds."""

    @property
    def checkout(self) -> CheckoutRepository:
        """The holds and parked refunds of this transaction."""
        ...
