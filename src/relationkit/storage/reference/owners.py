"""Reference :class:`~relationkit.storage.ports.owners.OwnerLookups` over the core port."""

from __future__ import annotations

from collections.abc import Sequence

from relationkit.storage.ports.core import UnitOfWork

__all__ = ["ReferenceOwners"]


class ReferenceOwners:
    """Owners read from the whole records (the core port has no narrower read)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def accounts_of_orders(self, order_ids: Sequence[str]) -> dict[str, str]:
        """Return ``order_id -> account_id`` for the stored orders among ``order_ids``."""
        found = self._uow.purchases.get_many(list(order_ids))
        return {o: p.account_id for o, p in found.items()}

    def accounts_of_customers(self, customer_ids: Sequence[str]) -> dict[str, str]:
        """Return ``customer_id -> account_id`` for the stored customers among ``customer_ids``."""
        found = self._uow.customers.get_many(list(customer_ids))
        return {c: customer.account_id for c, customer in found.items()}
