"""Lead scores: rules over an account's people and recent facts, with stage thresholds.

:func:`score_account` scores one account inside a transaction (the
refresh uses it too); :func:`lead` is what ``kit.scores.lead`` runs. A
threshold's stage move (a lead becoming qualified) is applied only when the
caller asks for it, through the one stage-move helper the lifecycle service
uses as well.
"""

from __future__ import annotations

import attrs
import pendulum

from relationkit._runtime import Context, Runner
from relationkit._tx import Tx
from relationkit.domain.customers import Account
from relationkit.domain.lifecycle import StageChange
from relationkit.domain.scoring.lead import LeadScore, days_before, score_lead
from relationkit.domain.scoring.rules import LeadModel
from relationkit.errors import ValidationError
from relationkit.services._refs import resolve
from relationkit.services._stages import apply_move
from relationkit.services.scores._facts import resolve_as_of, touches

__all__ = ["check_model", "lead", "move_lead", "score_account"]


def check_model(model: object, ctx: Context) -> LeadModel:
    """Return ``model`` if it is a LeadModel whose thresholds name known stages.

    Raises:
        ValidationError: not a LeadModel, or a threshold names a stage the
            kit's graph does not have.
    """
    if not isinstance(model, LeadModel):
        raise ValidationError("model", "must be a LeadModel")
    for threshold in model.thresholds:
        unknown = [
            s for s in (threshold.to_stage, *threshold.from_stages) if s not in ctx.stages.stages
        ]
        if unknown:
            raise ValidationError("thresholds", f"names an unknown stage: {unknown[0]}")
    return model


def score_account(
    tx: Tx, ctx: Context, account: Account, model: LeadModel, as_of: pendulum.DateTime
) -> LeadScore:
    """Return the lead score of ``account`` at ``as_of`` (an instant already validated).

    Facts are read back ``lookback_days``, which no rule's ``within_days``
    exceeds (the model refuses one that does).
    """
    people = tx.uow.customers.for_account(account.id)
    since = days_before(as_of, model.lookback_days)
    facts = touches(tx, account.id, model.sources(), since, as_of)
    return score_lead(
        model, account=account, people=people, touches=facts, as_of=as_of, graph=ctx.stages
    )


def move_lead(tx: Tx, ctx: Context, score: LeadScore) -> StageChange | None:
    """Apply the score's suggested stage to its account (locked here), if it still applies."""
    if score.suggested_stage is None:
        return None
    account = tx.account(score.account_id)
    target = score.suggested_stage
    if account.stage == target or not ctx.stages.allows(account.stage, target):
        return None
    return apply_move(tx, account, target, tx.now, f"lead score {score.score}", automatic=True)


def lead(
    runner: Runner,
    ctx: Context,
    ref: str,
    model: LeadModel,
    *,
    as_of: object = None,
    move: bool = False,
) -> LeadScore:
    """Return the lead score of an account with its breakdown; optionally apply its threshold.

    Args:
        runner: the kit's runner.
        ctx: the kit's context.
        ref: an account id or a customer id.
        model: the rules.
        as_of: the instant scored (None: now; a date: the end of that day).
        move: apply ``suggested_stage`` (in a write transaction).

    Raises:
        ValidationError: a bad model or ``as_of``.
        NotFound: ``ref`` names no account or customer.
    """
    checked = check_model(model, ctx)
    when = resolve_as_of(ctx, as_of)

    def work(tx: Tx) -> LeadScore:
        account = tx.account(resolve(tx, ref), lock=move)
        score = score_account(tx, ctx, account, checked, when)
        if move and move_lead(tx, ctx, score) is not None:
            return attrs.evolve(score, suggested_stage=None)
        return score

    return runner.write(work) if move else runner.read(work)
