"""The reads of ``kit.purchases``: one purchase, pages of an account's or a person's, spend.

Every argument is validated before the read transaction starts. Spend and
rankings aggregate over many purchases: they are served by an analytics
replica when the store has one.
"""

from __future__ import annotations

import pendulum

from relationkit import _validate as v
from relationkit._runtime import Runner
from relationkit._tx import Tx
from relationkit.domain.purchases import Purchase
from relationkit.errors import NotFound, ValidationError
from relationkit.money import Money
from relationkit.services._paging import time_page
from relationkit.services._refs import customer as customer_ref
from relationkit.services._refs import resolve
from relationkit.storage.fallback import queries
from relationkit.storage.ports import SpendRow

__all__ = ["PurchaseReads"]


class PurchaseReads:
    """Read purchases through the kit's runner.

    Args:
        runner: the kit's transaction runner.
    """

    def __init__(self, runner: Runner) -> None:
        self._run = runner

    def get(self, order_id: str) -> Purchase:
        """Return a purchase, with its refunds, by order id.

        Raises:
            NotFound: if there is none.
        """
        key = v.identifier(order_id, "order_id")
        found = self._run.read(lambda tx: tx.uow.purchases.get_many([key]))
        if key not in found:
            raise NotFound("purchase", key)
        return found[key]

    def history(self, ref: str, *, limit: int | None, after: Purchase | None) -> list[Purchase]:
        """Return a page of an account's purchases (a customer id: their account's)."""
        size, cursor = time_page(limit, after)
        return self._run.read(
            lambda tx: tx.uow.purchases.for_account(resolve(tx, ref), after=cursor, limit=size)
        )

    def count(self) -> int:
        """Return the number of purchases."""
        return self._run.read(lambda tx: queries(tx.uow).count_purchases())

    def top_spenders(self, currency: str, *, limit: int) -> list[SpendRow]:
        """Return the accounts with the highest spend net of refunds in ``currency``."""
        code = Money.zero(currency).currency  # validates and normalises the code
        count = v.positive_int(limit, "limit")
        return self._run.read(
            lambda tx: queries(tx.uow).top_spend(currency=code, limit=count), analytics=True
        )

    def page(
        self,
        *,
        customer_id: str | None,
        account_id: str | None,
        limit: int,
        after: Purchase | None,
    ) -> list[Purchase]:
        """Return a page of one customer's or one account's purchases; see ``list``.

        Raises:
            ValidationError: on neither or both of the ids, or a bad limit.
            NotFound: if the customer or account does not exist.
        """
        if (customer_id is None) == (account_id is None):
            raise ValidationError("customer_id", "give exactly one of customer_id and account_id")
        size = v.positive_int(limit, "limit", maximum=10_000)
        _, cursor = time_page(None, after)
        if account_id is not None:
            key = v.identifier(account_id, "account_id")
            if not key.startswith("acc_"):
                raise ValidationError("account_id", "must be an account id (acc_...)")
            return self._run.read(
                lambda tx: tx.uow.purchases.for_account(resolve(tx, key), after=cursor, limit=size)
            )
        who = v.identifier(customer_id, "customer_id")

        def read(tx: Tx) -> list[Purchase]:
            buyer = customer_ref(tx, who)
            return queries(tx.uow).purchase_reads.customer_purchases(
                buyer.id, buyer.account_id, after=cursor, limit=size
            )

        return self._run.read(read)

    def spend(
        self,
        ref: str,
        *,
        start: pendulum.DateTime | None,
        end: pendulum.DateTime | None,
    ) -> list[SpendRow]:
        """Return an account's spend net of refunds, one row per currency; see ``spend``.

        Raises:
            ValidationError: on a naive datetime or ``end`` before ``start``.
            NotFound: if the account or customer does not exist.
        """
        since = v.aware_utc(start, "start") if start is not None else None
        until = v.aware_utc(end, "end") if end is not None else None
        if since is not None and until is not None and until < since:
            raise ValidationError("end", "must not be before start")
        return self._run.read(
            lambda tx: queries(tx.uow).purchase_reads.account_spend(
                resolve(tx, ref), start=since, end=until
            ),
            analytics=True,
        )
