"""The shop's platform and payment provider, as the webhook endpoint sees them.

:class:`Platform` delivers webhooks to :func:`shop.integration.handle` at
a given hour of the replayed day (the kit's clock follows), remembers
them, and delivers them again the way providers retry. :func:`backlog` is
the night's deliveries: profiles, orders in euros and dollars (Stripe's
lower-case codes), a guest who registers, a company with three buyers, a
late retry of an old email and refunds.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import pendulum

import relationkit as rk
from shop.integration import handle

DAY = pendulum.datetime(2026, 1, 31, 8, tz="UTC")
"""The start of the replayed day: 8:00 UTC, 9:00 in Paris, 3:00 in New York."""

Hook = dict[str, Any]


def at(hours: float) -> pendulum.DateTime:
    """Return the instant ``hours`` after the start of the replayed day."""
    return DAY.add(seconds=round(hours * 3600))


@attrs.define
class Platform:
    """Delivers webhooks to the shop's handler, on the kit's clock, and retries them."""

    kit: rk.RelationKit
    clock: rk.FrozenClock
    sent: list[Hook] = attrs.field(factory=list)

    def deliver(self, hours: float, kind: str, **data: Any) -> object:
        """Deliver one webhook at ``hours`` into the day; return what the handler returned."""
        return self.deliver_all(hours, [{"type": kind, "data": data}])[0]

    def deliver_all(self, hours: float, hooks: Sequence[Hook]) -> list[object]:
        """Deliver webhooks one after the other at ``hours``."""
        self.clock.set(at(hours))
        self.sent.extend(hooks)
        return [handle(self.kit, hook) for hook in hooks]

    def deliver_at_once(self, hours: float, hooks: Sequence[Hook]) -> list[object]:
        """Deliver webhooks at the same time, one worker thread each."""
        self.clock.set(at(hours))
        self.sent.extend(hooks)
        with ThreadPoolExecutor(max_workers=len(hooks)) as workers:
            return list(workers.map(lambda hook: handle(self.kit, hook), hooks))

    def redeliver(self, hours: float, *prefixes: str) -> list[object]:
        """Deliver again, at ``hours``, every webhook sent so far whose type starts so."""
        self.clock.set(at(hours))
        return [handle(self.kit, h) for h in self.sent if h["type"].startswith(prefixes)]


def backlog() -> list[Hook]:
    """Return the night's deliveries, in arrival order (late and out of order ones included)."""
    company = {"id": "co-77", "name": "ACME SA", "timezone": "Europe/Paris"}
    hooks: list[dict[str, Any]] = [
        {"type": "company.updated", "data": {**company, "updated_at": at(0)}},
        {
            "type": "customer.updated",
            "data": {
                "id": "u-1",
                "email": "lea@example.com",
                "name": "Léa",
                "timezone": "Europe/Paris",
                "updated_at": at(0),
            },
        },
        {
            "type": "customer.updated",
            "data": {
                "id": "u-2",
                "email": "sam@example.com",
                "name": "Sam",
                "timezone": "America/New_York",
                "metadata": {"newsletter": True},
                "updated_at": at(0),
            },
        },
    ]
    for n in (1, 2, 3):
        hooks.append(
            {
                "type": "customer.updated",
                "data": {
                    "id": f"b-{n}",
                    "email": f"buyer{n}@acme.example",
                    "company": "co-77",
                    "role": "buyer",
                    "updated_at": at(0),
                },
            }
        )
    paid = [
        # 23:30 UTC: already February in Paris, still January in New York.
        ("1001", {"customer": "u-1"}, 5990, "eur", 15.5),
        ("1008", {"customer": "u-2"}, 1500, "eur", 15.5),
        ("1002", {"customer": "u-2"}, 4500, "usd", 2),
        ("1003", {"email": "guest@example.com"}, 1250, "eur", 3),
        ("1004", {"customer": "b-1"}, 120000, "eur", 4),
        ("1005", {"customer": "b-2"}, 80000, "eur", 5),
        ("1006", {"customer": "b-3"}, 30000, "eur", 6),
    ]
    for order_id, who, amount, currency, hour in paid:
        hooks.append(
            {
                "type": "order.paid",
                "data": {
                    "id": order_id,
                    **who,
                    "amount": amount,
                    "currency": currency,
                    "created": at(hour),
                },
            }
        )
    hooks += [
        # Léa changes her email; the old profile webhook is retried late.
        {
            "type": "customer.updated",
            "data": {"id": "u-1", "email": "lea.new@example.com", "updated_at": at(7)},
        },
        {
            "type": "customer.updated",
            "data": {"id": "u-1", "email": "lea@example.com", "updated_at": at(0)},
        },
        # Sam's newsletter flag goes, a key of metadata merged on its own.
        {
            "type": "customer.updated",
            "data": {"id": "u-2", "metadata": {"newsletter": None, "vip": 1}, "updated_at": at(7)},
        },
        # The guest registers on her next order.
        {
            "type": "order.paid",
            "data": {
                "id": "1007",
                "customer": "u-3",
                "email": "guest@example.com",
                "name": "Gwen",
                "amount": 2000,
                "currency": "eur",
                "created": at(8),
            },
        },
        {
            "type": "order.partially_refunded",
            "data": {
                "id": "re-1",
                "order": "1004",
                "amount": 20000,
                "currency": "eur",
                "created": at(9),
            },
        },
        {"type": "order.refunded", "data": {"id": "re-2", "order": "1004", "created": at(10)}},
    ]
    return hooks
