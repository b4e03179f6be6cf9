"""The equivalence machine's invariant: everything the public API shows agrees (not public)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial

from hypothesis.stateful import invariant

import relationkit as rk
from relationkit.testing.machines._equivalence_draws import (
    CURRENCIES,
    EMAILS,
    EXTERNAL_IDS,
    ORDER_IDS,
)
from relationkit.testing.machines._equivalence_lockstep import LockstepMachine, Outcome, attempt

__all__ = ["ViewChecks"]


class ViewChecks(LockstepMachine):
    """Observe both kits through the public API after every step, and compare."""

    def observe_accounts(
        self, kit: rk.RelationKit, account_ids: Sequence[str]
    ) -> dict[str, Outcome]:
        """Everything the public API shows about these accounts."""
        views: dict[str, Callable[[str], object]] = {
            "account": kit.accounts.get,
            "contacts": kit.accounts.contacts,
            "history": kit.lifecycle.history,
            "spans": kit.lifecycle.spans,
            "interactions": kit.interactions.history,
            "purchases": kit.purchases.history,
            "timeline": kit.timeline,
        }
        return {
            f"{name}({account_id})": attempt(partial(view, account_id), strict=False)
            for account_id in account_ids
            for name, view in views.items()
        }

    def observe_globals(self, kit: rk.RelationKit) -> dict[str, Outcome]:
        """The store-wide views: counts, stage distribution, top spenders."""
        out: dict[str, Outcome] = {
            "customers.count": attempt(kit.customers.count, strict=False),
            "purchases.count": attempt(kit.purchases.count, strict=False),
            "distribution": attempt(
                lambda: list(kit.lifecycle.distribution().items()), strict=False
            ),
        }
        for code in CURRENCIES:
            out[f"top_spenders({code})"] = attempt(
                partial(kit.purchases.top_spenders, code, limit=100), strict=False
            )
        return out

    def observe_lookups(self, kit: rk.RelationKit) -> dict[str, Outcome]:
        """Every known customer and order, and look-ups by email and external id."""
        lookups: list[tuple[str, Callable[[str], object], Sequence[str]]] = [
            ("customer", kit.customers.get, self.customer_ids),
            ("by_email", kit.customers.get_by_email, EMAILS),
            ("by_external_id", kit.customers.get_by_external_id, EXTERNAL_IDS),
            ("purchase", kit.purchases.get, ORDER_IDS),
        ]
        return {
            f"{name}({key})": attempt(partial(find, key), strict=False)
            for name, find, keys in lookups
            for key in keys
        }

    def compare(self, observe: Callable[[rk.RelationKit], Mapping[str, Outcome]]) -> None:
        reference, candidate = (observe(kit) for kit in self.kits)
        differing = [key for key in reference if reference[key] != candidate.get(key)]
        assert not differing, "\n".join(
            f"{key}:\n  reference: {reference[key]}\n  candidate: {candidate.get(key)}"
            for key in differing[:5]
        )

    @invariant()
    def same_observable_state(self) -> None:
        """Everything the public API shows agrees after every step.

        Counts, stage distribution and top spenders; every known account's
        stage, contacts, history, spans, interactions, purchases and
        timeline; every known customer and order; look-ups by email and
        external id.
        """
        self.compare(self.observe_globals)
        self.compare(lambda kit: self.observe_accounts(kit, self.account_ids))
        self.compare(self.observe_lookups)
