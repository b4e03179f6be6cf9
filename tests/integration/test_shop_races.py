"""Two shop workers at once on PostgreSQL (row locks, READ COMMITTED).

Two webhooks of one new company, one new registered customer or one new
guest arrive together: each worker finds nothing, both insert, one insert
waits on the other's unique key and fails; the kit retries it, and it then
finds what the first committed. Both return the same record; neither sees a
``Conflict``.
"""

from __future__ import annotations

import pytest

import relationkit as rk

from ._races import T0, on_each

pytestmark = pytest.mark.postgresql

ROUNDS = 4


def test_two_workers_upserting_one_new_company_get_one_account(
    kits: tuple[rk.RelationKit, rk.RelationKit],
) -> None:
    """accounts.upsert of the same new external id, at once: one account, both return it."""
    for n in range(ROUNDS):
        key = f"co-{n}"

        def company(kit: rk.RelationKit, key: str = key) -> rk.Account:
            return kit.accounts.upsert(external_id=key, name="ACME")

        made = on_each(kits, company)

        found = kits[0].accounts.search(external_id=key)
        assert [made[0].id] * 2 == [a.id for a in made]
        assert [made[0].id] == [a.id for a in found]


def test_two_workers_upserting_one_new_customer_get_one_customer(
    kits: tuple[rk.RelationKit, rk.RelationKit],
) -> None:
    """customers.upsert of the same new external id, at once: one customer, one account."""
    for n in range(ROUNDS):
        key = f"user-{n}"

        def person(kit: rk.RelationKit, key: str = key) -> rk.Customer:
            return kit.customers.upsert(external_id=key, email=f"{key}@example.com")

        made = on_each(kits, person)

        assert [made[0].id] * 2 == [c.id for c in made]
    assert ROUNDS == kits[1].customers.count()
    assert ROUNDS == len(kits[1].accounts.search(kind=rk.AccountKind.B2C))


def test_two_orders_of_one_new_guest_at_once_make_one_customer(
    kits: tuple[rk.RelationKit, rk.RelationKit],
) -> None:
    """Two guest orders with one new email, at once: both purchases on one customer."""
    for n in range(ROUNDS):
        email = f"guest-{n}@example.com"
        ids = {id(kit): f"g{n}-{side}" for kit, side in zip(kits, "ab", strict=True)}

        def order(
            kit: rk.RelationKit, email: str = email, ids: dict[int, str] = ids
        ) -> rk.Purchase:
            order_id = ids[id(kit)]
            return kit.purchases.record(
                order_id=order_id,
                email=email,
                occurred_at=T0,
                total=rk.Money("10.00", "eur"),
            )

        made = on_each(kits, order)

        customer = kits[0].customers.get_by_email(email)
        assert [customer.id] * 2 == [p.customer_id for p in made]
    assert ROUNDS == kits[0].customers.count()
