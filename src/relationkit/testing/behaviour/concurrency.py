"""Behaviour: two kits writing at once, from two threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

import relationkit as rk
from relationkit.errors import Conflict
from relationkit.events import Event, InteractionLogged, PurchaseRecorded
from relationkit.storage.ports import Storage
from relationkit.testing.base import SuiteBase
from relationkit.testing.behaviour._support import buy

__all__ = ["ConcurrencyBehaviour"]


class ConcurrencyBehaviour(SuiteBase):
    """Two kits writing at once, from two threads: nothing lost, nothing twice."""

    @pytest.fixture
    def rival(self, storage: Storage, clock: rk.FrozenClock) -> Iterator[rk.RelationKit]:
        """Another kit over the same data, for another thread.

        With ``Requirements(second_handle=True, concurrent_writers=True)`` it
        uses a second handle (its own connections); otherwise it shares the
        store, whose writers must then be serialised within the process.
        """
        both = self.requirements.second_handle and self.requirements.concurrent_writers
        handle = self.make_second_handle() if both else storage
        rival = rk.open(storage=handle, clock=clock)
        yield rival
        rival.close()
        if handle is not storage:
            handle.close()

    def test_concurrent_writers_keep_sequences_gap_free(
        self,
        kit: rk.RelationKit,
        rival: rk.RelationKit,
    ) -> None:
        """Two kits writing one account at once lose nothing and number events 1..n."""
        alice = kit.customers.create(name="Alice")
        kits = [kit, rival]
        seen: list[Event] = []
        lock = threading.Lock()

        def keep(event: Event) -> None:
            with lock:
                seen.append(event)

        for k in kits:
            k.hooks.on(InteractionLogged, keep)
        failures: list[BaseException] = []

        def work(k: rk.RelationKit) -> None:
            try:
                for _ in range(8):
                    k.interactions.log(alice.id, channel="chat", direction="inbound")
            except BaseException as exc:  # reported below, in the test's thread
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(k,)) for k in kits]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        assert [] == failures
        assert list(range(4, 20)) == sorted(e.sequence for e in seen)
        assert 16 == len(kit.interactions.history(alice.id))

    def test_concurrent_creates_of_one_email_make_one_customer(
        self,
        kit: rk.RelationKit,
        rival: rk.RelationKit,
    ) -> None:
        """Two kits creating the same email at once: one customer, one Conflict."""
        kits = [kit, rival]
        start = threading.Barrier(len(kits))
        outcomes: list[str] = []

        def create(k: rk.RelationKit) -> None:
            start.wait()
            try:
                k.customers.create(email="same@example.com", name="Racer")
                outcomes.append("created")
            except Conflict:
                outcomes.append("Conflict")
            except BaseException as exc:  # reported below, in the test's thread
                outcomes.append(repr(exc))

        threads = [threading.Thread(target=create, args=(k,)) for k in kits]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        assert (["Conflict", "created"], 1) == (sorted(outcomes), kit.customers.count())

    def test_concurrent_replays_record_each_order_once(
        self,
        kit: rk.RelationKit,
        rival: rk.RelationKit,
    ) -> None:
        """Two kits recording the same orders at once store and announce each once."""
        alice = kit.customers.create(name="Alice")
        kits = [kit, rival]
        recorded: list[str] = []
        lock = threading.Lock()

        def keep(event: PurchaseRecorded) -> None:
            with lock:
                recorded.append(event.order_id)

        for k in kits:
            k.hooks.on(PurchaseRecorded, keep)
        start = threading.Barrier(len(kits))
        failures: list[BaseException] = []

        def record(k: rk.RelationKit) -> None:
            start.wait()
            try:
                for n in range(6):
                    buy(k, alice.id, f"o{n}", f"{n}.00")
            except BaseException as exc:  # reported below, in the test's thread
                failures.append(exc)

        threads = [threading.Thread(target=record, args=(k,)) for k in kits]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        expected = [f"o{n}" for n in range(6)]
        assert ([], expected, 6) == (failures, sorted(recorded), kit.purchases.count())
