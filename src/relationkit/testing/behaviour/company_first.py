"""Behaviour: a contact's webhook names its company by the shop's id before the company's.

``customers.upsert(account_external_id=...)`` finds or creates the B2B
account in the same transaction; the company's own ``accounts.upsert``
later fills in its name; a refused write leaves no company behind; two
writers naming one new company at once make one account.

Added in 0.2.0.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

import relationkit as rk
from relationkit.domain.customers import AccountKind
from relationkit.errors import Conflict
from relationkit.events import AccountUpdated, Event
from relationkit.storage.ports import Storage
from relationkit.testing.base import T0, SuiteBase

__all__ = ["CompanyFirstBehaviour"]


class CompanyFirstBehaviour(SuiteBase):
    """A company named first by its contacts is stored, named and shared as on memory."""

    @pytest.fixture
    def second_kit(self, storage: Storage, clock: rk.FrozenClock) -> Iterator[rk.RelationKit]:
        """Another kit over the same data, on a second handle when the backend has one."""
        both = self.requirements.second_handle and self.requirements.concurrent_writers
        handle = self.make_second_handle() if both else storage
        other = rk.open(storage=handle, clock=clock)
        yield other
        other.close()
        if handle is not storage:
            handle.close()

    def test_the_contact_first_then_the_company_names_it(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """The placeholder is a stored B2B account; an older company webhook still names it."""
        buyer = kit.customers.upsert(
            external_id="b-1",
            email="buyer@acme.example",
            role="buyer",
            account_external_id="co-1",
            source_updated_at=T0.add(hours=2),
        )
        placeholder = kit.accounts.get_by_external_id("co-1")
        events.clear()

        named = kit.accounts.upsert(external_id="co-1", name="ACME SA", source_updated_at=T0)

        assert ("co-1", AccountKind.B2B, buyer.account_id) == (
            placeholder.name,
            placeholder.kind,
            placeholder.id,
        )
        assert (placeholder.id, "ACME SA") == (named.id, kit.accounts.get(placeholder.id).name)
        assert [("name",)] == [e.fields for e in events if isinstance(e, AccountUpdated)]
        assert [buyer.id] == [c.id for c in kit.accounts.contacts(placeholder.id)]

    def test_later_contacts_join_the_same_company_and_keep_its_name(
        self, kit: rk.RelationKit
    ) -> None:
        """A second contact's ``account_name`` never renames the company it finds."""
        first = kit.customers.upsert(
            external_id="b-2", account_external_id="co-2", account_name="Globex"
        )
        second = kit.customers.upsert(
            external_id="b-3", account_external_id="co-2", account_name="Globex Ltd"
        )

        company = kit.accounts.get_by_external_id("co-2")
        assert (company.id, company.id, "Globex") == (
            first.account_id,
            second.account_id,
            company.name,
        )
        assert 1 == len(kit.accounts.search(external_id="co-2"))

    def test_a_refused_upsert_leaves_no_company_behind(self, kit: rk.RelationKit) -> None:
        """The company created for a write that then fails is rolled back with it."""
        kit.customers.upsert(external_id="b-4", email="own@example.com")

        with pytest.raises(Conflict):
            kit.customers.upsert(external_id="b-4", account_external_id="co-4")

        assert [] == kit.accounts.search(external_id="co-4")

    def test_two_writers_naming_one_new_company_make_one_account(
        self, kit: rk.RelationKit, second_kit: rk.RelationKit
    ) -> None:
        """Two contacts' webhooks at once: one company with both, and no error."""
        kits = [kit, second_kit]
        start = threading.Barrier(len(kits))
        failures: list[BaseException] = []

        def upsert(k: rk.RelationKit, n: int) -> None:
            start.wait()
            try:
                k.customers.upsert(external_id=f"r-{n}", account_external_id="co-race")
            except BaseException as exc:  # reported below, in the test's thread
                failures.append(exc)

        threads = [threading.Thread(target=upsert, args=(k, n)) for n, k in enumerate(kits)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        company = kit.accounts.get_by_external_id("co-race")
        contacts = sorted(c.external_id or "" for c in kit.accounts.contacts(company.id))
        assert ([], ["r-0", "r-1"]) == (failures, contacts)
        assert 1 == len(kit.accounts.search(external_id="co-race"))
