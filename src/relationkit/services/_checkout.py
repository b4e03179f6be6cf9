"""The store's checkout repository (holds, parked refunds), or a clear error without one."""

from __future__ import annotations

from relationkit._tx import Tx
from relationkit.errors import NotFound, StorageError
from relationkit.storage.ports.checkout import CheckoutRepository, CheckoutStore

__all__ = ["checkout", "has_checkout", "hold_points"]


def has_checkout(tx: Tx) -> bool:
    """Return whether the store keeps holds and parked refunds."""
    return isinstance(tx.uow, CheckoutStore)


def checkout(tx: Tx) -> CheckoutRepository:
    """Return the transaction's checkout repository.

    Raises:
        StorageError: the backend keeps no holds nor parked refunds.
    """
    uow = tx.uow
    if not isinstance(uow, CheckoutStore):
        raise StorageError(
            "this storage backend keeps no holds nor parked refunds "
            "(its unit of work has no 'checkout' repository)"
        )
    return uow.checkout


def hold_points(tx: Tx, hold_id: str | None, points_used: int) -> int:
    """Return the points an order spends: ``points_used``, else its hold's points.

    Raises:
        NotFound: ``hold_id`` names no hold.
    """
    if hold_id is None or points_used:
        return points_used
    found = checkout(tx).holds([hold_id]).get(hold_id)
    if found is None:
        raise NotFound("hold", hold_id)
    return found.points
