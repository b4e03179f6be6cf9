"""Loyalty: orders in other currencies than the program's.

Guards against orders that silently earn nothing, bonuses paid on orders
that earn nothing, a first-purchase bonus lost to a first order in another
currency, and refunds that take back points at today's rate instead of the
rate the order earned at.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Any

import pendulum
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import relationkit as rk
from relationkit.domain.ledger import EntryKind
from relationkit.errors import NotFound, ValidationError
from relationkit.money import Money
from relationkit.testing.base import OpenKit, SuiteBase
from relationkit.testing.loyalty._support import buy, entries_of, member, verified

__all__ = ["CurrencyLoyalty", "CurrencyPropertyLoyalty"]

_USD = rk.CurrencyRule.rates({"USD": Decimal("0.92")})


def _refund(kit: rk.RelationKit, order_id: str, refund_id: str, amount: Money) -> None:
    kit.purchases.refund(order_id, refund_id=refund_id, amount=amount)


class CurrencyLoyalty(SuiteBase):
    """Orders in other currencies earn under the program's rule, bonuses included."""

    def test_by_default_another_currency_earns_nothing_and_says_so(self, open_kit: OpenKit) -> None:
        """Under the default rule an order in USD writes no entry, and its outcome
        is recorded: it earns nothing for want of a rate; a EUR order earns at 1."""
        kit = open_kit(rk.LoyaltyProgram(currency="EUR"))
        alice = member(kit)

        buy(kit, alice, "o-usd", "30.00", currency="USD")
        buy(kit, alice, "o-eur", "30.00")

        outcomes = [kit.loyalty.earning(o) for o in ("o-usd", "o-eur")]
        assert [(False, None, 0, "no_rate"), (True, Decimal(1), 30, None)] == [
            (o.earns, o.rate, o.points, o.reason) for o in outcomes
        ]
        assert [30] == [e.points for e in kit.loyalty.history(alice)]
        verified(kit)

    def test_a_first_order_that_earns_nothing_keeps_the_first_purchase_bonus(
        self, open_kit: OpenKit
    ) -> None:
        """The first-purchase bonus goes to the first order that earns, once: an
        earlier order in a currency without a rate does not use it up."""
        kit = open_kit(rk.LoyaltyProgram(currency="EUR", first_purchase_bonus=50))
        alice = member(kit)

        buy(kit, alice, "o1", "20.00", currency="GBP")
        buy(kit, alice, "o2", "20.00", currency="GBP")
        buy(kit, alice, "o3", "20.00")
        buy(kit, alice, "o4", "20.00")

        assert [70, 20] == [e.points for e in entries_of(kit, alice, EntryKind.EARN)]
        verified(kit)

    def test_a_first_order_that_earns_nothing_keeps_it_in_a_batch_too(
        self, open_kit: OpenKit
    ) -> None:
        """record_many gives the bonus to the batch's first earning order, as
        record() one by one does."""
        kit = open_kit(rk.LoyaltyProgram(currency="EUR", first_purchase_bonus=50))
        alice = member(kit)
        now = kit.clock.now()
        rows = [
            {
                "order_id": f"o{n}",
                "customer_id": alice,
                "occurred_at": now.add(minutes=n),
                "total": Money("20.00", currency),
            }
            for n, currency in enumerate(["JPY", "EUR", "EUR"])
        ]

        kit.purchases.record_many(rows)

        assert [70, 20] == [e.points for e in entries_of(kit, alice, EntryKind.EARN)]
        verified(kit)

    def test_referral_bonuses_wait_for_an_order_that_earns(self, open_kit: OpenKit) -> None:
        """No referral bonus is paid on an order that earns nothing; the first
        order that earns pays both bonuses."""
        program = rk.LoyaltyProgram(currency="EUR", referral_bonus=30, referred_bonus=20)
        kit = open_kit(program)
        alice, bob = member(kit), member(kit, "bob")
        kit.loyalty.refer(alice, bob)

        buy(kit, bob, "o1", "10.00", currency="USD")
        before = (kit.loyalty.balance(alice), kit.loyalty.balance(bob))
        buy(kit, bob, "o2", "10.00")

        assert ((0, 0), (30, 30)) == (
            before,
            (kit.loyalty.balance(alice), kit.loyalty.balance(bob)),
        )
        verified(kit)

    def test_a_rate_table_converts_then_rounds_points_down(self, open_kit: OpenKit) -> None:
        """10.01 USD at 0.92 is 9.2092 EUR: 9 points, with the rate and the
        order's currency stored on the entry."""
        kit = open_kit(rk.LoyaltyProgram(currency="EUR", points_per_unit=1, other_currencies=_USD))
        alice = member(kit)

        buy(kit, alice, "o1", "10.01", currency="USD")

        assert [(9, Decimal("0.92"), "USD")] == [
            (e.points, e.rate, e.source_currency) for e in kit.loyalty.history(alice)
        ]
        assert (True, Decimal("0.92")) == (
            kit.loyalty.earning("o1").earns,
            kit.loyalty.earning("o1").rate,
        )
        verified(kit)

    def test_minimum_order_is_compared_after_conversion(self, open_kit: OpenKit) -> None:
        """A 10.00 EUR minimum: 10.00 USD at 0.92 is below it, 11.00 USD above."""
        program = rk.LoyaltyProgram(
            currency="EUR", minimum_order=Money("10.00", "EUR"), other_currencies=_USD
        )
        kit = open_kit(program)
        alice = member(kit)

        buy(kit, alice, "o1", "10.00", currency="USD")
        buy(kit, alice, "o2", "11.00", currency="USD")

        assert [10] == [e.points for e in kit.loyalty.history(alice)]
        verified(kit)

    def test_host_rates_are_fixed_at_purchase(self, open_kit: OpenKit) -> None:
        """The host's rate is asked when the order is recorded; a refund after
        the rate changed takes back what the order earned, in proportion to the
        amount refunded in the order's currency."""
        rates = {"USD": Decimal("1.10")}
        asked: list[tuple[str, str, pendulum.DateTime]] = []

        def host(currency: str, program: str, at: pendulum.DateTime) -> Decimal | None:
            asked.append((currency, program, at))
            return rates.get(currency)

        program = rk.LoyaltyProgram(
            currency="EUR", other_currencies=rk.CurrencyRule.host_rates(host)
        )
        kit = open_kit(program)
        alice = member(kit)
        at = kit.clock.now()

        buy(kit, alice, "o1", "100.00", currency="USD", at=at)
        rates["USD"] = Decimal("5")
        _refund(kit, "o1", "r1", Money("50.00", "USD"))
        after_half = kit.loyalty.balance(alice)
        _refund(kit, "o1", "r2", Money("50.00", "USD"))

        assert ([("USD", "EUR", at)], 110, 55, 0) == (
            asked,
            kit.loyalty.earning("o1").points,
            after_half,
            kit.loyalty.balance(alice),
        )
        verified(kit)

    def test_a_host_without_a_rate_earns_nothing(self, open_kit: OpenKit) -> None:
        """The host's None means no rate: the order earns nothing, recorded."""
        program = rk.LoyaltyProgram(
            currency="EUR", other_currencies=rk.CurrencyRule.host_rates(lambda c, p, at: None)
        )
        kit = open_kit(program)
        alice = member(kit)

        buy(kit, alice, "o1", "100.00", currency="CHF")

        outcome = kit.loyalty.earning("o1")
        assert ([], False, "no_rate", "CHF") == (
            kit.loyalty.history(alice),
            outcome.earns,
            outcome.reason,
            outcome.currency,
        )
        verified(kit)

    def test_a_bad_host_rate_writes_nothing(self, open_kit: OpenKit) -> None:
        """A float or a negative rate from the host is a ValidationError on
        ``rate``, and the order is not recorded at all."""
        bads: list[Any] = [0.92, Decimal("-1"), "NaN"]
        for n, bad in enumerate(bads):

            def host(currency: str, program: str, at: pendulum.DateTime, bad: Any = bad) -> Any:
                return bad

            program = rk.LoyaltyProgram(
                currency="EUR", other_currencies=rk.CurrencyRule.host_rates(host)
            )
            kit = open_kit(program)
            alice = member(kit, f"m{n}")

            with pytest.raises(ValidationError) as caught:
                buy(kit, alice, f"bad-{n}", "10.00", currency="USD")

            assert "rate" == caught.value.field
            with pytest.raises(NotFound):
                kit.loyalty.earning(f"bad-{n}")
            assert [] == kit.loyalty.history(alice)
        verified(kit)

    def test_tiers_on_spend_count_converted_orders(self, open_kit: OpenKit) -> None:
        """Net spend converts each order at its own rate: 100 USD at 1.10 is 110
        EUR (gold at 100); refunding half drops it to 55 and the tier with it."""
        program = rk.LoyaltyProgram(
            currency="EUR",
            other_currencies=rk.CurrencyRule.rates({"USD": "1.10"}),
            tiers=[rk.Tier("gold", 100)],
            tier_basis="spend",
        )
        kit = open_kit(program)
        alice = member(kit)

        buy(kit, alice, "o1", "100.00", currency="USD")
        gold = kit.loyalty.tier(alice)
        _refund(kit, "o1", "r1", Money("50.00", "USD"))

        assert ("gold", None) == (gold, kit.loyalty.tier(alice))
        verified(kit)


