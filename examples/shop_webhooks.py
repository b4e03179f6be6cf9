"""A web shop's webhook handler over relationkit, with no workaround of its own.

Run it as ``python examples/shop_webhooks.py [URL]`` (memory by default;
``sqlite:///shop.db`` or a PostgreSQL URL work the same). It replays a day
and a morning of webhooks and checks each step as it goes:

- the night's backlog: paid, refunded and partially refunded orders (a full
  refund names no amount), out of order, in euros and dollars with Stripe's
  lower-case codes; guests, one of whom registers; a company with three
  buyers; a customer changing email (and a late retry of the old one);
  customers in Paris and New York;
- the morning: a cart paid partly with points (held at checkout, captured
  by the order-paid webhook, not spendable twice), a cancelled cart, an
  abandoned one whose hold lapses; a refund arriving before its order; a
  new company delivered by two workers at once; a buyer moving into it;
- the providers' retries of every order, refund and checkout webhook.

It prints what the kit holds and exits non-zero if anything is not as
expected. The shop's own code is ``shop/integration.py``.
"""

from __future__ import annotations

import sys

from shop import morning
from shop.checks import Checks
from shop.day import Platform, at, backlog
from shop.integration import program

import relationkit as rk


def the_night(day: Platform, checks: Checks) -> None:
    """Deliver the night's backlog at midnight UTC and check what the kit holds."""
    kit = day.kit
    day.deliver_all(16, backlog())
    lea = kit.customers.get_by_external_id("u-1")
    sam = kit.customers.get_by_external_id("u-2")
    gwen = kit.customers.get_by_external_id("u-3")
    acme = kit.accounts.get_by_external_id("co-77")
    checks.heading("The night's webhooks")
    checks.expect("lea's email", "lea.new@example.com", lea.email)
    checks.expect("sam's metadata", {"vip": 1}, sam.attributes)
    checks.expect(
        "gwen's orders", ["1003", "1007"], [p.order_id for p in kit.purchases.history(gwen.id)]
    )
    checks.expect(
        "acme's buyers",
        ["b-1", "b-2", "b-3"],
        sorted(c.external_id or "" for c in kit.accounts.contacts(acme.id)),
    )
    checks.expect(
        "acme's orders",
        ["1004", "1005", "1006"],
        [p.order_id for p in kit.purchases.list(account_id=acme.id)],
    )
    checks.expect("acme refunded", "1200.00 EUR", str(kit.purchases.get("1004").refunded))
    spend = [(r.currency, str(r.net.amount), r.orders) for r in kit.purchases.spend(acme.id)]
    checks.expect("acme spend", [("EUR", "1100.00", 3)], spend)
    # 23:30 UTC is already February in Paris, still January in New York.
    checks.expect(
        "lea's points expire",
        "2026-02-28 23:00:00+00:00",
        str(kit.loyalty.history(lea.id)[0].expires_at),
    )
    checks.expect(
        "sam's points expire",
        "2026-02-01 05:00:00+00:00",
        str(kit.loyalty.history(sam.id)[0].expires_at),
    )
    checks.expect("sam's purchase currency", "USD", kit.purchases.get("1002").total.currency)
    checks.expect(
        "sam's dollars earn at",
        ("0.92", 41),
        (str(kit.loyalty.earning("1002").rate), kit.loyalty.earning("1002").points),
    )


def the_retries(day: Platform, checks: Checks) -> None:
    """Deliver every webhook of the day again (the providers retry); nothing changes."""
    kit = day.kit

    def holdings() -> dict[str, object]:
        people = [kit.customers.get_by_external_id(w) for w in ("u-1", "u-2", "u-3", "u-4")]
        return {
            "points": [kit.loyalty.balance(c.id) for c in people],
            "purchases": kit.purchases.count(),
            "refunded 1004, 1012": [str(kit.purchases.get(o).refunded) for o in ("1004", "1012")],
            "emails": [c.email for c in people],
            "companies": [kit.accounts.get(c.account_id).external_id for c in people],
            "globex": kit.accounts.get_by_external_id("co-88").name,
        }

    before = holdings()
    again = day.redeliver(26, "order.", "checkout.", "customer.", "company.")
    checks.heading("Every webhook again")
    checks.expect("webhooks delivered again", 32, len(again))
    checks.expect("what the kit holds after them", before, holdings())
    checks.expect("parked refunds", [], kit.purchases.parked())
    checks.expect("the ledger checks", True, kit.loyalty.verify().ok)


def main(url: str | None = None) -> int:
    """Replay the webhooks into a kit at ``url``; print and check what it holds."""
    clock = rk.FrozenClock(at(16))
    checks = Checks()
    with rk.open(url, clock=clock, loyalty=program()) as kit:
        day = Platform(kit=kit, clock=clock)
        the_night(day, checks)
        morning.points_at_checkout(day, checks)
        hold_id = morning.abandoned_cart(day, checks)
        morning.refund_before_its_order(day, checks)
        morning.new_company(day, checks)
        morning.lapsed_hold(day, checks, hold_id)
        the_retries(day, checks)
        checks.heading("What the kit holds")
        checks.expect("customers", 7, kit.customers.count())
        checks.expect("purchases", 12, kit.purchases.count())
        checks.expect(
            "lea's email", "lea.new@example.com", kit.customers.get_by_external_id("u-1").email
        )
    return checks.exit_code()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else None))
