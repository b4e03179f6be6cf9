"""B2B account health: the account's purchases and its contacts' engagement."""

from __future__ import annotations

import pendulum

from relationkit._runtime import Context, Runner
from relationkit._tx import Tx
from relationkit.domain.customers import Account
from relationkit.domain.scoring.health import AccountHealth, HealthModel, account_health
from relationkit.errors import ValidationError
from relationkit.services._refs import resolve
from relationkit.services.scores._facts import contact_activity, purchase_days, resolve_as_of

__all__ = ["TOUCH_HALF_LIVES", "health", "score_account"]

TOUCH_HALF_LIVES = 10
"""Contacts' touches are read back this many role half-lives (or ``active_days``,
whichever is longer): an older touch would count less than 0.1%."""


def score_account(
    tx: Tx, ctx: Context, account: Account, model: HealthModel, as_of: pendulum.DateTime
) -> AccountHealth:
    """Return the health of ``account`` at ``as_of`` (an instant already validated)."""
    today = as_of.in_timezone(ctx.timezone).date()
    days = purchase_days(tx, account.id, ctx, as_of, None)
    people = tx.uow.customers.for_account(account.id)
    horizon = max(model.active_days, TOUCH_HALF_LIVES * model.role_half_life_days)
    contacts = contact_activity(tx, account.id, people, as_of.subtract(days=horizon), as_of)
    return account_health(
        model, account_id=account.id, as_of=as_of, today=today, days=days, contacts=contacts
    )


def health(
    runner: Runner,
    ctx: Context,
    ref: str,
    model: HealthModel | None = None,
    *,
    as_of: object = None,
) -> AccountHealth:
    """Return the health of an account with its factors and role recency.

    Args:
        runner: the kit's runner.
        ctx: the kit's context.
        ref: an account id or a customer id.
        model: the weights and windows (None: :class:`HealthModel` defaults).
        as_of: the instant assessed (None: now; a date: the end of that day).

    Raises:
        ValidationError: a bad model or ``as_of``.
        NotFound: ``ref`` names no account or customer.
    """
    checked = HealthModel() if model is None else model
    if not isinstance(checked, HealthModel):
        raise ValidationError("model", "must be a HealthModel")
    when = resolve_as_of(ctx, as_of)

    def work(tx: Tx) -> AccountHealth:
        account = tx.account(resolve(tx, ref), lock=False)
        return score_account(tx, ctx, account, checked, when)

    return runner.read(work)
