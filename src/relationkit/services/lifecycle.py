"""Lifecycle: an account's stage, its validated moves and its history."""

from __future__ import annotations

from relationkit import _validate as v
from relationkit._runtime import Context, Runner
from relationkit._tx import Tx
from relationkit.domain.lifecycle import StageChange, StageGraph, StageSpan
from relationkit.errors import InvalidTransition, ValidationError
from relationkit.services._reactions import PurchasesStored, Reactions
from relationkit.services._refs import resolve
from relationkit.services._stages import apply_move
from relationkit.storage.fallback import queries

__all__ = ["LifecycleService"]


class LifecycleService:
    """``kit.lifecycle``: stages along the customer journey.

    A purchase moves its account forward (``StageGraph.after_purchase``) in
    the transaction that stores it.
    """

    def __init__(self, runner: Runner, ctx: Context, reactions: Reactions) -> None:
        self._run = runner
        self._ctx = ctx
        reactions.on(PurchasesStored, self._on_purchases)

    def __repr__(self) -> str:
        return "<LifecycleService>"

    @property
    def graph(self) -> StageGraph:
        """The stage graph in force."""
        return self._ctx.stages

    def stage(self, ref: str) -> str:
        """Return the current stage of an account (or of a customer's account)."""
        return self._run.read(lambda tx: tx.account(resolve(tx, ref), lock=False).stage)

    def move(self, ref: str, to_stage: str, *, reason: str | None = None) -> StageChange:
        """Move an account to another stage, if the graph allows it.

        Raises:
            ValidationError: if ``to_stage`` is not a stage of the graph.
            InvalidTransition: if the graph has no move from the current stage.
            NotFound: if ``ref`` names no account or customer.
        """
        target = v.identifier(to_stage, "to_stage", max_length=64)
        if target not in self.graph.stages:
            raise ValidationError(
                "to_stage", f"is not a stage; known: {', '.join(self.graph.stages)}"
            )
        why = v.optional_text(reason, "reason", max_length=500)

        def work(tx: Tx) -> StageChange:
            account = tx.account(resolve(tx, ref))
            if not self.graph.allows(account.stage, target):
                raise InvalidTransition(account.id, account.stage, target)
            return apply_move(tx, account, target, tx.now, why, automatic=False)

        return self._run.write(work)

    def _on_purchases(self, tx: Tx, fact: PurchasesStored) -> None:
        """Move each account a new purchase belongs to forward, as the graph says."""
        changes = []
        for purchase in fact.purchases:
            account = tx.account(purchase.account_id)
            target = self.graph.after_purchase(account.stage)
            if target is not None:
                changes.append(
                    apply_move(
                        tx,
                        account,
                        target,
                        purchase.occurred_at,
                        "purchase",
                        automatic=True,
                        store=False,
                    )
                )
        if changes:
            tx.uow.stages.add_many(changes)

    def history(self, ref: str) -> list[StageChange]:
        """Return every stage change of an account, oldest first (its first stage included)."""
        return self._run.read(lambda tx: tx.uow.stages.for_account(resolve(tx, ref)))

    def spans(self, ref: str) -> list[StageSpan]:
        """Return the time spent in each stage, oldest first; the last is open."""
        history = self.history(ref)
        now = self._ctx.clock.now()
        spans = []
        for change, following in zip(history, [*history[1:], None], strict=True):
            left = following.at if following is not None else None
            spans.append(
                StageSpan(
                    stage=change.to_stage,
                    entered=change.at,
                    left=left,
                    duration=(left or max(now, change.at)) - change.at,
                )
            )
        return spans

    def distribution(self) -> dict[str, int]:
        """Return the number of accounts in each stage, in journey order (zeros included)."""
        counts = self._run.read(lambda tx: queries(tx.uow).count_by_stage())
        ordered = {stage: counts.get(stage, 0) for stage in self.graph.stages}
        # Stages no longer in the graph (after a graph change) are still shown.
        ordered.update({s: n for s, n in counts.items() if s not in ordered})
        return ordered
