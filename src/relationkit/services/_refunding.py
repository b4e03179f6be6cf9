"""The refund calls of ``kit.purchases``: refund or park, page and discard parked refunds.

A request is validated before any transaction starts; the refund itself is
stored by :func:`~relationkit.services._refunds.store_refund`, or parked by
:func:`~relationkit.services._parked.park` while its order is unknown.
"""

from __future__ import annotations

from collections.abc import Callable

import pendulum

from relationkit import _validate as v
from relationkit._runtime import Runner
from relationkit._tx import Tx
from relationkit.domain.parked import ParkedRefund
from relationkit.domain.purchases import Refund
from relationkit.errors import ValidationError
from relationkit.money import Money
from relationkit.services._checkout import checkout
from relationkit.services._parked import park
from relationkit.services._refunds import RefundRequest, store_refund

__all__ = ["Refunds"]


class Refunds:
    """Refunds of recorded orders, and refunds parked for orders still to come.

    Args:
        runner: the kit's transaction runner.
        publish: publishes a stored refund to the kit's reactions.
    """

    def __init__(self, runner: Runner, publish: Callable[[Tx, object], None]) -> None:
        self._run = runner
        self._publish = publish

    def refund(
        self,
        order_id: str,
        *,
        refund_id: str,
        amount: Money | None,
        occurred_at: pendulum.DateTime | None,
        reason: str | None,
        park_if_unknown: bool,
    ) -> Refund | ParkedRefund:
        """Refund an order once per ``refund_id``, or park it; see ``kit.purchases.refund``."""
        clean_order = v.identifier(order_id, "order_id")
        clean_refund = v.identifier(refund_id, "refund_id")
        if amount is not None:
            if not isinstance(amount, Money):
                raise ValidationError("amount", "must be a Money or None (everything left)")
            if amount.minor <= 0:
                raise ValidationError("amount", "must be positive")
        when = v.aware_utc(occurred_at, "occurred_at") if occurred_at is not None else None
        why = v.optional_text(reason, "reason", max_length=500)

        request = RefundRequest(
            refund_id=clean_refund, order_id=clean_order, amount=amount, at=when, reason=why
        )

        def work(tx: Tx) -> Refund | ParkedRefund:
            if park_if_unknown:
                parked = park(tx, request)
                if parked is not None:
                    return parked
            return store_refund(tx, request, publish=self._publish)

        return self._run.write(work)

    def parked(
        self,
        *,
        limit: int,
        after: ParkedRefund | None,
        parked_before: pendulum.DateTime | None,
    ) -> list[ParkedRefund]:
        """Return a page of parked refunds, oldest parked first; see ``kit.purchases.parked``."""
        size = v.positive_int(limit, "limit", maximum=1000)
        cursor = (after.parked_at, after.refund_id) if after is not None else None
        before = v.aware_utc(parked_before, "parked_before") if parked_before else None
        return self._run.read(
            lambda tx: checkout(tx).parked_page(after=cursor, before=before, limit=size)
        )

    def discard_parked(self, refund_id: str) -> bool:
        """Forget a parked refund; return whether one was parked."""
        key = v.identifier(refund_id, "refund_id")

        def work(tx: Tx) -> bool:
            repo = checkout(tx)
            if not repo.parked([key]):
                return False
            repo.remove_parked([key])
            return True

        return self._run.write(work)
