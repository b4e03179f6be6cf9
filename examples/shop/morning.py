"""The next morning, step by step: points at checkout, an early refund, a new company.

Each function is one story of the shop's morning; it delivers its
webhooks through the :class:`~shop.day.Platform` and checks, right away,
what the kit made of them. The hours count from the start of the replayed
day (24 is 8:00 UTC the next morning).
"""

from __future__ import annotations

import relationkit as rk
from shop.checks import Checks
from shop.day import Platform, at
from shop.integration import CHECKOUT_MINUTES, start_checkout


def points_at_checkout(day: Platform, checks: Checks) -> None:
    """Léa pays a cart partly with points, tries again in a second tab, cancels a cart."""
    kit = day.kit
    lea = kit.customers.get_by_external_id("u-1")
    checks.heading("Points at checkout")
    checks.expect("léa's points before checkout", 59, kit.loyalty.balance(lea.id))

    day.clock.set(at(24))  # the shop opens: 8:00 UTC
    payment = start_checkout(kit, customer="u-1", cart="c-1", points=50)
    assert payment is not None, "Léa's 59 points cover the 50 of her cart"
    summary = kit.loyalty.summary(lea.id)
    checks.expect("léa held, available", (50, 9), (summary.held, summary.available))
    # The same customer in another tab: held points are not spendable twice.
    checks.expect(
        "a second tab's checkout of 20 points",
        None,
        start_checkout(kit, customer="u-1", cart="c-2", points=20),
    )

    paid = day.deliver(
        24.05,
        "order.paid",
        id="1011",
        customer="u-1",
        amount=2000,
        currency="eur",
        created=at(24),
        metadata=payment,
    )
    assert isinstance(paid, rk.Purchase)
    hold = kit.loyalty.get_hold(payment["hold_id"])
    checks.expect("order 1011 paid with points", 50, paid.points_used)
    checks.expect("its hold", ("captured", "1011"), (hold.status.value, hold.order_id))
    checks.expect("léa's points after 1011", 29, kit.loyalty.balance(lea.id))

    cancelled = start_checkout(kit, customer="u-1", cart="c-3", points=9)
    assert cancelled is not None
    day.deliver(24.1, "checkout.cancelled", metadata=cancelled)
    checks.expect(
        "a cancelled cart's hold",
        "released",
        kit.loyalty.get_hold(cancelled["hold_id"]).status.value,
    )
    checks.expect("léa available after it", 29, kit.loyalty.summary(lea.id).available)


def abandoned_cart(day: Platform, checks: Checks) -> str:
    """Léa holds points for another cart and never pays; return the hold's id."""
    payment = start_checkout(day.kit, customer="u-1", cart="c-4", points=10)
    assert payment is not None
    lea = day.kit.customers.get_by_external_id("u-1")
    checks.expect("léa holds for an abandoned cart", 10, day.kit.loyalty.summary(lea.id).held)
    return payment["hold_id"]


def refund_before_its_order(day: Platform, checks: Checks) -> None:
    """A dollar refund arrives, twice, before the order it refunds."""
    kit = day.kit
    checks.heading("A refund before its order")
    refund = {
        "id": "re-3",
        "order": "1012",
        "amount": 1000,
        "currency": "usd",
        "created": at(24.3),
    }
    first = day.deliver(24.3, "order.partially_refunded", **refund)
    again = day.deliver(24.31, "order.partially_refunded", **refund)
    checks.expect(
        "parked, and its retry the same",
        (True, True),
        (isinstance(first, rk.ParkedRefund), first == again),
    )
    checks.expect("parked refunds", ["re-3"], [p.refund_id for p in kit.purchases.parked()])

    day.deliver(
        24.4,
        "order.paid",
        id="1012",
        customer="u-2",
        amount=3000,
        currency="usd",
        created=at(24.25),
    )
    order = kit.purchases.get("1012")
    earning = kit.loyalty.earning("1012")
    checks.expect("1012 refunded on arrival", "10.00 USD", str(order.refunded))
    checks.expect("parked refunds now", [], kit.purchases.parked())
    checks.expect(
        "1012 earns at the program's rate", ("0.92", 27), (str(earning.rate), earning.points)
    )
    sam = kit.customers.get_by_external_id("u-2")
    # January's points lapsed at midnight in New York; 27 earned, 9 taken back.
    checks.expect("sam's points", 18, kit.loyalty.balance(sam.id))
    checks.expect("1011 earns at", "1", str(kit.loyalty.earning("1011").rate))


def new_company(day: Platform, checks: Checks) -> None:
    """Globex arrives from two workers at once; Noah buys privately, then for Globex."""
    kit = day.kit
    checks.heading("A new company and a buyer who joins it")
    profile = {"id": "co-88", "name": "Globex", "updated_at": at(24.5)}
    hooks = [{"type": "company.updated", "data": profile}] * 2
    both = day.deliver_at_once(24.5, hooks)
    ids = {account.id for account in both if isinstance(account, rk.Account)}
    checks.expect("two workers, one company", 1, len(ids))
    checks.expect("companies co-88", 1, len(kit.accounts.search(external_id="co-88")))

    day.deliver(
        24.6,
        "customer.updated",
        id="u-4",
        email="noah@example.com",
        name="Noah",
        updated_at=at(24.6),
    )
    day.deliver(
        24.61,
        "order.paid",
        id="1013",
        customer="u-4",
        amount=4000,
        currency="eur",
        created=at(24.6),
    )
    own = kit.customers.get_by_external_id("u-4").account_id
    day.deliver(24.7, "customer.joined_company", id="u-4", company="co-88", role="buyer")
    day.deliver(
        24.8, "order.paid", id="1014", customer="u-4", amount=6000, currency="eur", created=at(24.8)
    )
    globex = kit.accounts.get_by_external_id("co-88")
    noah = kit.customers.get_by_external_id("u-4")
    checks.expect("noah's company", "co-88", kit.accounts.get(noah.account_id).external_id)
    checks.expect("1013 moved with him", globex.id, kit.purchases.get("1013").account_id)
    checks.expect("its points stayed behind", 40, kit.loyalty.balance(own))
    checks.expect(
        "noah's purchases",
        ["1013", "1014"],
        [p.order_id for p in kit.purchases.list(customer_id=noah.id)],
    )
    spend = [(r.currency, str(r.net.amount), r.orders) for r in kit.purchases.spend(globex.id)]
    checks.expect("globex spend", [("EUR", "100.00", 2)], spend)

    day.deliver(25, "company.updated", id="co-88", name="Globex SA", updated_at=at(25))
    day.deliver(25.01, "company.updated", **profile)  # the first one, retried late
    checks.expect("globex's name after a late retry", "Globex SA", kit.accounts.get(globex.id).name)


def lapsed_hold(day: Platform, checks: Checks, hold_id: str) -> None:
    """The nightly job finds Léa's abandoned hold lapsed and gives the points back."""
    kit = day.kit
    checks.heading("An abandoned cart lapses")
    hold = kit.loyalty.get_hold(hold_id)
    day.clock.set(hold.expires_at.add(minutes=CHECKOUT_MINUTES))
    kit.loyalty.process_due()
    lea = kit.customers.get_by_external_id("u-1")
    summary = kit.loyalty.summary(lea.id)
    checks.expect(
        "the abandoned cart's hold", "expired", kit.loyalty.get_hold(hold_id).status.value
    )
    checks.expect(
        "léa's balance, held, available",
        (29, 0, 29),
        (summary.balance, summary.held, summary.available),
    )
