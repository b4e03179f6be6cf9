"""A customer moved while other workers write for them, on PostgreSQL (row locks, READ COMMITTED).

A worker that read the customer before the move committed, then waited on
their old account's lock, must not leave an order in the account the
person has just left, nor write the old account back onto the customer:
after every round, all of the person's orders are in the account they are
in, and nothing of theirs stays behind.
"""

from __future__ import annotations

import pytest

import relationkit as rk

from ._races import T0, together

pytestmark = pytest.mark.postgresql

ROUNDS = 4


def test_orders_recorded_during_a_move_end_in_the_account_the_person_is_in(
    kits: tuple[rk.RelationKit, rk.RelationKit],
) -> None:
    """Move into ACME while another worker records three orders: all four orders end in ACME."""
    mover, shop = kits
    acme = mover.accounts.create(name="ACME SA")
    for n in range(ROUNDS):
        bob = mover.customers.create(email=f"bob{n}@example.com")
        mover.purchases.record(
            order_id=f"r{n}-0", customer_id=bob.id, occurred_at=T0, total=rk.Money("1", "EUR")
        )

        def orders(bob: rk.Customer = bob, n: int = n) -> None:
            for i in range(1, 4):
                shop.purchases.record(
                    order_id=f"r{n}-{i}",
                    customer_id=bob.id,
                    occurred_at=T0.add(minutes=i),
                    total=rk.Money("1", "EUR"),
                )

        def move(bob: rk.Customer = bob) -> rk.Customer:
            return mover.customers.move(bob.id, account_id=acme.id)

        together(orders, move)

        mine = [p.order_id for p in mover.purchases.iter_list(customer_id=bob.id)]
        assert (acme.id, [f"r{n}-{i}" for i in range(4)], []) == (
            mover.customers.get(bob.id).account_id,
            mine,
            mover.purchases.history(bob.account_id),
        )


def test_an_update_during_a_move_does_not_put_the_old_account_back(
    kits: tuple[rk.RelationKit, rk.RelationKit],
) -> None:
    """A rename racing the move: the customer keeps both the new name and the new account."""
    mover, editor = kits
    acme = mover.accounts.create(name="ACME SA")
    for n in range(ROUNDS):
        bob = mover.customers.create(email=f"carl{n}@example.com", name="Carl")

        def rename(bob: rk.Customer = bob, n: int = n) -> rk.Customer:
            return editor.customers.update(bob.id, name=f"Carl {n}")

        def move(bob: rk.Customer = bob) -> rk.Customer:
            return mover.customers.move(bob.id, account_id=acme.id, role="buyer")

        together(rename, move)

        stored = mover.customers.get(bob.id)
        assert (acme.id, "buyer", f"Carl {n}") == (stored.account_id, stored.role, stored.name)


def test_two_moves_at_once_leave_the_person_and_their_orderstogether(
    kits: tuple[rk.RelationKit, rk.RelationKit],
) -> None:
    """Into ACME and into Globex at once: one wins, and the orders are where the person is."""
    first, second = kits
    acme = first.accounts.create(name="ACME SA")
    globex = first.accounts.create(name="Globex")
    for n in range(ROUNDS):
        dee = first.customers.create(email=f"dee{n}@example.com")
        first.purchases.record(
            order_id=f"d{n}", customer_id=dee.id, occurred_at=T0, total=rk.Money("2", "EUR")
        )

        def to_acme(dee: rk.Customer = dee) -> rk.Customer:
            return first.customers.move(dee.id, account_id=acme.id)

        def to_globex(dee: rk.Customer = dee) -> rk.Customer:
            return second.customers.move(dee.id, account_id=globex.id)

        together(to_acme, to_globex)

        where = first.customers.get(dee.id).account_id
        assert (True, [f"d{n}"]) == (
            where in {acme.id, globex.id},
            [p.order_id for p in first.purchases.list(account_id=where) if p.customer_id == dee.id],
        )
