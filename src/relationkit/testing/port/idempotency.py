"""Port tests: stored results of idempotent requests (``uow.idempotency``)."""

from __future__ import annotations

import pytest

from relationkit.errors import DuplicateKey
from relationkit.storage.ports import IdempotencyRecord, Storage
from relationkit.testing.base import T0, SuiteBase

__all__ = ["IdempotencyPort"]


class IdempotencyPort(SuiteBase):
    """Idempotency records: one per (scope, key), found again by both."""

    def test_duplicate_idempotency_key_raises_duplicate_key(self, storage: Storage) -> None:
        """A second record for a stored (scope, key) raises DuplicateKey; get finds the first."""
        record = IdempotencyRecord(
            scope="redeem", key="k1", payload_hash="h1", result="ok", created_at=T0
        )
        with storage.transaction(write=True) as uow:
            uow.idempotency.add(record)
            uow.idempotency.add(
                IdempotencyRecord(
                    scope="other", key="k1", payload_hash="h2", result="ok", created_at=T0
                )
            )

        with pytest.raises(DuplicateKey) as caught, storage.transaction(write=True) as uow:
            uow.idempotency.add(record)

        with storage.transaction(write=False) as uow:
            assert (record, None) == (
                uow.idempotency.get("redeem", "k1"),
                uow.idempotency.get("redeem", "k2"),
            )
        assert "idempotency_key" == caught.value.constraint
