"""The shop's own code: its loyalty program, its checkout endpoint and its webhook handler.

This is the whole integration. It keeps no state of its own: no map of
company ids, no get-or-create, no table of early refunds or of held
points. The kit finds customers and companies by the shop's ids, parks a
refund whose order is not there yet, and ignores what is older than what
it holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pendulum

import relationkit as rk

CHECKOUT_MINUTES = 30
"""How long points stay held for a checkout the payment provider has not settled."""


def program() -> rk.LoyaltyProgram:
    """The shop's program: a point per euro, dollars at a fixed rate, Paris calendar."""
    return rk.LoyaltyProgram(
        currency="EUR",
        points_per_unit=1,
        expiry=rk.Expiry.end_of_month(0),
        timezone="Europe/Paris",
        other_currencies=rk.CurrencyRule.rates({"USD": Decimal("0.92")}),
    )


def start_checkout(
    kit: rk.RelationKit, *, customer: str, cart: str, points: int
) -> dict[str, str] | None:
    """Hold the points a cart is paid with; return the payment's metadata, or None.

    The shop calls this when the customer confirms the cart, before asking
    the payment provider to charge the rest. The hold's id goes into the
    payment's metadata, so the provider's webhooks name it. None means the
    points are no longer there (spent, or held by another checkout): the
    shop asks the customer to pay without them.
    """
    buyer = kit.customers.get_by_external_id(customer)
    try:
        hold = kit.loyalty.hold(
            buyer.id,
            points,
            idempotency_key=f"cart-{cart}",
            expires_in=pendulum.duration(minutes=CHECKOUT_MINUTES),
        )
    except rk.errors.InsufficientPoints:
        return None
    return {"cart": cart, "hold_id": hold.id}


def handle(kit: rk.RelationKit, hook: Mapping[str, Any]) -> object:
    """Apply one webhook, as often as it is delivered; return what the kit holds for it."""
    kind, data = hook["type"], hook["data"]
    if kind == "customer.updated":
        return kit.customers.upsert(
            external_id=data["id"],
            email=data.get("email"),
            name=data.get("name"),
            timezone=data.get("timezone"),
            attributes=data.get("metadata"),
            account_id=(
                kit.accounts.get_by_external_id(data["company"]).id if "company" in data else None
            ),
            role=data.get("role"),
            source_updated_at=data["updated_at"],
        )
    if kind == "customer.joined_company":
        return kit.customers.move(
            kit.customers.get_by_external_id(data["id"]).id,
            account_id=kit.accounts.get_by_external_id(data["company"]).id,
            role=data.get("role"),
        )
    if kind == "company.updated":
        return kit.accounts.upsert(
            external_id=data["id"],
            name=data["name"],
            timezone=data.get("timezone"),
            attributes=data.get("metadata"),
            source_updated_at=data["updated_at"],
        )
    if kind == "order.paid":
        return kit.purchases.record(
            order_id=data["id"],
            customer_external_id=data.get("customer"),
            email=data.get("email"),
            name=data.get("name"),
            occurred_at=data["created"],
            total=rk.Money.from_minor(data["amount"], data["currency"]),
            hold_id=data.get("metadata", {}).get("hold_id"),
        )
    if kind == "checkout.cancelled":
        return kit.loyalty.release(data["metadata"]["hold_id"])
    if kind in ("order.refunded", "order.partially_refunded"):
        amount = data.get("amount")  # a full refund names no amount
        return kit.purchases.refund(
            data["order"],
            refund_id=data["id"],
            amount=rk.Money.from_minor(amount, data["currency"]) if amount is not None else None,
            occurred_at=data["created"],
            park_if_unknown=True,  # the refund may come before its order
        )
    raise ValueError(f"unknown webhook type {kind!r}")
