"""Churn risk of an account: its purchase rhythm, its spend, and a fitted model if given.

Tickets join the risk when the store keeps them: :func:`score_account`
takes ``open_tickets`` (None until then, and the factor is left out).
"""

from __future__ import annotations

from typing import Any, Protocol

import attrs
import pendulum

from relationkit._runtime import Context, Runner
from relationkit._tx import Tx
from relationkit.domain.customers import Account
from relationkit.domain.lifecycle import StageChange
from relationkit.domain.scoring.churn import ChurnModel, ChurnRisk, churn_risk
from relationkit.domain.scoring.history import PurchaseDay
from relationkit.errors import ValidationError
from relationkit.services._refs import resolve
from relationkit.services._stages import apply_move
from relationkit.services.scores._facts import purchase_days, resolve_as_of

__all__ = ["AT_RISK", "AliveModel", "churn", "move_at_risk", "p_alive", "score_account"]

AT_RISK = "at_risk"
"""The stage a churn threshold moves an account to."""


class AliveModel(Protocol):
    """A fitted customer-base model (``relationkit.clv.BetaGeoModel``, ``ParetoNBDModel``)."""

    def probability_alive(self, frequency: float, recency: float, T: float) -> Any:
        """Return the probability that a customer with this summary is alive."""
        ...


def p_alive(
    alive: AliveModel, days: list[PurchaseDay], today: pendulum.Date, unit: str
) -> float | None:
    """Return the model's probability alive for these purchase days (None: no purchase).

    The summary is the literature's: ``frequency`` the purchase days minus
    one, ``recency`` first to last day, ``T`` first day to ``today``, in the
    model's ``unit`` when it has one (``relationkit.clv`` models do), else ``unit``.
    """
    if not days:
        return None
    # A relationkit.clv model knows the unit it was fitted in.
    counted = getattr(alive, "unit", unit)
    scale = 7.0 if counted == "weeks" else 1.0
    first, last = days[0].day, days[-1].day
    value = alive.probability_alive(
        float(len(days) - 1),
        (last - first).in_days() / scale,
        (today - first).in_days() / scale,
    )
    # A relationkit.clv model answers with an array (one element here).
    item = getattr(value, "item", None)
    return float(item() if callable(item) else value)


def score_account(
    tx: Tx,
    ctx: Context,
    account: Account,
    model: ChurnModel,
    as_of: pendulum.DateTime,
    *,
    alive: AliveModel | None = None,
    open_tickets: int | None = None,
) -> ChurnRisk:
    """Return the churn risk of ``account`` at ``as_of`` (an instant already validated)."""
    today = as_of.in_timezone(ctx.timezone).date()
    days = purchase_days(tx, account.id, ctx, as_of, model.currency)
    probability = None if alive is None else p_alive(alive, days, today, model.alive_unit)
    risk = churn_risk(
        model,
        account_id=account.id,
        as_of=as_of,
        today=today,
        days=days,
        p_alive=probability,
        open_tickets=open_tickets,
    )
    if risk.moves_to_at_risk and not ctx.stages.allows(account.stage, AT_RISK):
        return _no_move(risk)
    return risk


def _no_move(risk: ChurnRisk) -> ChurnRisk:
    return attrs.evolve(risk, moves_to_at_risk=False)


def move_at_risk(tx: Tx, ctx: Context, risk: ChurnRisk) -> StageChange | None:
    """Move the account to ``at_risk`` when the threshold says so and the graph allows it."""
    if not risk.moves_to_at_risk:
        return None
    account = tx.account(risk.account_id)
    if not ctx.stages.allows(account.stage, AT_RISK):
        return None
    return apply_move(tx, account, AT_RISK, tx.now, f"churn risk {risk.score}", automatic=True)


def churn(
    runner: Runner,
    ctx: Context,
    ref: str,
    model: ChurnModel | None = None,
    *,
    as_of: object = None,
    alive: AliveModel | None = None,
    move: bool = False,
) -> ChurnRisk:
    """Return the churn risk of an account with its reasons; optionally move it to at_risk.

    Args:
        runner: the kit's runner.
        ctx: the kit's context.
        ref: an account id or a customer id.
        model: the weights and windows (None: :class:`ChurnModel` defaults).
        as_of: the instant assessed (None: now; a date: the end of that day).
        alive: a fitted model giving ``probability_alive``.
        move: apply the model's ``at_risk_at`` threshold (a write).

    Raises:
        ValidationError: a bad model or ``as_of``.
        NotFound: ``ref`` names no account or customer.
    """
    checked = ChurnModel() if model is None else model
    if not isinstance(checked, ChurnModel):
        raise ValidationError("model", "must be a ChurnModel")
    if alive is not None and not callable(getattr(alive, "probability_alive", None)):
        raise ValidationError("alive", "must have a probability_alive(frequency, recency, T)")
    when = resolve_as_of(ctx, as_of)

    def work(tx: Tx) -> ChurnRisk:
        account = tx.account(resolve(tx, ref), lock=move)
        risk = score_account(tx, ctx, account, checked, when, alive=alive)
        if move:
            move_at_risk(tx, ctx, risk)
        return risk

    return runner.write(work) if move else runner.read(work)
