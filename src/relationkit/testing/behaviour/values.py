"""Behaviour: values survive the store exactly (money, aware datetimes, long text)."""

from __future__ import annotations

import pendulum
import pytest

import relationkit as rk
from relationkit.money import Money
from relationkit.testing.base import T0, SuiteBase, eur
from relationkit.testing.behaviour._support import buy, is_aware_utc

__all__ = ["ValueBehaviour"]


class ValueBehaviour(SuiteBase):
    """Values survive the store exactly: money, aware datetimes, keys and text."""

    @pytest.mark.parametrize(
        ("amount", "currency"),
        [
            ("59.90", "EUR"),
            ("0.01", "EUR"),
            ("0", "EUR"),
            ("1050", "JPY"),
            ("1.005", "BHD"),
            ("12.3456", "CLF"),
            ("92233720368547.75", "EUR"),
        ],
    )
    def test_money_round_trips_exactly(
        self, kit: rk.RelationKit, amount: str, currency: str
    ) -> None:
        """Totals and unit prices come back as the same Decimal at the currency's scale."""
        alice = kit.customers.create(name="Alice")
        total = Money(amount, currency)
        line = rk.LineItem(sku="X", quantity=1, unit_price=total)

        kit.purchases.record(
            order_id="1", customer_id=alice.id, occurred_at=T0, total=total, lines=[line]
        )

        stored = kit.purchases.get("1")
        assert (total, str(total.amount), (line,)) == (
            stored.total,
            str(stored.total.amount),
            stored.lines,
        )

    def test_equal_money_written_differently_replays(self, kit: rk.RelationKit) -> None:
        """Money("59.9") and Money("59.90") are one payload: the replay is not a conflict."""
        alice = kit.customers.create(name="Alice")
        first = buy(kit, alice.id, "1001", Money("59.9", "EUR"))

        assert first == buy(kit, alice.id, "1001", Money("59.90", "EUR"))

    def test_net_spend_adds_up_exactly(self, kit: rk.RelationKit) -> None:
        """0.10 + 0.20 EUR of purchases is 30 cents of spend, never a float near it."""
        alice = kit.customers.create(name="Alice")
        buy(kit, alice.id, "a", "0.10")
        buy(kit, alice.id, "b", "0.20")

        assert [30] == [row.net_minor for row in kit.purchases.top_spenders("EUR")]

    @pytest.mark.parametrize(
        "when",
        [
            pendulum.datetime(2026, 3, 1, 10, 30, 15, 123456, tz="Europe/Paris"),
            pendulum.datetime(2026, 7, 14, 23, 59, 59, 999999, tz="America/New_York"),
            pendulum.datetime(1997, 5, 1, 0, 0, 0, 1, tz="Asia/Tokyo"),
            pendulum.datetime(2100, 12, 31, 23, 0, tz="UTC"),
        ],
    )
    def test_datetimes_come_back_aware_utc_to_the_microsecond(
        self, kit: rk.RelationKit, when: pendulum.DateTime
    ) -> None:
        """A zoned datetime is stored as the same instant and read back as aware UTC."""
        alice = kit.customers.create(name="Alice")
        buy(kit, alice.id, "1001", at=when)

        stored = kit.purchases.get("1001")

        assert (when, True, True) == (
            stored.occurred_at,
            is_aware_utc(stored.occurred_at),
            is_aware_utc(stored.recorded_at),
        )
        assert stored == buy(kit, alice.id, "1001", at=when)

    def test_every_stored_datetime_is_aware_utc(self, kit: rk.RelationKit) -> None:
        """Customers, accounts, stage changes, interactions and refunds carry UTC datetimes."""
        alice = kit.customers.create(name="Alice")
        buy(kit, alice.id, "1001")
        kit.purchases.refund(
            "1001", refund_id="r", amount=eur("1.00"), occurred_at=T0.in_timezone("Asia/Tokyo")
        )
        kit.interactions.log(
            alice.id, channel="sms", direction="outbound", occurred_at=T0.in_timezone("UTC")
        )
        customer = kit.customers.get(alice.id)
        account = kit.accounts.get(alice.id)
        values: list[object] = [
            customer.created_at,
            customer.updated_at,
            account.created_at,
            account.stage_since,
            *(c.at for c in kit.lifecycle.history(alice.id)),
            *(i.occurred_at for i in kit.interactions.history(alice.id)),
            *(i.recorded_at for i in kit.interactions.history(alice.id)),
            *(r.occurred_at for r in kit.purchases.get("1001").refunds),
            *(r.recorded_at for r in kit.purchases.get("1001").refunds),
            *(e.at for e in kit.timeline(alice.id)),
        ]

        assert [True] * len(values) == [is_aware_utc(v) for v in values]

    def test_long_keys_and_unicode_text_round_trip(self, kit: rk.RelationKit) -> None:
        """Host keys at their 128-character limit and long unicode text come back unchanged."""
        external_id = "ü" * 127 + "🎉"
        order_id = "注" * 128
        name = ("Zoë Łukasz 🎉 " * 15).strip()
        alice = kit.customers.create(name=name, external_id=external_id)
        notes = "Ünïcödé ✉️ " * 900
        buy(kit, alice.id, order_id)
        logged = kit.interactions.log(
            alice.id, channel="email", direction="inbound", subject="ß" * 200, notes=notes
        )

        assert (alice, [logged], order_id) == (
            kit.customers.get_by_external_id(external_id),
            kit.interactions.history(alice.id),
            kit.purchases.get(order_id).order_id,
        )
