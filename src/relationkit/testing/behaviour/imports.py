"""Behaviour: bulk imports through ``kit.purchases.record_many``."""

from __future__ import annotations

from typing import Any

import pytest

import relationkit as rk
from relationkit.errors import Conflict, IdempotencyConflict, ValidationError
from relationkit.events import Event
from relationkit.testing.base import T0, SuiteBase, eur
from relationkit.testing.behaviour._support import buy

__all__ = ["BulkImportBehaviour"]


class BulkImportBehaviour(SuiteBase):
    """record_many: customer upserts, replays, batches and their rollback."""

    def test_record_many_upserts_customers_by_external_id(self, kit: rk.RelationKit) -> None:
        """Rows with customer_external_id create missing customers and reuse existing ones."""
        known = kit.customers.create(name="Known", external_id="ext-1")
        rows = [
            {
                "order_id": "1",
                "customer_external_id": "ext-1",
                "occurred_at": T0,
                "total": eur("10.00"),
            },
            {
                "order_id": "2",
                "customer_external_id": "ext-2",
                "email": "new@example.com",
                "name": "New",
                "occurred_at": T0,
                "total": eur("20.00"),
            },
            {"order_id": "3", "customer_id": known.id, "occurred_at": T0, "total": eur("1.00")},
        ]

        result = kit.purchases.record_many(rows)

        created = kit.customers.get_by_external_id("ext-2")
        assert rk.BulkResult(recorded=3, unchanged=0, customers_created=1) == result
        assert ("new@example.com", "New", known.id, created.id) == (
            created.email,
            created.name,
            kit.purchases.get("1").customer_id,
            kit.purchases.get("2").customer_id,
        )

    def test_record_many_refreshes_known_customers(self, kit: rk.RelationKit) -> None:
        """A row naming a known external id updates that customer's email and name."""
        known = kit.customers.create(name="Old Name", external_id="ext-1")
        row = {
            "order_id": "1",
            "customer_external_id": "ext-1",
            "email": "new@example.com",
            "name": "New Name",
            "occurred_at": T0,
            "total": eur("1.00"),
        }

        kit.purchases.record_many([row])

        stored = kit.customers.get(known.id)
        assert ("new@example.com", "New Name", 1) == (
            stored.email,
            stored.name,
            kit.customers.count(),
        )

    def test_record_many_replayed_batch_changes_nothing(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """Running the same import twice records nothing and dispatches nothing the second time."""
        rows = [
            {
                "order_id": str(n),
                "customer_external_id": f"ext-{n % 2}",
                "occurred_at": T0.add(days=n),
                "total": eur(f"{n}.50"),
            }
            for n in range(5)
        ]
        kit.purchases.record_many(rows, batch_size=2)
        seen = len(events)
        before = [kit.purchases.get(str(n)) for n in range(5)]

        replay = kit.purchases.record_many(rows, batch_size=2)

        assert rk.BulkResult(recorded=0, unchanged=5, customers_created=0) == replay
        assert (before, seen, 2) == (
            [kit.purchases.get(str(n)) for n in range(5)],
            len(events),
            kit.customers.count(),
        )

    def test_record_many_bad_row_keeps_earlier_batches(self, kit: rk.RelationKit) -> None:
        """A bad row is named (rows[3].total); earlier batches stay, its batch writes nothing."""
        alice = kit.customers.create(name="Alice")
        rows: list[dict[str, Any]] = [
            {"order_id": f"o{n}", "customer_id": alice.id, "occurred_at": T0, "total": eur("1")}
            for n in range(4)
        ]
        rows[3]["total"] = "1.00"

        with pytest.raises(ValidationError) as caught:
            kit.purchases.record_many(rows, batch_size=2)

        assert ("rows[3].total", ["o0", "o1"]) == (
            caught.value.field,
            [p.order_id for p in kit.purchases.history(alice.id)],
        )

    def test_record_many_conflict_rolls_back_its_batch(self, kit: rk.RelationKit) -> None:
        """An IdempotencyConflict in a batch leaves that batch unwritten (customers too)."""
        alice = kit.customers.create(name="Alice")
        buy(kit, alice.id, "taken", "5.00")
        rows = [
            {
                "order_id": "fresh",
                "customer_external_id": "ext-9",
                "occurred_at": T0,
                "total": eur("1.00"),
            },
            {"order_id": "taken", "customer_id": alice.id, "occurred_at": T0, "total": eur("9")},
        ]

        with pytest.raises(IdempotencyConflict):
            kit.purchases.record_many(rows)

        assert (1, 1) == (kit.purchases.count(), kit.customers.count())

    def test_record_many_same_order_twice_in_one_batch(self, kit: rk.RelationKit) -> None:
        """A row repeated within one batch is recorded once and counted unchanged once."""
        alice = kit.customers.create(name="Alice")
        row = {"order_id": "o1", "customer_id": alice.id, "occurred_at": T0, "total": eur("3")}

        result = kit.purchases.record_many([row, dict(row)])

        assert (rk.BulkResult(recorded=1, unchanged=1), 1) == (result, kit.purchases.count())

    def test_record_many_rejects_two_new_customers_with_one_email(
        self, kit: rk.RelationKit
    ) -> None:
        """Two new external customers sharing an email in one batch is a Conflict, not a crash."""
        rows = [
            {
                "order_id": f"o{n}",
                "customer_external_id": f"ext-{n}",
                "email": "shared@example.com",
                "occurred_at": T0,
                "total": eur("1.00"),
            }
            for n in range(2)
        ]

        with pytest.raises(Conflict):
            kit.purchases.record_many(rows)

        assert (0, 0) == (kit.purchases.count(), kit.customers.count())