class CurrencyPropertyLoyalty(SuiteBase):
    """Earning then refunding an order in another currency nets to zero, at any rate."""

    def test_earn_then_refund_in_full_nets_to_zero(self, open_kit: OpenKit) -> None:
        """An order in USD earns floor(total * rate) points; refunding it in a few
        pieces, the rate changed meanwhile, leaves no point, nothing pending and
        no debt, with or without a return window."""

        @settings(
            max_examples=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            database=None,
        )
        @given(
            rate=st.decimals(min_value="0.0001", max_value="200", places=4),
            cents=st.integers(min_value=1, max_value=10_000_000),
            parts=st.integers(min_value=1, max_value=4),
            pending=st.booleans(),
        )
        def check(rate: Decimal, cents: int, parts: int, pending: bool) -> None:
            rates = {"USD": rate}
            program = rk.LoyaltyProgram(
                currency="EUR",
                pending_days=14 if pending else 0,
                other_currencies=rk.CurrencyRule.host_rates(lambda c, p, at: rates.get(c)),
            )
            kit = open_kit(program)
            alice = kit.customers.create(name="Prop").id
            order = f"p-{alice}"  # a fresh member per example keys its order too
            total = Money.from_minor(cents, "USD")

            buy(kit, alice, order, str(total.amount), currency="USD")
            earned = kit.loyalty.earning(order).points
            rates["USD"] = rate * 3
            share, rest = divmod(cents, parts)
            for k in range(parts):
                amount = share + (rest if k == parts - 1 else 0)
                if amount:
                    _refund(kit, order, f"{order}-r{k}", Money.from_minor(amount, "USD"))

            expected = int((total.amount * rate).to_integral_value(rounding=ROUND_FLOOR))
            summary = kit.loyalty.summary(alice)
            assert (expected, 0, 0, 0) == (earned, summary.balance, summary.pending, summary.debt)

        check()
        verified(open_kit(rk.LoyaltyProgram(currency="EUR")))
