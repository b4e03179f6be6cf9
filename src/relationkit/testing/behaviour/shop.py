"""Behaviour: what a web shop's webhooks rely on, stored and read back on the backend.

Stale upserts change nothing, attributes merge by key, events only for real
changes; B2B accounts found by the shop's ids; guests and registration;
refunds without an amount and dated checks; expiry in the customer's time
zone; backfilled timelines in order; searches by attributes and dates.

Added in 0.2.0.
"""

from __future__ import annotations

import pendulum
import pytest

import relationkit as rk
from relationkit.events import AccountUpdated, CustomerUpdated, Event
from relationkit.testing.base import T0, OpenKit, SuiteBase, eur

__all__ = ["ShopBehaviour"]

T1 = T0.add(hours=1)
T2 = T0.add(hours=2)


class ShopBehaviour(SuiteBase):
    """Webhook-facing rules hold on the backend exactly as on memory."""

    def test_an_older_upsert_changes_nothing_and_a_newer_one_applies(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """A retry stamped before the stored source time keeps the newer email; no event."""
        kit.customers.upsert(external_id="u-1", email="old@example.com", source_updated_at=T1)
        newer = kit.customers.upsert(
            external_id="u-1", email="new@example.com", source_updated_at=T2
        )
        events.clear()

        retry = kit.customers.upsert(
            external_id="u-1", email="old@example.com", source_updated_at=T1
        )

        assert ("new@example.com", T2) == (retry.email, retry.source_updated_at)
        assert newer == kit.customers.get_by_external_id("u-1")
        assert [] == events

    def test_attributes_merge_by_key_and_none_removes_one(self, kit: rk.RelationKit) -> None:
        """An upsert's attributes are a JSON merge patch, nested mappings included."""
        kit.customers.upsert(
            external_id="u-2", attributes={"city": "Lyon", "prefs": {"news": True, "sms": False}}
        )

        merged = kit.customers.upsert(
            external_id="u-2", attributes={"city": None, "vip": 1, "prefs": {"sms": None}}
        )

        expected = {"vip": 1, "prefs": {"news": True}}
        assert expected == merged.attributes
        assert expected == kit.customers.get_by_external_id("u-2").attributes

    def test_an_email_differing_only_in_case_is_no_change(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """Re-sending ``ANA@EXAMPLE.COM`` for ``ana@example.com`` emits nothing, stores nothing."""
        first = kit.customers.upsert(external_id="u-3", email="ana@example.com", name="Ana")
        events.clear()

        again = kit.customers.upsert(external_id="u-3", email="ANA@EXAMPLE.COM", name="Ana")

        assert first == again
        assert [] == [e for e in events if isinstance(e, CustomerUpdated)]

    def test_a_b2b_account_is_found_and_upserted_by_the_shops_id(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """accounts.upsert creates once, merges attributes, and get_by_external_id reads it."""
        created = kit.accounts.upsert(
            external_id="co-9", name="ACME SA", attributes={"vat": "FR1"}, timezone="Europe/Paris"
        )
        events.clear()

        updated = kit.accounts.upsert(external_id="co-9", attributes={"segment": "smb"})
        read_back = kit.accounts.get(created.id)
        kit.customers.upsert(
            external_id="buyer-1", email="b1@acme.example", account_id=created.id, role="buyer"
        )

        stored = kit.accounts.get_by_external_id("co-9")
        assert (created.id, rk.AccountKind.B2B) == (stored.id, stored.kind)
        assert {"vat": "FR1", "segment": "smb"} == stored.attributes
        assert ("Europe/Paris", updated) == (stored.timezone, read_back)
        assert [("attributes",)] == [e.fields for e in events if isinstance(e, AccountUpdated)]
        assert [created.id] == [a.id for a in kit.accounts.search(external_id="co-9")]

    def test_two_accounts_cannot_share_an_external_id(self, kit: rk.RelationKit) -> None:
        """Creating or renaming onto a taken external id raises Conflict and stores nothing."""
        first = kit.accounts.create(name="One", external_id="co-1")
        second = kit.accounts.create(name="Two")

        with pytest.raises(rk.errors.Conflict):
            kit.accounts.create(name="Other", external_id="co-1")
        with pytest.raises(rk.errors.Conflict):
            kit.accounts.update(second.id, external_id="co-1")

        assert [first.id] == [a.id for a in kit.accounts.search(external_id="co-1")]
        assert kit.accounts.get(second.id).external_id is None

    def test_a_guest_order_then_registration_is_one_customer(self, kit: rk.RelationKit) -> None:
        """An email-only order makes a guest; an order with an external id later adopts them."""
        guest_order = kit.purchases.record(
            order_id="g-1", email="guest@example.com", occurred_at=T0, total=eur("10.00")
        )
        again = kit.purchases.record(
            order_id="g-2", email="GUEST@example.com", occurred_at=T1, total=eur("5.00")
        )
        registered = kit.purchases.record(
            order_id="g-3",
            customer_external_id="shop-7",
            email="guest@example.com",
            name="Gail",
            occurred_at=T2,
            total=eur("7.00"),
        )

        customer = kit.customers.get_by_external_id("shop-7")
        assert {guest_order.customer_id} == {again.customer_id, registered.customer_id}
        assert (guest_order.customer_id, "Gail") == (customer.id, customer.name)
        assert ["g-1", "g-2", "g-3"] == [p.order_id for p in kit.purchases.history(customer.id)]
        assert 1 == kit.customers.count()

    def test_an_old_order_does_not_put_back_an_old_email(self, kit: rk.RelationKit) -> None:
        """An order retried late carries the email as of its date: older than the upsert's."""
        kit.customers.upsert(external_id="u-5", email="new@example.com", source_updated_at=T1)

        kit.purchases.record(
            order_id="late",
            customer_external_id="u-5",
            email="old@example.com",
            occurred_at=T0,
            total=eur("3.00"),
        )

        assert "new@example.com" == kit.customers.get_by_external_id("u-5").email

    def test_a_full_refund_without_an_amount_refunds_what_is_left(
        self, kit: rk.RelationKit
    ) -> None:
        """amount=None refunds the rest; its replay returns it; a second one has nothing left."""
        alice = kit.customers.create(email="alice@example.com")
        kit.purchases.record(
            order_id="o-1", customer_id=alice.id, occurred_at=T0, total=rk.Money("30.00", "eur")
        )
        kit.purchases.refund("o-1", refund_id="r-1", amount=rk.Money("10.00", "eur"))

        rest = kit.purchases.refund("o-1", refund_id="r-2")
        replay = kit.purchases.refund("o-1", refund_id="r-2")

        assert (eur("20.00"), rest) == (rest.amount, replay)
        assert eur("0.00") == kit.purchases.get("o-1").refundable
        with pytest.raises(rk.errors.ValidationError):
            kit.purchases.refund("o-1", refund_id="r-3")

    def test_a_refund_dated_before_its_order_is_refused(self, kit: rk.RelationKit) -> None:
        """ValidationError on occurred_at; the order keeps no refund."""
        alice = kit.customers.create(email="alice@example.com")
        kit.purchases.record(order_id="o-2", customer_id=alice.id, occurred_at=T1, total=eur("9"))

        with pytest.raises(rk.errors.ValidationError) as caught:
            kit.purchases.refund("o-2", refund_id="r-early", occurred_at=T0)

        assert ("occurred_at", ()) == (caught.value.field, kit.purchases.get("o-2").refunds)

    def test_points_expire_at_the_end_of_the_customers_local_month(self, open_kit: OpenKit) -> None:
        """The same instant ends January in New York, February in Paris (the program's zone)."""
        late = pendulum.datetime(2026, 1, 31, 23, 30, tz="UTC")
        program = rk.LoyaltyProgram(
            currency="EUR",
            points_per_unit=1,
            expiry=rk.Expiry.end_of_month(0),
            timezone="Europe/Paris",
        )
        kit = open_kit(program)
        ny = kit.customers.create(email="ny@example.com", timezone="America/New_York")
        paris = kit.customers.create(email="paris@example.com")
        for order, person in (("ny", ny), ("paris", paris)):
            kit.purchases.record(
                order_id=order, customer_id=person.id, occurred_at=late, total=eur("10")
            )

        expiries = [[e.expires_at for e in kit.loyalty.history(c.id)] for c in (ny, paris)]

        assert [
            [pendulum.datetime(2026, 2, 1, 5, tz="UTC")],
            [pendulum.datetime(2026, 2, 28, 23, tz="UTC")],
        ] == expiries

    def test_a_backfilled_customer_became_a_lead_before_their_first_order(
        self, kit: rk.RelationKit
    ) -> None:
        """record_many of 1997 orders: the lead stage is dated at the first order, not now."""
        first = pendulum.datetime(1997, 1, 3, tz="UTC")
        kit.purchases.record_many(
            [
                {
                    "order_id": f"cd-{i}",
                    "customer_external_id": "cdnow-1",
                    "occurred_at": first.add(months=i),
                    "total": rk.Money("12.50", "USD"),
                }
                for i in (0, 1, 2)
            ]
        )

        customer = kit.customers.get_by_external_id("cdnow-1")
        history = kit.lifecycle.history(customer.id)
        assert [(None, "lead", first), ("lead", "customer", first)] == [
            (c.from_stage, c.to_stage, c.at) for c in history
        ]
        times = [line.at for line in kit.timeline(customer.id)]
        assert sorted(times) == times

    def test_customers_are_found_by_attributes_and_dates(
        self, kit: rk.RelationKit, clock: rk.FrozenClock
    ) -> None:
        """Attribute equality is typed (True is not 1); created/updated bounds are half-open."""
        gold = kit.customers.create(name="Gold", attributes={"tier": "gold", "n": 1, "ok": True})
        clock.advance(hours=1)
        one = kit.customers.create(name="One", attributes={"tier": "silver", "n": 1.0, "ok": 1})
        clock.advance(hours=1)
        kit.customers.update(gold.id, name="Gold!")

        assert [gold.id] == [c.id for c in kit.customers.search(attributes={"tier": "gold"})]
        assert [gold.id, one.id] == [c.id for c in kit.customers.search(attributes={"n": 1})]
        assert [gold.id] == [c.id for c in kit.customers.search(attributes={"ok": True})]
        assert [one.id] == [c.id for c in kit.customers.search(created_after=T0.add(minutes=30))]
        assert [gold.id] == [c.id for c in kit.customers.search(updated_after=T0.add(hours=2))]
        assert [gold.id] == [c.id for c in kit.customers.search(created_before=T0.add(hours=1))]
