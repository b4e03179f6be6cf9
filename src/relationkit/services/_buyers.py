"""Who bought: each order's customer, found or created inside the transaction.

An order names its customer by id, by the host's external id (with an
optional email and name), or by email alone (a guest checkout). The rules:

- an external id finds its customer; else an email held by a customer
  without an external id (a guest) finds that guest, who takes the external
  id (registration keeps the history); else the customer is created;
- an email alone finds the customer with that email (whatever their
  external id), else creates a guest;
- an existing customer is refreshed with the order's email and name unless
  the data is older than what the customer holds (see ``People.refresh``);
- a new customer's first stage is dated at their first order when that is
  in the past, so a backfilled timeline reads in order.

Concurrent writers creating the same customer collide on the email or
external id unique key; the runner retries the loser, which then finds the
customer: two webhooks of one new guest return one customer. Existing
buyers are checked again once their accounts are locked, so an order never
lands in an account its buyer has just left (``kit.customers.move``).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import pendulum

from relationkit import _validate as v
from relationkit._tx import Tx
from relationkit.domain.customers import Customer
from relationkit.errors import Conflict, NotFound, TransientStorageError
from relationkit.services._drafts import Draft
from relationkit.services._people import Fields, People
from relationkit.storage.fallback import queries
from relationkit.storage.ports.owners import serial_writes

__all__ = ["resolve_buyers"]


@attrs.define
class _Plan:
    """The customers a batch creates, and how its rows find them."""

    new: list[Fields] = attrs.field(factory=list)
    since: list[pendulum.DateTime] = attrs.field(factory=list)
    stamps: list[pendulum.DateTime] = attrs.field(factory=list)
    new_by_ext: dict[str, int] = attrs.field(factory=dict)
    new_by_email: dict[str, int] = attrs.field(factory=dict)

    def add(self, person: Fields, d: Draft) -> None:
        slot = len(self.new)
        self.new.append(person)
        self.since.append(d.occurred_at)
        self.stamps.append(d.customer_stamp)
        self._index(person, slot)

    def _index(self, person: Fields, slot: int) -> None:
        if person.external_id is not None:
            self.new_by_ext[person.external_id] = slot
        if person.email is not None:
            self.new_by_email[v.email_key(person.email)] = slot

    def join(self, slot: int, person: Fields, d: Draft) -> None:
        """Another row of a customer this batch creates: keep the first data, earliest date."""
        current = self.new[slot]
        if person.external_id is not None and current.external_id is None:
            # The guest of an earlier row registers in a later one.
            current = attrs.evolve(current, external_id=person.external_id)
            self.new[slot] = current
            self._index(current, slot)
        elif person.external_id is not None and person.external_id != current.external_id:
            raise Conflict("two new customers of one batch share one email")
        self.since[slot] = min(self.since[slot], d.occurred_at)


def resolve_buyers(tx: Tx, people: People, drafts: Sequence[Draft]) -> tuple[list[Customer], int]:
    """Return each draft's customer, creating customers as needed.

    Returns:
        The customers, one per draft, and how many were created.

    Raises:
        NotFound: a ``customer_id`` that does not exist.
        Conflict: an email that belongs to a customer of another external id.
    """
    by_id = tx.uow.customers.get_many(
        sorted({d.customer_id for d in drafts if d.customer_id is not None})
    )
    externals = sorted({d.external_id for d in drafts if d.external_id is not None})
    by_ext: dict[str, Customer] = tx.uow.customers.by_external_ids(externals) if externals else {}
    by_email: dict[str, Customer | None] = {}

    def stored_email(key: str) -> Customer | None:
        if key not in by_email:
            by_email[key] = tx.uow.customers.by_email(key)
        return by_email[key]

    plan = _Plan()
    for d in drafts:
        person = d.person
        if person is None:
            continue
        ext = person.external_id
        key = v.email_key(person.email) if person.email is not None else None
        if ext is not None and ext in plan.new_by_ext:
            slot = plan.new_by_ext[ext]
            plan.since[slot] = min(plan.since[slot], d.occurred_at)
            continue
        if ext is not None and ext in by_ext:
            continue
        if key is not None and key in plan.new_by_email:
            plan.join(plan.new_by_email[key], person, d)
            continue
        if key is not None and stored_email(key) is not None:
            continue
        plan.add(person, d)
    created = people.create_b2c_many(
        tx, plan.new, since=plan.since, stamps=plan.stamps, racing=True
    )
    new_ext = {e: created[i] for e, i in plan.new_by_ext.items()}
    new_email = {k: created[i] for k, i in plan.new_by_email.items()}

    customers: list[Customer] = []
    for d in drafts:
        if d.customer_id is not None:
            if d.customer_id not in by_id:
                raise NotFound("customer", d.customer_id)
            customers.append(by_id[d.customer_id])
            continue
        person = d.person
        assert person is not None
        ext = person.external_id
        key = v.email_key(person.email) if person.email is not None else None
        if ext is not None and ext in new_ext:
            customers.append(new_ext[ext])
            continue
        if ext is None and key is not None and key in new_email:
            customers.append(new_email[key])
            continue
        customer = by_ext.get(ext) if ext is not None else None
        if customer is None and key is not None:
            customer = stored_email(key)
            if customer is not None and ext is not None and customer.external_id is not None:
                raise Conflict(f"email is already used by customer {customer.id}")
        assert customer is not None
        refreshed = people.refresh(
            tx,
            customer,
            _order_fields(person, customer),
            stamp=d.customer_stamp,
            stamp_unchanged=False,
        )
        if refreshed.external_id is not None:
            by_ext[refreshed.external_id] = refreshed
        if refreshed.email is not None:
            by_email[v.email_key(refreshed.email)] = refreshed
        customers.append(refreshed)
    fresh = {c.id for c in created}
    _check_placed(tx, [c for c in customers if c.id not in fresh])
    return customers, len(created)


def _check_placed(tx: Tx, found: Sequence[Customer]) -> None:
    """Lock the buyers' accounts; retry if a buyer moved to another account meanwhile.

    The customers were read before their accounts were locked: a move that
    committed in between (``kit.customers.move``) would otherwise leave the
    order in the account the person has just left.
    """
    if not found:
        return
    tx.accounts(sorted({c.account_id for c in found}))
    if serial_writes(tx.uow):
        return  # nothing read in this transaction can have changed meanwhile
    now = queries(tx.uow).owners.accounts_of_customers(sorted({c.id for c in found}))
    if any(now.get(c.id) != c.account_id for c in found):
        raise TransientStorageError("a buyer moved to another account meanwhile")


def _order_fields(person: Fields, customer: Customer) -> Fields:
    """What an order may change on its customer: email and name, and a guest's new id."""
    return Fields(
        email=person.email,
        name=person.name,
        external_id=person.external_id if customer.external_id is None else None,
        role=None,
        attributes=None,
    )
