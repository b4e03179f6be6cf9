"""Holds: points reserved at checkout, captured, released or lapsed; never spent twice."""

from __future__ import annotations

import pytest

import relationkit as rk
from relationkit.domain.ledger import EntryKind
from relationkit.errors import Conflict, IdempotencyConflict, InsufficientPoints
from relationkit.events import HoldCaptured, HoldPlaced, HoldReleased
from relationkit.storage.ports import Storage
from relationkit.testing.base import OpenKit, SuiteBase
from relationkit.testing.checkout._support import CART, PLAIN, needs_checkout, pay
from relationkit.testing.loyalty._support import kinds, loyalty_events, member, verified

__all__ = ["HoldCheckout"]


class HoldCheckout(SuiteBase):
    """A hold reserves points until an order captures it, a cancel releases it, or it lapses."""

    @pytest.fixture
    def shop(self, open_kit: OpenKit, storage: Storage) -> rk.RelationKit:
        """A kit with the plain program and a store that keeps holds."""
        needs_checkout(storage)
        return open_kit(PLAIN)

    def test_held_points_are_not_spendable_twice(self, shop: rk.RelationKit) -> None:
        """A redemption and a second hold see the balance minus what is held."""
        alice = member(shop)
        shop.loyalty.earn(alice, 500, idempotency_key="e1")
        shop.loyalty.hold(alice, 300, idempotency_key="cart-1", expires_in=CART)

        with pytest.raises(InsufficientPoints):
            shop.loyalty.redeem(alice, 201, idempotency_key="r1")
        with pytest.raises(InsufficientPoints):
            shop.loyalty.hold(alice, 201, idempotency_key="cart-2", expires_in=CART)
        shop.loyalty.redeem(alice, 200, idempotency_key="r2")
        summary = shop.loyalty.summary(alice)

        assert (300, 300, 0) == (summary.balance, summary.held, summary.available)
        verified(shop)

    def test_the_order_captures_its_hold_once(self, shop: rk.RelationKit) -> None:
        """The paid order spends the held points (points_used defaults to them);
        its retry changes nothing; events tell the story."""
        alice = member(shop)
        shop.loyalty.earn(alice, 500, idempotency_key="e1")
        events = loyalty_events(shop)
        hold = shop.loyalty.hold(alice, 300, idempotency_key="cart-1", expires_in=CART)
        first = pay(shop, alice, "o1", hold)
        again = pay(shop, alice, "o1", hold)
        captured = shop.loyalty.get_hold(hold.id)

        assert first == again
        assert (300, hold.id) == (first.points_used, first.hold_id)
        assert (rk.HoldStatus.CAPTURED, "o1", 300) == (
            captured.status,
            captured.order_id,
            captured.captured,
        )
        assert (210, 0) == (shop.loyalty.balance(alice), shop.loyalty.summary(alice).held)
        assert [HoldPlaced, HoldCaptured] == [
            type(e) for e in events if isinstance(e, HoldPlaced | HoldCaptured)
        ]
        with pytest.raises(Conflict):
            shop.loyalty.release(hold.id)
        verified(shop)

    def test_a_retried_hold_is_the_same_hold(self, shop: rk.RelationKit) -> None:
        """Placing a hold again with its key returns it and reserves nothing more;
        the key with another amount is refused."""
        alice = member(shop)
        shop.loyalty.earn(alice, 500, idempotency_key="e1")
        hold = shop.loyalty.hold(alice, 300, idempotency_key="cart-1", expires_in=CART)
        again = shop.loyalty.hold(alice, 300, idempotency_key="cart-1", expires_in=CART)

        assert hold == again
        assert 300 == shop.loyalty.summary(alice).held
        with pytest.raises(IdempotencyConflict):
            shop.loyalty.hold(alice, 299, idempotency_key="cart-1", expires_in=CART)

    def test_a_cancelled_checkout_releases_its_hold(self, shop: rk.RelationKit) -> None:
        """release() gives the points back, once: a retry returns the released hold."""
        alice = member(shop)
        shop.loyalty.earn(alice, 500, idempotency_key="e1")
        events = loyalty_events(shop)
        hold = shop.loyalty.hold(alice, 300, idempotency_key="cart-1", expires_in=CART)
        released = shop.loyalty.release(hold.id)
        again = shop.loyalty.release(hold.id)

        assert released == again
        assert rk.HoldStatus.RELEASED == released.status
        assert 500 == shop.loyalty.summary(alice).available
        assert [(EntryKind.HOLD, 300), (EntryKind.RELEASE, -300)] == kinds(shop, alice)[1:]
        assert [False] == [e.expired for e in events if isinstance(e, HoldReleased)]
        verified(shop)

    def test_a_hold_lapses_by_itself(self, shop: rk.RelationKit, clock: rk.FrozenClock) -> None:
        """At expires_at the points are available again, whether or not process_due ran;
        process_due writes the release (the hold's expiry is part of next_due)."""
        alice = member(shop)
        shop.loyalty.earn(alice, 500, idempotency_key="e1")
        hold = shop.loyalty.hold(alice, 300, idempotency_key="cart-1", expires_in=CART)
        due = shop.loyalty.state(alice).next_due
        clock.set(hold.expires_at)
        read = (shop.loyalty.summary(alice).available, shop.loyalty.get_hold(hold.id).status)
        result = shop.loyalty.process_due()
        state = shop.loyalty.state(alice)

        assert hold.expires_at == due
        assert (500, rk.HoldStatus.EXPIRED) == read
        assert 1 == result.accounts
        assert (0, None, None) == (state.held, state.next_release, state.next_due)
        assert (EntryKind.RELEASE, "expired") == (
            shop.loyalty.history(alice)[-1].kind,
            shop.loyalty.history(alice)[-1].reason,
        )
        verified(shop)

    def test_a_lapsed_hold_still_pays_with_free_points(
        self, shop: rk.RelationKit, clock: rk.FrozenClock
    ) -> None:
        """An order that names a lapsed hold spends what is available, without capturing it."""
        alice = member(shop)
        shop.loyalty.earn(alice, 500, idempotency_key="e1")
        hold = shop.loyalty.hold(alice, 300, idempotency_key="cart-1", expires_in=CART)
        clock.set(hold.expires_at.add(minutes=1))
        pay(shop, alice, "o1", hold, points_used=300)

        assert (210, rk.HoldStatus.EXPIRED) == (
            shop.loyalty.balance(alice),
            shop.loyalty.get_hold(hold.id).status,
        )
        verified(shop)

    def test_rebuild_rederives_the_holds(self, shop: rk.RelationKit) -> None:
        """After rebuild the stored holds and state row equal what the ledger gives."""
        alice = member(shop)
        shop.loyalty.earn(alice, 500, idempotency_key="e1")
        open_hold = shop.loyalty.hold(alice, 100, idempotency_key="cart-1", expires_in=CART)
        closed = shop.loyalty.hold(alice, 50, idempotency_key="cart-2", expires_in=CART)
        shop.loyalty.release(closed.id)
        before = (shop.loyalty.state(alice), shop.loyalty.get_hold(open_hold.id))
        report = shop.loyalty.rebuild()

        assert 0 == report.repaired
        assert before == (shop.loyalty.state(alice), shop.loyalty.get_hold(open_hold.id))
        verified(shop)

    def test_points_paid_with_points_earn_only_when_the_program_says(
        self, open_kit: OpenKit, storage: Storage
    ) -> None:
        """earn_on_points with a point value earns on the part paid with points too."""
        needs_checkout(storage)
        program = rk.LoyaltyProgram(
            currency="EUR", earn_on_points=True, point_value=rk.Money("0.01", "EUR")
        )
        kit = open_kit(program)
        alice = member(kit)
        kit.loyalty.earn(alice, 1000, idempotency_key="e1")
        pay(kit, alice, "o1", total="10.00", points_used=1000)

        assert [10 + 10] == [
            e.points for e in kit.loyalty.history(alice) if e.source == "order:o1" and e.points > 0
        ]
        verified(kit)
