"""Loyalty: expiry lands on a local midnight, across zones and daylight saving."""

from __future__ import annotations

import pendulum
import pytest

import relationkit as rk
from relationkit.testing.base import OpenKit, SuiteBase
from relationkit.testing.loyalty._support import (
    SECOND,
    buy,
    member,
    verified,
)

__all__ = ["TimeZoneLoyalty"]


def _utc(year: int, month: int, day: int, hour: int = 0) -> pendulum.DateTime:
    return pendulum.datetime(year, month, day, hour, tz="UTC")


# A purchase at 23:30 local time on January 31st, 2026. Expected instants worked
# out by hand: Paris is UTC+1 in winter, Los Angeles UTC-8, Auckland UTC+13
# (summer time) from January to April 5th.
_ZONE_CASES = [
    # after_days(30): the last valid local day is March 2nd; expiry at March 3rd, 00:00 local.
    ("Europe/Paris", rk.Expiry.after_days(30), _utc(2026, 3, 2, 23)),
    ("America/Los_Angeles", rk.Expiry.after_days(30), _utc(2026, 3, 3, 8)),
    ("Pacific/Auckland", rk.Expiry.after_days(30), _utc(2026, 3, 2, 11)),
    # end_of_month(): expiry at February 1st, 00:00 local (30 minutes after the purchase).
    ("Europe/Paris", rk.Expiry.end_of_month(), _utc(2026, 1, 31, 23)),
    ("America/Los_Angeles", rk.Expiry.end_of_month(), _utc(2026, 2, 1, 8)),
    ("Pacific/Auckland", rk.Expiry.end_of_month(), _utc(2026, 1, 31, 11)),
    # end_of_year(): expiry at January 1st 2027, 00:00 local.
    ("Europe/Paris", rk.Expiry.end_of_year(), _utc(2026, 12, 31, 23)),
    ("America/Los_Angeles", rk.Expiry.end_of_year(), _utc(2027, 1, 1, 8)),
    ("Pacific/Auckland", rk.Expiry.end_of_year(), _utc(2026, 12, 31, 11)),
]

# Purchases whose expiry crosses a daylight-saving change: (zone, local purchase
# time, rule, expected). Paris springs forward on March 29th, Los Angeles on
# March 8th, Auckland falls back on April 5th.
_DST_CASES = [
    # March 20th + 30 days: April 20th, 00:00 CEST (UTC+2).
    ("Europe/Paris", (2026, 3, 20, 12), rk.Expiry.after_days(30), _utc(2026, 4, 19, 22)),
    # March 1st + 10 days: March 12th, 00:00 PDT (UTC-7).
    ("America/Los_Angeles", (2026, 3, 1, 12), rk.Expiry.after_days(10), _utc(2026, 3, 12, 7)),
    # March 31st + 10 days: April 11th, 00:00 NZST (UTC+12).
    ("Pacific/Auckland", (2026, 3, 31, 12), rk.Expiry.after_days(10), _utc(2026, 4, 10, 12)),
]


class TimeZoneLoyalty(SuiteBase):
    """Failure guarded against: expiry off by a day (or by hours) across time zones."""

    def _expires_at_local_midnight(
        self,
        open_kit: OpenKit,
        clock: rk.FrozenClock,
        zone: str,
        bought: pendulum.DateTime,
        expiry: rk.Expiry,
        expected: pendulum.DateTime,
    ) -> None:
        kit = open_kit(rk.LoyaltyProgram(currency="EUR", expiry=expiry, timezone=zone))
        alice = member(kit)
        clock.set(bought)
        buy(kit, alice, "o1", "100.00")

        [earned] = kit.loyalty.history(alice)
        clock.set(expected - SECOND)
        before = kit.loyalty.balance(alice)
        clock.set(expected)
        after = kit.loyalty.balance(alice)
        due = kit.loyalty.process_due()

        assert (expected, 100, 0) == (earned.expires_at, before, after)
        assert rk.DueResult(accounts=1, expired=100) == due
        verified(kit)

    @pytest.mark.parametrize(
        ("zone", "expiry", "expected"),
        _ZONE_CASES,
        ids=[f"{zone}-{expiry.kind}" for zone, expiry, _ in _ZONE_CASES],
    )
    def test_late_evening_purchase_expires_at_local_midnight(
        self,
        open_kit: OpenKit,
        clock: rk.FrozenClock,
        zone: str,
        expiry: rk.Expiry,
        expected: pendulum.DateTime,
    ) -> None:
        """Guards against expiry off by a day across time zones: a purchase at 23:30
        local on January 31st (another day in UTC) expires at a local midnight."""
        bought = pendulum.datetime(2026, 1, 31, 23, 30, tz=zone)
        self._expires_at_local_midnight(open_kit, clock, zone, bought, expiry, expected)

    @pytest.mark.parametrize(
        ("zone", "local", "expiry", "expected"),
        _DST_CASES,
        ids=[zone for zone, *_ in _DST_CASES],
    )
    def test_expiry_across_a_daylight_saving_change(
        self,
        open_kit: OpenKit,
        clock: rk.FrozenClock,
        zone: str,
        local: tuple[int, int, int, int],
        expiry: rk.Expiry,
        expected: pendulum.DateTime,
    ) -> None:
        """Guards against expiry off by an hour across a daylight-saving change: counting
        days across the change still lands on local midnight."""
        bought = pendulum.datetime(*local, tz=zone)
        self._expires_at_local_midnight(open_kit, clock, zone, bought, expiry, expected)

    def test_kit_timezone_applies_when_the_program_names_none(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """rk.open(timezone=...) is the zone of calendar rules such as end-of-month expiry:
        a program that names no zone of its own follows it (in UTC, this Los Angeles
        purchase of January 31st would be a February one, expiring a month late)."""
        kit = open_kit(
            rk.LoyaltyProgram(currency="EUR", expiry=rk.Expiry.end_of_month()),
            timezone="America/Los_Angeles",
        )
        alice = member(kit)
        clock.set(pendulum.datetime(2026, 1, 31, 23, 30, tz="America/Los_Angeles"))
        buy(kit, alice, "o1", "100.00")

        [earned] = kit.loyalty.history(alice)

        assert _utc(2026, 2, 1, 8) == earned.expires_at
        verified(kit)
