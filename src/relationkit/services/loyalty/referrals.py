"""Referrals: who brought an account, recorded before its first purchase.

A referral is an idempotency record (scope ``"referral"``, keyed by the
referred account) naming the referrer; the bonuses come with the referred
account's first purchase (:mod:`.earning`). The public method and its
documentation are
:meth:`~relationkit.services.loyalty.service.LoyaltyService.refer`'s.
"""

from __future__ import annotations

from relationkit._runtime import Runner
from relationkit._tx import Tx
from relationkit.errors import Conflict, ValidationError
from relationkit.services._refs import resolve
from relationkit.services.loyalty.keyed import payload_hash
from relationkit.storage.fallback import queries
from relationkit.storage.ports import IdempotencyRecord

__all__ = ["Referrals"]


class Referrals:
    """Records referrals, once each."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner

    def refer(self, referrer: str, referred: str) -> None:
        """See :meth:`~relationkit.services.loyalty.service.LoyaltyService.refer`."""

        def work(tx: Tx) -> None:
            source = resolve(tx, referrer)
            target = resolve(tx, referred)
            if source == target:
                raise ValidationError("referred", "an account cannot refer itself")
            tx.account(target)
            digest = payload_hash({"referrer": source})
            existing = tx.uow.idempotency.get("referral", target)
            if existing is not None:
                if existing.payload_hash != digest:
                    raise Conflict(f"account {target} was referred by another account")
                return
            if queries(tx.uow).purchase_counts([target])[target]:
                raise Conflict(f"account {target} has purchased already; referrals come first")
            tx.uow.idempotency.add(
                IdempotencyRecord(
                    scope="referral",
                    key=target,
                    payload_hash=digest,
                    result=source,
                    created_at=tx.now,
                )
            )

        self._run.write(work)
