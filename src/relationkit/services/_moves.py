"""Moving a customer into another account, and out into a B2C account of their own.

What "with their history" means, record kind by record kind:

- the customer's purchases (with their lines and refunds) and the
  interactions naming them follow the person to the new account: the new
  account's purchase history, spend, timeline and analytics include them,
  the old account's no longer do;
- interactions with the old account as a whole (no customer), its stage
  and stage history, its loyalty ledger, balance, pending points and tier,
  and its scores stay with the old account: points stay with the account
  they were earned in. A B2C account left without its person is kept as it
  is (nothing is deleted); moving the person back into it
  (``account_id=`` that account) gives them their points again;
- the account joined moves forward in its lifecycle as a purchase would
  move it (``StageGraph.after_purchase``) when purchases came with the
  person; a new B2C account starts in the initial stage, then the same.

Writers of one customer are serialised by the lock of the customer's
account: ``pinned`` reads the customer, locks their account (and the others
named) in id order, and reads the customer again; a customer who moved
meanwhile makes the transaction retry (``TransientStorageError``), so a
concurrent order or update never lands in, or writes back, the account the
person has just left.
"""

from __future__ import annotations

import attrs

from relationkit._tx import Tx
from relationkit.domain.customers import Account, AccountKind, Customer
from relationkit.errors import Conflict, StorageError, ValidationError
from relationkit.events import ContactAdded, CustomerLeft, CustomerMoved
from relationkit.services._people import Fields, People
from relationkit.services._pinned import pinned
from relationkit.services._stages import apply_move
from relationkit.storage.fallback import queries

__all__ = ["Moves"]


class Moves:
    """``kit.customers.move`` inside a transaction.

    Args:
        people: customer writes (a new B2C account on the way out).
    """

    def __init__(self, people: People) -> None:
        self._ctx = people.context
        self._people = people

    def move(self, tx: Tx, customer_id: str, target: str | None, role: str | None) -> Customer:
        """Move the customer into ``target`` (None: a new B2C account of their own).

        Returns:
            The customer as moved (unchanged when already where asked).
        """
        current = pinned(tx, customer_id, also=[target] if target is not None else [])
        source = tx.account(current.account_id)
        if target is None:
            if role is not None:
                raise ValidationError("role", "only contacts of a B2B account have a role")
            if source.kind is AccountKind.B2C:
                return current  # already in an account of their own
        elif target == source.id:
            if role is not None and role != current.role:
                raise ValidationError(
                    "account_id", "is the customer's account already (customers.update sets a role)"
                )
            return current
        else:
            self._check_target(tx, tx.account(target), role)
        mover = queries(tx.uow).moves
        if mover is None:
            raise StorageError(
                "this storage backend cannot move a customer's records "
                "(its unit of work does not implement RecordMoves)"
            )
        dest = self._new_b2c(tx, current) if target is None else tx.account(target)
        moved = mover.move_records(current.id, source.id, dest.id)
        b2b = dest.kind is AccountKind.B2B
        updated = attrs.evolve(
            current, account_id=dest.id, role=role if b2b else None, updated_at=tx.now
        )
        tx.uow.customers.update(updated)
        tx.emit(source.id, CustomerLeft, customer_id=current.id, to_account_id=dest.id)
        tx.emit(
            dest.id,
            CustomerMoved,
            customer_id=current.id,
            from_account_id=source.id,
            role=updated.role,
            purchases=moved.purchases,
            interactions=moved.interactions,
        )
        if b2b:
            tx.emit(dest.id, ContactAdded, customer_id=current.id, role=updated.role)
        elif target is not None:
            People.follow(tx, dest, updated)
        if moved.purchases:
            self._forward(tx, dest.id)
        return updated

    @staticmethod
    def _check_target(tx: Tx, dest: Account, role: str | None) -> None:
        if dest.kind is AccountKind.B2C:
            if role is not None:
                raise ValidationError("role", "only contacts of a B2B account have a role")
            if tx.uow.customers.for_account(dest.id):
                raise Conflict(f"account {dest.id} is B2C and already has its customer")

    def _new_b2c(self, tx: Tx, person: Customer) -> Account:
        shape = Fields(
            email=None,
            name=person.name,
            external_id=person.external_id,
            role=None,
            attributes=None,
            timezone=person.timezone,
        )
        return self._people.new_b2c_account(tx, shape)

    def _forward(self, tx: Tx, account_id: str) -> None:
        """Move the account on as a purchase would (a lead receiving orders becomes a customer)."""
        account = tx.account(account_id)
        stage = self._ctx.stages.after_purchase(account.stage)
        if stage is not None:
            apply_move(tx, account, stage, tx.now, "customer moved in", automatic=True)
