"""In-transaction reactions: how one service learns what another just stored.

The purchases service publishes a fact (:class:`PurchasesStored`,
:class:`RefundStored`) inside the transaction that stored it; lifecycle and
loyalty subscribe when the kit is built and react in the same transaction.
No service calls another's private methods, and none imports another.
Reactions run in the order they were registered; a reaction that raises
rolls the whole operation back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs

from relationkit._tx import Tx
from relationkit.domain.purchases import Purchase, Refund

__all__ = ["PurchasesStored", "Reactions", "RefundStored"]

F = TypeVar("F")


@attrs.frozen
class PurchasesStored:
    """New purchases were inserted (each account is locked by the transaction)."""

    purchases: Sequence[Purchase]


@attrs.frozen
class RefundStored:
    """A refund was inserted; ``purchase`` is the order as it was before it."""

    purchase: Purchase
    refund: Refund


class Reactions:
    """Subscriptions of services to facts, for one kit."""

    def __init__(self) -> None:
        self._subscribers: dict[type[Any], list[Callable[[Tx, Any], None]]] = {}

    def on(self, fact: type[F], reaction: Callable[[Tx, F], None]) -> None:
        """Call ``reaction(tx, fact)`` whenever a fact of this type is published."""
        self._subscribers.setdefault(fact, []).append(reaction)

    def publish(self, tx: Tx, fact: object) -> None:
        """Run the reactions to ``fact`` inside ``tx``, in registration order."""
        for reaction in self._subscribers.get(type(fact), ()):
            reaction(tx, fact)
