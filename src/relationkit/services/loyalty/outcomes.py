"""What each order earned under the currency rule, and which order is an account's first.

An order in a currency other than the program's leaves a record of its
earning outcome (the rate it earned at, or that it earned nothing) in the
store's idempotency table, scope ``"earning"``, keyed by the order id: it
is written once, with the order, in the same transaction, and never
changes. An order in the program's currency needs no record: it earns at
rate 1. ``kit.loyalty.earning(order_id)`` reads either back as an
:class:`~relationkit.EarningOutcome`, with the points the order's entries
hold.

The first-purchase and referral bonuses belong to the account's first
order that *earns*. An account whose first order earned nothing carries a
marker (scope ``"unearned_first"``) until an earning order takes the
bonuses (scope ``"first_purchase"``); an account without the first marker
and with earlier orders had its first earning order before.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal

from relationkit._tx import Tx
from relationkit.domain.ledger import EntryKind
from relationkit.domain.loyalty import EarningOutcome, LoyaltyProgram
from relationkit.domain.purchases import Purchase
from relationkit.errors import NotFound
from relationkit.storage.ports import IdempotencyRecord

__all__ = ["EARNING_SCOPE", "FirstOrders", "read_outcome", "record_outcome", "stored_rate"]

EARNING_SCOPE = "earning"
"""The idempotency scope of the earning outcomes of orders in other currencies."""
_FIRST = "first_purchase"
_UNEARNED_START = "unearned_first"


def _add(tx: Tx, scope: str, key: str, result: str) -> None:
    tx.uow.idempotency.add(
        IdempotencyRecord(scope=scope, key=key, payload_hash="-", result=result, created_at=tx.now)
    )


def record_outcome(
    tx: Tx, purchase: Purchase, program: LoyaltyProgram, rate: Decimal | None
) -> None:
    """Record the outcome of an order in another currency: its rate, or None (earns nothing)."""
    result = {
        "account_id": purchase.account_id,
        "currency": purchase.total.currency,
        "program_currency": program.currency,
        "rate": None if rate is None else str(rate),
    }
    _add(tx, EARNING_SCOPE, purchase.order_id, json.dumps(result, sort_keys=True))


def stored_rate(tx: Tx, order_id: str) -> Decimal | None:
    """Return the rate an order in another currency earned at (None: it earned nothing)."""
    record = tx.uow.idempotency.get(EARNING_SCOPE, order_id)
    if record is None:
        return None
    rate = json.loads(record.result)["rate"]
    return None if rate is None else Decimal(rate)


class FirstOrders:
    """Tells, order by order within one transaction, which is an account's first that earns.

    Args:
        tx: the transaction recording the orders.
        before: per account, how many of its orders were stored before
            these (0, or any positive count).
    """

    def __init__(self, tx: Tx, before: Mapping[str, int]) -> None:
        self._tx = tx
        self._before = before
        self._open: dict[str, bool] = {}
        self._started: dict[str, bool] = {}

    def _load(self, account_id: str) -> None:
        if account_id in self._open:
            return
        if not self._before.get(account_id, 0):
            self._open[account_id], self._started[account_id] = True, False
            return
        ask = self._tx.uow.idempotency.get
        started = ask(_UNEARNED_START, account_id) is not None
        self._started[account_id] = started
        self._open[account_id] = started and ask(_FIRST, account_id) is None

    def claim(self, purchase: Purchase, earns: bool) -> bool:
        """Return whether ``purchase`` takes the account's first-purchase bonuses.

        An order that earns nothing never does, and leaves them open; the
        first order that earns takes them, once.
        """
        account_id = purchase.account_id
        self._load(account_id)
        if not self._open[account_id]:
            return False
        if not earns:
            if not self._started[account_id]:
                _add(self._tx, _UNEARNED_START, account_id, purchase.order_id)
                self._started[account_id] = True
            return False
        self._open[account_id] = False
        if self._started[account_id]:
            _add(self._tx, _FIRST, account_id, purchase.order_id)
        return True


def read_outcome(tx: Tx, program: LoyaltyProgram | None, order_id: str) -> EarningOutcome:
    """Return what the order ``order_id`` earned.

    Raises:
        NotFound: no order has this id.
    """
    purchase = tx.uow.purchases.get_many([order_id]).get(order_id)
    if purchase is None:
        raise NotFound("purchase", order_id)
    entries = tx.uow.ledger.by_source(purchase.points_account, f"order:{order_id}")
    points = sum(
        e.points
        for e in entries
        if e.kind in (EntryKind.EARN, EntryKind.PENDING) and e.reason == "purchase"
    )
    record = tx.uow.idempotency.get(EARNING_SCOPE, order_id)
    currency = purchase.total.currency
    if record is not None:
        found = json.loads(record.result)
        rate = None if found["rate"] is None else Decimal(found["rate"])
        program_currency: str | None = found["program_currency"]
    elif program is None:
        rate, program_currency = None, None
    else:
        program_currency = program.currency
        rate = Decimal(1) if currency == program.currency else None
    reason = None
    if rate is None:
        reason = "no_program" if program_currency is None else "no_rate"
    return EarningOutcome(
        order_id=order_id,
        account_id=purchase.points_account,
        currency=currency,
        program_currency=program_currency,
        earns=rate is not None,
        rate=rate,
        points=points,
        reason=reason,
    )
