"""Single-entry ledger writes (earn, redeem, adjust), once per idempotency key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from relationkit import _validate as v
from relationkit._runtime import Runner
from relationkit._tx import Tx
from relationkit.domain.ledger import LedgerEntry
from relationkit.errors import IdempotencyConflict, StorageError
from relationkit.services._refs import resolve
from relationkit.services.loyalty.book import Book
from relationkit.services.loyalty.ledgers import Ledgers
from relationkit.services.loyalty.tiers import Tiers
from relationkit.storage.ports import IdempotencyRecord

__all__ = ["KeyedWrites", "payload_hash", "remember", "replay"]


def payload_hash(payload: dict[str, object]) -> str:
    """Return the hash a request's payload is stored under, to recognise a replay."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class KeyedWrites:
    """Runs one ledger write per idempotency key; a replay returns the stored entry."""

    def __init__(self, runner: Runner, ledgers: Ledgers, tiers: Tiers) -> None:
        self._run = runner
        self._ledgers = ledgers
        self._tiers = tiers

    def run(
        self,
        ref: str,
        op_name: str,
        idempotency_key: str,
        payload: dict[str, object],
        op: Callable[[Tx, Book], LedgerEntry],
    ) -> LedgerEntry:
        """Run a single-entry ledger write once per key, with its account locked."""
        key = v.identifier(idempotency_key, "idempotency_key")

        def work(tx: Tx) -> LedgerEntry:
            account_id = resolve(tx, ref)
            tx.account(account_id)
            full = {"op": op_name, "account_id": account_id, **payload}
            stored = tx.uow.idempotency.get("loyalty", key)
            if stored is not None:
                return replay(tx, stored, full, key)
            book = self._ledgers.book(tx, account_id)
            entry = op(tx, book)
            self._ledgers.save(tx, [book])
            self._tiers.rate(tx, book)
            remember(tx, key, full, entry)
            return entry

        return self._run.write(work)


def replay(tx: Tx, stored: IdempotencyRecord, payload: dict[str, object], key: str) -> LedgerEntry:
    """Return the entry a stored loyalty request wrote, if ``payload`` is the same.

    Raises:
        IdempotencyConflict: the key was used with another payload.
        StorageError: the entry is missing from the ledger.
    """
    result = json.loads(stored.result)
    if stored.payload_hash != payload_hash(payload):
        before = result["payload"]
        differing = sorted(k for k in set(before) | set(payload) if before.get(k) != payload.get(k))
        raise IdempotencyConflict(key, differing, what="loyalty request")
    entry = tx.uow.ledger.get(str(result["entry_id"]))
    if entry is None:
        raise StorageError(f"the entry of loyalty request {key!r} is missing from the ledger")
    return entry


def remember(tx: Tx, key: str, payload: dict[str, object], entry: LedgerEntry) -> None:
    """Store that the loyalty request ``key`` with ``payload`` wrote ``entry``."""
    tx.uow.idempotency.add(
        IdempotencyRecord(
            scope="loyalty",
            key=key,
            payload_hash=payload_hash(payload),
            result=json.dumps({"payload": payload, "entry_id": entry.id}),
            created_at=tx.now,
        )
    )
